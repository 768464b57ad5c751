package bootcfg_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
)

func TestParseBuild(t *testing.T) {
	tests := map[string]struct {
		in             string
		version, build string
		ok             bool
	}{
		"8.0U3 GA":           {in: "8.0.3-0.0.24022510", version: "8.0.3", build: "24022510", ok: true},
		"7.0U3 patch":        {in: "7.0.3-0.105.22348816", version: "7.0.3", build: "22348816", ok: true},
		"surrounding spaces": {in: " 8.0.2-0.0.22380479\r", version: "8.0.2", build: "22380479", ok: true},
		"no dots after dash": {in: "8.0.3-24022510", version: "8.0.3", build: "24022510", ok: true},
		"empty build=":       {in: ""},
		"no dash":            {in: "8.0.3"},
		"no build digits":    {in: "8.0.3-0.0."},
		"letters in build":   {in: "8.0.3-0.0.2402x"},
		"bad version":        {in: "8.0U3-0.0.24022510"},
		"single number":      {in: "8-0.0.1"},
		"empty version part": {in: "8..3-0.0.1"},
		"junk":               {in: "-"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v, b, ok := bootcfg.ParseBuild(tc.in)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.version, v)
			require.Equal(t, tc.build, b)
		})
	}
}

func TestVersionFromVolumeID(t *testing.T) {
	tests := map[string]struct {
		in             string
		version, build string
		ok             bool
	}{
		"8.0U3 standard":      {in: "ESXI-8.0U3-24022510-STANDARD", version: "8.0U3", build: "24022510", ok: true},
		"7.0b standard":       {in: "ESXI-7.0B-16324942-STANDARD", version: "7.0B", build: "16324942", ok: true},
		"custom, no build":    {in: "ESXI-7.0U3G-NUC12-SYN", version: "7.0U3G", ok: true},
		"pvd space padding":   {in: "ESXI-8.0U2-22380479-STANDARD    ", version: "8.0U2", build: "22380479", ok: true},
		"nul padding":         {in: "ESXI-8.0U3-24022510\x00\x00", version: "8.0U3", build: "24022510", ok: true},
		"lower-case prefix":   {in: "esxi-8.0u3-24022510-standard", version: "8.0u3", build: "24022510", ok: true},
		"version only":        {in: "ESXI-8.0", version: "8.0", ok: true},
		"7-digit build":       {in: "ESXI-6.7.0-9484548-STANDARD", version: "6.7.0", build: "9484548", ok: true},
		"dated 6.x profile":   {in: "ESXI-6.7.0-20190802001-STANDARD", version: "6.7.0", ok: true},
		"9 digits":            {in: "ESXI-8.0U3-240225101-STANDARD", version: "8.0U3", ok: true},
		"genisoimage default": {in: "CDROM"},
		"empty":               {in: ""},
		"prefix only":         {in: "ESXI-"},
		"not a version":       {in: "ESXI-STANDARD-24022510"},
		"no minor":            {in: "ESXI-8-24022510"},
		"odd characters":      {in: "ESXI-8.0_U3-24022510"},
		"other product":       {in: "VCSA-8.0U3-24022510"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v, b, ok := bootcfg.VersionFromVolumeID(tc.in)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.version, v)
			require.Equal(t, tc.build, b)
		})
	}
}

func TestBuildFromStockFiles(t *testing.T) {
	b, ok := bootcfg.Parse([]byte(stock80)).Get("build")
	require.True(t, ok)
	v, n, ok := bootcfg.ParseBuild(b)
	require.True(t, ok)
	require.Equal(t, []string{"8.0.3", "24022510"}, []string{v, n})

	b, ok = bootcfg.Parse([]byte(stock70)).Get("build")
	require.True(t, ok, "empty build= is still present")
	_, _, ok = bootcfg.ParseBuild(b)
	require.False(t, ok, "empty build= must send the caller to the volume ID")
}
