package cli_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/iso"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

func TestRemasterPrintsSizeAndSHA256OfWrittenFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.iso")
	code, stdout, stderr := run(t, "remaster", "-i", smallSample(t), "-o", out, "--json")
	require.Equal(t, 0, code, stderr)
	var res remaster.Result
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	require.Equal(t, hex.EncodeToString(sum[:]), res.SHA256)
	require.EqualValues(t, len(data), res.Size)
	require.Equal(t, "8.0.3", res.Version)
	require.Equal(t, "24022510", res.Build)
	require.Len(t, res.Edited, 2)
	for _, e := range res.Edited {
		require.Equal(t, remaster.DefaultKernelopt, e.After)
	}
}

// --json=TRUE is JSON, as the action's inputs spell a boolean; --json=1 is
// a usage error before any work, not a quiet fall back to text.
func TestJSONFlagTakesTheBooleanSpellingsAndRefusesOthers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.iso")
	code, stdout, stderr := run(t, "remaster", "-i", smallSample(t), "-o", out, "--json=TRUE")
	require.Equal(t, 0, code, stderr)
	var res remaster.Result
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.Equal(t, out, res.Output)

	other := filepath.Join(t.TempDir(), "other.iso")
	code, stdout, stderr = run(t, "remaster", "-i", smallSample(t), "-o", other, "--json=1")
	require.Equal(t, 2, code, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, `error: --json: "1" is not true or false`)
	require.NoFileExists(t, other)
}

func TestInspectReportsBothConfigsAndBootEntries(t *testing.T) {
	code, stdout, stderr := run(t, "inspect", "--json", smallSample(t))
	require.Equal(t, 0, code, stderr)
	var info remaster.Info
	require.NoError(t, json.Unmarshal([]byte(stdout), &info))
	require.Equal(t, "ESXI-8.0U3-24022510-STANDARD", info.VolumeID)
	require.Equal(t, "ESXIMAGE", info.ApplicationID)
	require.Len(t, info.Boot, 2)
	require.Equal(t, "BIOS", info.Boot[0].Platform)
	require.Equal(t, "valid", info.Boot[0].BootInfoTable)
	require.Equal(t, "UEFI", info.Boot[1].Platform)
	require.Equal(t, "runweasel cdromBoot", *info.Configs[0].Kernelopt)
	require.Equal(t, "runweasel cdromBoot", *info.Configs[1].Kernelopt)

	code, stdout, _ = run(t, "inspect", smallSample(t))
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "esxi version:    8.0.3 build 24022510")
	require.Contains(t, stdout, "/EFI/BOOT/BOOT.CFG  runweasel cdromBoot")
}

// badISO writes variants of the sample for the bad-input table.
func badISO(t *testing.T, dir, name string, mutate func([]byte) []byte) string {
	t.Helper()
	b, err := os.ReadFile(smallSample(t))
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, mutate(b), 0o644))
	return p
}

// recordOf returns the offset of the root directory record naming name.
func recordOf(t *testing.T, b []byte, name string) int {
	t.Helper()
	root := int(binary.LittleEndian.Uint32(b[16*iso.SectorSize+156+2:])) * iso.SectorSize
	i := bytes.Index(b[root:root+4*iso.SectorSize], []byte(name))
	require.Positive(t, i, name)
	return root + i - 33
}

func setExtent(b []byte, rec int, ext uint32) {
	binary.LittleEndian.PutUint32(b[rec+2:], ext)
	binary.BigEndian.PutUint32(b[rec+6:], ext)
}

func TestRemasterBadInputsFailCleanly(t *testing.T) {
	in := t.TempDir()
	cases := map[string]struct {
		input    func() string
		output   func(dir string) string
		wantCode int
		want     []string
	}{
		"random bytes": {
			input: func() string {
				p := filepath.Join(in, "random.iso")
				b := make([]byte, 1<<20)
				for i := range b {
					b[i] = byte(i*31 + i>>8)
				}
				require.NoError(t, os.WriteFile(p, b, 0o644))
				return p
			},
			wantCode: 1, want: []string{"random.iso", "not an ISO 9660 image", "fix: pass the VMware ESXi installer ISO"},
		},
		"truncated": {
			input:    func() string { return badISO(t, in, "half.iso", func(b []byte) []byte { return b[:len(b)/2] }) },
			wantCode: 1, want: []string{"half.iso", "truncated", "download it again"},
		},
		"debian ipxe.iso has no BOOT.CFG": {
			input:    func() string { return "/usr/lib/ipxe/ipxe.iso" },
			wantCode: 1, want: []string{"ipxe.iso", "not an ESXi installer ISO"},
		},
		"debian grub-rescue-cdrom.iso has no BOOT.CFG": {
			input:    func() string { return "/usr/lib/grub-rescue/grub-rescue-cdrom.iso" },
			wantCode: 1, want: []string{"grub-rescue-cdrom.iso", "not an ESXi installer ISO"},
		},
		"no kernelopt line": {
			input: func() string {
				return badISO(t, in, "nokopt.iso", func(b []byte) []byte {
					for _, at := range [][]byte{[]byte("kernelopt=")} {
						for i := bytes.Index(b, at); i >= 0; i = bytes.Index(b, at) {
							copy(b[i:], "#ernelopt=") // same length: sizes stay valid
						}
					}
					return b
				})
			},
			wantCode: 1, want: []string{"nokopt.iso", "/BOOT.CFG", "no kernelopt= line"},
		},
		"directory loop": {
			input: func() string {
				return badISO(t, in, "loop.iso", func(b []byte) []byte {
					root := binary.LittleEndian.Uint32(b[16*iso.SectorSize+156+2:])
					setExtent(b, recordOf(t, b, "EFI"), root)
					return b
				})
			},
			wantCode: 1, want: []string{"loop.iso", "directory loop", "damaged"},
		},
		"extent past the end": {
			input: func() string {
				return badISO(t, in, "past.iso", func(b []byte) []byte {
					setExtent(b, recordOf(t, b, "B.B00;1"), uint32(len(b)/iso.SectorSize+10))
					return b
				})
			},
			wantCode: 1, want: []string{"past.iso", "outside the", "damaged"},
		},
		"missing input": {
			input:    func() string { return filepath.Join(in, "nope.iso") },
			wantCode: 1, want: []string{"nope.iso", "no such file", "check the path"},
		},
		"input is a directory": {
			input:    func() string { return in },
			wantCode: 1, want: []string{"not a regular file"},
		},
		"output directory missing": {
			input:    func() string { return smallSample(t) },
			output:   func(dir string) string { return filepath.Join(dir, "missing", "out.iso") },
			wantCode: 1, want: []string{"output directory", "does not exist"},
		},
		"output equals input": {
			input:    func() string { return badISO(t, in, "same.iso", func(b []byte) []byte { return b }) },
			output:   func(string) string { return filepath.Join(in, "same.iso") },
			wantCode: 2, want: []string{"output is the input file", "usage: esxi-byoi remaster"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			outDir := t.TempDir()
			out := filepath.Join(outDir, "out.iso")
			if tc.output != nil {
				out = tc.output(outDir)
			}
			code, stdout, stderr := run(t, "remaster", "-i", tc.input(), "-o", out)
			require.Equal(t, tc.wantCode, code, stderr)
			require.Empty(t, stdout)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			require.True(t, strings.HasPrefix(lines[0], "error: "), stderr)
			for _, w := range tc.want {
				require.Contains(t, stderr, w)
			}
			require.NotContains(t, stderr, "goroutine", "no stack traces for user mistakes")
			requireEmptyDir(t, outDir)
		})
	}
}

// runAsUser runs the CLI in a child process; as root it runs as nobody (root
// reads and writes anything), from a copy of the test binary nobody can reach.
func runAsUser(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := childCmd(t, args...)
	if os.Geteuid() == 0 {
		self, err := os.ReadFile(cmd.Path)
		require.NoError(t, err)
		cmd.Path = filepath.Join(dir, "esxi-byoi")
		require.NoError(t, os.WriteFile(cmd.Path, self, 0o755))
		for _, p := range []string{filepath.Dir(dir), dir} {
			require.NoError(t, os.Chmod(p, 0o755))
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	return ee.ExitCode(), stderr.String()
}

func TestRemasterUnwritableOutputDirectory(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	require.NoError(t, os.Mkdir(ro, 0o555))
	in := filepath.Join(dir, "in.iso")
	data, err := os.ReadFile(smallSample(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, data, 0o644))
	code, stderr := runAsUser(t, dir, "remaster", "-i", in, "-o", filepath.Join(ro, "out.iso"))
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "is not writable")
	require.Contains(t, stderr, "fix: choose a directory you can write to")
	requireEmptyDir(t, ro)
}

func TestRemasterUnreadableInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(out, 0o777))
	require.NoError(t, os.Chmod(out, 0o777))
	in := filepath.Join(dir, "in.iso")
	data, err := os.ReadFile(smallSample(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, data, 0o000))
	code, stderr := runAsUser(t, dir, "remaster", "-i", in, "-o", filepath.Join(out, "out.iso"))
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "in.iso")
	require.Contains(t, stderr, "permission denied")
	requireEmptyDir(t, out)
}

func TestRemasterDiskFullLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	require.NoError(t, os.Mkdir(full, 0o755))
	self, err := os.Executable()
	require.NoError(t, err)
	// A 2 MiB tmpfs in a private mount namespace: the 8 MiB output cannot fit.
	script := fmt.Sprintf(`mount -t tmpfs -o size=2m esxi-byoi-full %[1]s &&
ESXI_BYOI_TEST_AS_CLI=1 %[2]s remaster -i %[3]s -o %[1]s/out.iso; code=$?
echo "left: $(ls -A %[1]s)"; exit $code`, full, self, smallSample(t))
	args := []string{"-m", "sh", "-c", script}
	if os.Geteuid() != 0 {
		args = append([]string{"-r"}, args...)
	}
	cmd := exec.Command("unshare", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	require.Equal(t, 1, ee.ExitCode(), stderr.String())
	require.Contains(t, stderr.String(), "no space left on device")
	require.Contains(t, stderr.String(), "fix: free space where the output goes")
	require.Contains(t, stdout.String(), "left: \n", "no output or temp file on the full file system")
}

func TestRemasterUsageErrorsExit2(t *testing.T) {
	for name, args := range map[string][]string{
		"no input":     {"remaster", "-o", "x.iso"},
		"no output":    {"remaster", "-i", "x.iso"},
		"unknown flag": {"remaster", "--frobnicate"},
		"stray arg":    {"remaster", "-i", "a", "-o", "b", "c"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(t, args...)
			require.Equal(t, 2, code)
			require.Contains(t, stderr, "usage: esxi-byoi remaster")
		})
	}
}

// The kernelopt flags (shared by remaster and build) reach the edit.
func TestRemasterKerneloptFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.iso")
	code, stdout, stderr := run(t, "remaster", "-i", smallSample(t), "-o", out, "--json",
		"--kernelopt-add", "allowLegacyCPU=true", "--kernelopt-add", "ks=cdrom:/KS.CFG", "--kernelopt-remove", "runweasel")
	require.Equal(t, 0, code, stderr)
	var res remaster.Result
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	for _, e := range res.Edited {
		require.Equal(t, "ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com2 allowLegacyCPU=true", e.After,
			"%s: edits apply on top of the default, not the ISO's %q", e.Path, e.Before)
	}
	require.NotContains(t, stderr, "warning")

	code, _, stderr = run(t, "remaster", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, stderr, "or to the default when --kernelopt is not given (never to the ISO's own value)")
}

// build refuses a kernelopt without ks=cdrom:/KS.CFG unless --kernelopt gave
// it explicitly; remaster (also for media booted outside the portal) warns.
func TestBuildRefusesKerneloptWithoutPortalKickstart(t *testing.T) {
	dir := t.TempDir()
	iso, yml := filepath.Join(dir, "out.iso"), filepath.Join(dir, "out.yml")
	env := map[string]string{"ESXI_ROOT_PASSWORD": testPassword, "SOURCE_DATE_EPOCH": "1767225600"}
	build := []string{"build", "-i", smallSample(t), "-p", "https://host/images", "-o", iso, "-s", yml, "-x", "true"}

	code, _, stderr := runEnv(t, env, append(build, "--kernelopt-remove", "ks", "--kernelopt-add", "allowLegacyCPU=true")...)
	require.NotEqual(t, 0, code)
	require.NotEqual(t, 70, code)
	require.Contains(t, stderr, `kernelopt="gdbPort=none logPort=none tty2Port=com2 allowLegacyCPU=true": kernelopt has no ks=cdrom:/KS.CFG`)
	require.Contains(t, stderr, "the portal serves the rendered kickstart as /KS.CFG on the virtual CD")
	require.NoFileExists(t, iso)
	require.NoFileExists(t, yml)

	code, _, stderr = runEnv(t, env, append(build, "--kernelopt", "runweasel cdromBoot")...)
	require.Equal(t, 0, code, "an explicit --kernelopt is the user's choice: %s", stderr)
	require.FileExists(t, yml)

	out := filepath.Join(t.TempDir(), "out.iso")
	code, _, stderr = run(t, "remaster", "-i", smallSample(t), "-o", out, "--kernelopt-remove", "ks")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "warning: --kernelopt-remove: gives kernelopt=\"gdbPort=none logPort=none tty2Port=com2\"")
	require.Contains(t, stderr, "build refuses this (fix: keep ks=cdrom:/KS.CFG")
}

// inspect tells a missing kernelopt= line from an empty one, in text and JSON.
func TestInspectTellsMissingKerneloptFromEmpty(t *testing.T) {
	dir := t.TempDir()
	missing := badISO(t, dir, "missing.iso", func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("\nkernelopt=runweasel cdromBoot"), []byte("\n#ernelopt=runweasel cdromBoot"))
	})
	empty := badISO(t, dir, "empty.iso", func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("\nkernelopt=runweasel cdromBoot"), []byte("\nkernelopt=                   "))
	})
	for name, tc := range map[string]struct {
		iso  string
		text string
		json string
	}{
		"missing": {missing, "/BOOT.CFG           (no kernelopt= line)", `"kernelopt": null`},
		"empty":   {empty, "/BOOT.CFG           (empty)", `"kernelopt": ""`},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, "inspect", tc.iso)
			require.Equal(t, 0, code, stderr)
			require.Contains(t, stdout, tc.text)
			code, stdout, stderr = run(t, "inspect", "--json", tc.iso)
			require.Equal(t, 0, code, stderr)
			require.Contains(t, stdout, tc.json)
			var info remaster.Info
			require.NoError(t, json.Unmarshal([]byte(stdout), &info))
			require.Len(t, info.Configs, 2)
			for _, c := range info.Configs {
				require.True(t, c.Found)
				require.Equal(t, name == "missing", c.Kernelopt == nil, c.Path)
			}
		})
	}
}

// A usage error prints its message once, with the cause it wraps: a bad flag,
// the output that is the input, a bad --size.
func TestUsageErrorSaysItOnce(t *testing.T) {
	in := smallSample(t)
	for name, tc := range map[string]struct {
		args []string
		once string
	}{
		"bad flag":  {[]string{"remaster", "--nope"}, "flag provided but not defined: -nope"},
		"same file": {[]string{"remaster", "-i", in, "-o", in}, "output is the input file"},
		"bad size":  {[]string{"sample-iso", "-o", filepath.Join(t.TempDir(), "x.iso"), "--size", "12QB"}, `size "12QB"`},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			require.Equal(t, 2, code, stderr)
			var errLine string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "error: ") {
					errLine = l
				}
			}
			require.Equal(t, 1, strings.Count(errLine, tc.once), "said once: %s", errLine)
		})
	}
}
