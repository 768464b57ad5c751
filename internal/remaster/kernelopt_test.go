package remaster_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

func TestKerneloptEditValueStartsFromTheDefault(t *testing.T) {
	for name, tc := range map[string]struct {
		edit remaster.KerneloptEdit
		want string
	}{
		"zero value":   {want: remaster.DefaultKernelopt},
		"add":          {edit: remaster.KerneloptEdit{Add: []string{"allowLegacyCPU=true"}}, want: remaster.DefaultKernelopt + " allowLegacyCPU=true"},
		"add replaces": {edit: remaster.KerneloptEdit{Add: []string{"tty2Port=com1"}}, want: "ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com1"},
		"remove":       {edit: remaster.KerneloptEdit{Remove: []string{"gdbPort", "logPort"}}, want: "ks=cdrom:/KS.CFG tty2Port=com2"},
		"replace":      {edit: remaster.KerneloptEdit{Replace: " runweasel  cdromBoot "}, want: "runweasel  cdromBoot"},
		"replace, add": {edit: remaster.KerneloptEdit{Replace: "runweasel", Add: []string{"ks=usb"}}, want: "runweasel ks=usb"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.edit.Value()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestKerneloptEditCheckBuild(t *testing.T) {
	for name, tc := range map[string]struct {
		edit remaster.KerneloptEdit
		want string // "" = accepted
	}{
		"default":                   {},
		"README example":            {edit: remaster.KerneloptEdit{Add: []string{"allowLegacyCPU=true", "systemMediaSize=min"}}},
		"ks key in other case":      {edit: remaster.KerneloptEdit{Remove: []string{"ks"}, Add: []string{"KS=cdrom:/KS.CFG"}}},
		"ks removed":                {edit: remaster.KerneloptEdit{Remove: []string{"ks"}}, want: `kernelopt="gdbPort=none logPort=none tty2Port=com2": kernelopt has no ks=cdrom:/KS.CFG`},
		"ks elsewhere":              {edit: remaster.KerneloptEdit{Add: []string{"ks=usb:/KS.CFG"}}, want: "has no ks=cdrom:/KS.CFG"},
		"lower-case path":           {edit: remaster.KerneloptEdit{Add: []string{"ks=cdrom:/ks.cfg"}}, want: "has no ks=cdrom:/KS.CFG"},
		"explicit --kernelopt wins": {edit: remaster.KerneloptEdit{Replace: "runweasel cdromBoot"}},
		"explicit, bad token":       {edit: remaster.KerneloptEdit{Replace: "x", Add: []string{"a b"}}, want: "contains whitespace"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.edit.CheckBuild()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
			if errors.Is(err, remaster.ErrNoPortalKickstart) {
				require.NotContains(t, err.Error(), "--", "a leaf names no CLI flag: the caller names the option")
			} else {
				require.ErrorAs(t, err, new(*bootcfg.TokenError))
			}
		})
	}
}
