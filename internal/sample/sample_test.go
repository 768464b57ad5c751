package sample_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/sample"
)

// The sample must look like VMware's media to an independent reader:
// plain ISO 9660 level-1 names, no Rock Ridge/Joliet, ~150+ files, both El
// Torito entries, the ESXi volume and application IDs.
func TestSampleLooksLikeESXiMediaToIsoinfo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s.iso")
	require.NoError(t, sample.Write(t.Context(), sample.Options{Output: out, Size: 16 << 20}))

	d, err := exec.Command("isoinfo", "-d", "-i", out).CombinedOutput()
	require.NoError(t, err, string(d))
	require.Contains(t, string(d), "Volume id: "+sample.VolumeID)
	require.Contains(t, string(d), "Application id: ESXIMAGE")
	require.Contains(t, string(d), "NO Joliet present")
	require.Contains(t, string(d), "NO Rock Ridge present")

	l, err := exec.Command("isoinfo", "-f", "-i", out).CombinedOutput()
	require.NoError(t, err, string(l))
	names := strings.Fields(string(l))
	require.GreaterOrEqual(t, len(names), 150)
	level1 := regexp.MustCompile(`^(/[A-Z0-9_]{1,8})*/[A-Z0-9_]{1,8}(\.[A-Z0-9_]{0,3};1)?$`)
	for _, n := range names {
		require.Regexp(t, level1, n)
	}
	for _, want := range []string{"/B.B00;1", "/BOOT.CFG;1", "/EFI/BOOT/BOOT.CFG;1", "/BOOT.CAT;1", "/S.V00;1"} {
		require.Contains(t, names, want)
	}

	et, err := exec.Command("xorriso", "-indev", out, "-report_el_torito", "plain").CombinedOutput()
	require.NoError(t, err, string(et))
	require.Regexp(t, `boot img :\s+1\s+BIOS\s+y\s+none`, string(et))
	require.Regexp(t, `boot img :\s+2\s+UEFI\s+y\s+none`, string(et))
	require.Contains(t, string(et), "boot-info-table")
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"600MiB": 600 << 20, "1.5GiB": 3 << 29, "64M": 64 << 20, "4096": 4096} {
		got, err := sample.ParseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "-1MiB", "lots"} {
		_, err := sample.ParseSize(bad)
		require.Error(t, err, bad)
	}
}
