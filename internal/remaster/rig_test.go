package remaster_test

// The rig: every test here masters a fixture the way VMware does
// (internal/isotest), remasters it with Run, and lets independent tools judge
// the result (xorriso, osirrox, isoinfo, and QEMU boots through isolinux and
// GRUB). Nothing here reads the image with our own code.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/isotest"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

// bothConfigs are the files every remaster edits.
var bothConfigs = []string{isotest.BIOSCfgPath, isotest.UEFICfgPath}

// maxChangedSectors is the acceptance bound when the edits fit in place: the
// two configs' data, their directory records (ISO 9660, Joliet), and slack.
const maxChangedSectors = 8

var fixtureTools = map[string]isotest.Tool{
	"genisoimage": isotest.Genisoimage,
	"xorriso":     isotest.Xorriso,
}

func TestRunEditsBothConfigsToDefaultKernelopt(t *testing.T) {
	for name, tool := range fixtureTools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, isotest.FixtureOptions{Tool: tool})
			inSum := fileSHA256(t, in)
			out, res := run(t, remaster.Options{Input: in})

			want := setKernelopt(t, isotest.DefaultBootCfg(), remaster.DefaultKernelopt)
			requireConfig(t, out, isotest.BIOSCfgPath, want)
			requireConfig(t, out, isotest.UEFICfgPath, want)
			for _, p := range bothConfigs {
				e := editedFile(t, res, p)
				require.Equal(t, isotest.StockKernelopt, e.Before, p)
				require.Equal(t, remaster.DefaultKernelopt, e.After, p)
				require.False(t, e.Relocated, "%s: the edit fits in the file's last sector", p)
			}
			require.Equal(t, isotest.VolumeID, res.VolumeID)
			require.Equal(t, "8.0.3", res.Version, "from build=%s", isotest.StockBuild)
			require.Equal(t, "24022510", res.Build, "from build=%s", isotest.StockBuild)
			require.Equal(t, inSum, fileSHA256(t, in), "the input is never written")

			isotest.Judge(t, in, out, bothConfigs, false)
		})
	}
}

func TestRunEditsKerneloptWhateverTheStockTokenOrder(t *testing.T) {
	for name, stock := range map[string]string{
		"runweasel first (7.0U3 and later)": "runweasel cdromBoot",
		"cdromBoot first (6.7, 7.0U2)":      "cdromBoot runweasel",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := setKernelopt(t, isotest.DefaultBootCfg(), stock)
			in := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: cfg})

			out, _ := run(t, remaster.Options{Input: in})
			want := setKernelopt(t, cfg, remaster.DefaultKernelopt)
			requireConfig(t, out, isotest.BIOSCfgPath, want)
			requireConfig(t, out, isotest.UEFICfgPath, want)
			isotest.Judge(t, in, out, bothConfigs, false)

			// Token edits apply on top of the default, never on top of the
			// stock value, whatever its order.
			out, res := run(t, remaster.Options{Input: in, Kernelopt: remaster.KerneloptEdit{
				Add: []string{"allowLegacyCPU=true"}, Remove: []string{"gdbPort"},
			}})
			want = setKernelopt(t, cfg, "ks=cdrom:/KS.CFG logPort=none tty2Port=com2 allowLegacyCPU=true")
			requireConfig(t, out, isotest.BIOSCfgPath, want)
			requireConfig(t, out, isotest.UEFICfgPath, want)
			require.Equal(t, stock, editedFile(t, res, isotest.BIOSCfgPath).Before)
			isotest.Judge(t, in, out, bothConfigs, false)
		})
	}
}

func TestRunKeepsCRLFLineEndings(t *testing.T) {
	cfg := isotest.CRLF(isotest.DefaultBootCfg())
	in := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: cfg})
	out, _ := run(t, remaster.Options{Input: in})

	want := setKernelopt(t, cfg, remaster.DefaultKernelopt)
	require.Equal(t, bytes.Count(cfg, []byte("\r\n")), bytes.Count(want, []byte("\r\n")))
	requireConfig(t, out, isotest.BIOSCfgPath, want)
	requireConfig(t, out, isotest.UEFICfgPath, want)
	isotest.Judge(t, in, out, bothConfigs, false)
}

func TestRunEditsConfigWithEmptyBuild(t *testing.T) {
	cfg := bytes.Replace(isotest.DefaultBootCfg(), []byte("\nbuild="+isotest.StockBuild+"\n"), []byte("\nbuild=\n"), 1)
	require.Contains(t, string(cfg), "\nbuild=\n")
	in := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: cfg})
	out, res := run(t, remaster.Options{Input: in})

	want := setKernelopt(t, cfg, remaster.DefaultKernelopt)
	requireConfig(t, out, isotest.BIOSCfgPath, want)
	requireConfig(t, out, isotest.UEFICfgPath, want)
	require.Equal(t, isotest.VolumeID, res.VolumeID)
	isotest.Judge(t, in, out, bothConfigs, false)
}

func TestRunKeepsCommentsAndUnknownKeys(t *testing.T) {
	cfg := []byte("# ESXi installer, do not edit\n" +
		"bootstate=0\n" +
		"title=Loading ESXi installer\n" +
		"#kernelopt=this is a comment and must stay\n" +
		"timeout=5\n" +
		"prefix=\n" +
		"kernel=/b.b00\n" +
		"kernelopt=runweasel cdromBoot\n" +
		"  # indented comment\n" +
		"\n" +
		"futurekey=some value=with equals\n" +
		"modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00\n" +
		"build=" + isotest.StockBuild + "\n" +
		"updated=0\n" +
		"# trailing comment without newline")
	in := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: cfg})
	out, _ := run(t, remaster.Options{Input: in})

	want := bytes.Replace(cfg, []byte("\nkernelopt=runweasel cdromBoot\n"), []byte("\nkernelopt="+remaster.DefaultKernelopt+"\n"), 1)
	requireConfig(t, out, isotest.BIOSCfgPath, want)
	requireConfig(t, out, isotest.UEFICfgPath, want)
	isotest.Judge(t, in, out, bothConfigs, false)
}

func TestRunEditsDifferingConfigsEachOnItsOwn(t *testing.T) {
	bios := isotest.DefaultBootCfg()
	uefi := append([]byte("# UEFI boot\n"), setKernelopt(t, isotest.CRLF(isotest.DefaultBootCfg()), "cdromBoot runweasel allowLegacyCPU=true")...)
	uefi = bytes.Replace(uefi, []byte("timeout=5"), []byte("timeout=3"), 1)
	in := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: bios, UEFICfg: uefi})

	out, res := run(t, remaster.Options{Input: in, Kernelopt: remaster.KerneloptEdit{
		Add:    []string{"allowLegacyCPU=false"},
		Remove: []string{"tty2Port"},
	}})
	// The same value in both (it is built from the default, not from each
	// file's own), written into each file's own bytes and line endings.
	const value = "ks=cdrom:/KS.CFG gdbPort=none logPort=none allowLegacyCPU=false"
	requireConfig(t, out, isotest.BIOSCfgPath, setKernelopt(t, bios, value))
	requireConfig(t, out, isotest.UEFICfgPath, setKernelopt(t, uefi, value))
	require.Equal(t, "runweasel cdromBoot", editedFile(t, res, isotest.BIOSCfgPath).Before)
	require.Equal(t, "cdromBoot runweasel allowLegacyCPU=true", editedFile(t, res, isotest.UEFICfgPath).Before)
	isotest.Judge(t, in, out, bothConfigs, false)
}

func TestRunRelocatesConfigsThatOutgrowTheirSector(t *testing.T) {
	full := isotest.PadConfig(isotest.DefaultBootCfg(), 2048) // fills its last sector exactly
	for name, tool := range fixtureTools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, isotest.FixtureOptions{Tool: tool, BIOSCfg: full})
			inSize, inEnd := fileSize(t, in), dataEnd(t, in)
			out, res := run(t, remaster.Options{Input: in})

			want := setKernelopt(t, full, remaster.DefaultKernelopt)
			require.Greater(t, len(want), 2048)
			for _, p := range bothConfigs {
				requireConfig(t, out, p, want)
				require.True(t, editedFile(t, res, p).Relocated, "%s grew past its sector", p)
				before, after := isotest.Stat(t, in, isotest.ISO9660, p), isotest.Stat(t, out, isotest.ISO9660, p)
				require.NotEqual(t, before.Extent, after.Extent, "%s moved", p)
				require.GreaterOrEqual(t, after.Extent, inEnd,
					"%s moved past every file and directory of the input, so it overwrites none", p)
			}
			require.Greater(t, fileSize(t, out), inSize)
			isotest.Judge(t, in, out, bothConfigs, true)

			require.Equal(t, remaster.DefaultKernelopt, isotest.Kernelopt(t, isotest.BootBIOS(t, out)),
				"isolinux reads the relocated /BOOT.CFG")
			require.Equal(t, remaster.DefaultKernelopt, isotest.Kernelopt(t, isotest.BootUEFI(t, out)),
				"GRUB reads the relocated /EFI/BOOT/BOOT.CFG")
		})
	}
}

func TestRunUpdatesEveryTreeOfRockRidgeJolietInput(t *testing.T) {
	trees := []isotest.Tree{isotest.ISO9660, isotest.Joliet, isotest.RockRidge}
	for name, tc := range map[string]struct {
		tool      isotest.Tool
		cfg       []byte
		relocated bool
	}{
		"genisoimage":           {tool: isotest.Genisoimage, cfg: isotest.DefaultBootCfg()},
		"xorriso":               {tool: isotest.Xorriso, cfg: isotest.DefaultBootCfg()},
		"genisoimage relocated": {tool: isotest.Genisoimage, cfg: isotest.PadConfig(isotest.DefaultBootCfg(), 2048), relocated: true},
		"xorriso relocated":     {tool: isotest.Xorriso, cfg: isotest.PadConfig(isotest.DefaultBootCfg(), 2048), relocated: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, isotest.FixtureOptions{Tool: tc.tool, RockJoliet: true, BIOSCfg: tc.cfg})
			out, _ := run(t, remaster.Options{Input: in})

			want := setKernelopt(t, tc.cfg, remaster.DefaultKernelopt)
			for _, p := range bothConfigs {
				requireConfig(t, out, p, want) // osirrox reads the Rock Ridge tree
				primary := isotest.Stat(t, out, isotest.ISO9660, p)
				for _, tr := range trees {
					e := isotest.Stat(t, out, tr, p)
					require.Equal(t, int64(len(want)), e.Size, "%s: size in the %s tree", p, tr)
					require.Equal(t, primary.Extent, e.Extent, "%s: extent in the %s tree", p, tr)
				}
			}
			isotest.Judge(t, in, out, bothConfigs, tc.relocated)
		})
	}
}

func TestRunIsReproducible(t *testing.T) {
	ks := writeKickstart(t)
	for name, tc := range map[string]struct {
		fixture isotest.FixtureOptions
		opts    remaster.Options
	}{
		"edit in place": {},
		"relocation and kickstart": {
			fixture: isotest.FixtureOptions{BIOSCfg: isotest.PadConfig(isotest.DefaultBootCfg(), 2048)},
			opts:    remaster.Options{EmbedKickstart: ks},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, tc.fixture)
			opts := tc.opts
			opts.Input = in
			a, ra := run(t, opts)
			b, rb := run(t, opts)
			require.Equal(t, fileSHA256(t, a), fileSHA256(t, b), "same input and options, byte-identical output")
			require.Zero(t, isotest.SectorsDiffer(t, a, b))
			ra.Output, rb.Output = "", ""
			require.Equal(t, ra, rb)
		})
	}
}

func TestRunChangesAtMostEightSectorsWhenEditFits(t *testing.T) {
	for name, fx := range map[string]isotest.FixtureOptions{
		"genisoimage":             {Tool: isotest.Genisoimage},
		"xorriso":                 {Tool: isotest.Xorriso},
		"genisoimage rock joliet": {Tool: isotest.Genisoimage, RockJoliet: true},
		"xorriso rock joliet":     {Tool: isotest.Xorriso, RockJoliet: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, fx)
			out, _ := run(t, remaster.Options{Input: in})
			require.Equal(t, fileSize(t, in), fileSize(t, out), "nothing relocated, nothing appended")
			n := isotest.SectorsDiffer(t, in, out)
			t.Logf("%d sectors differ", n)
			require.LessOrEqual(t, n, maxChangedSectors)
			require.Positive(t, n)
		})
	}
}

func TestRunReportsSizeAndSHA256OfTheWrittenFile(t *testing.T) {
	for name, cfg := range map[string][]byte{
		"in place":  isotest.DefaultBootCfg(),
		"relocated": isotest.PadConfig(isotest.DefaultBootCfg(), 2048),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: cfg})
			out, res := run(t, remaster.Options{Input: in})
			require.Equal(t, out, res.Output)
			require.Equal(t, fileSize(t, out), res.Size)
			require.Equal(t, fileSHA256(t, out), res.SHA256)
			require.Regexp(t, `^[0-9a-f]{64}$`, res.SHA256)
		})
	}
}

func TestRemasteredImageBootsWithEditedKernelopt(t *testing.T) {
	for name, tool := range fixtureTools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, isotest.FixtureOptions{Tool: tool})
			out, _ := run(t, remaster.Options{Input: in})
			t.Run("BIOS", func(t *testing.T) {
				t.Parallel()
				console := isotest.BootBIOS(t, out)
				require.Equal(t, remaster.DefaultKernelopt, isotest.Kernelopt(t, console))
			})
			t.Run("UEFI", func(t *testing.T) {
				t.Parallel()
				console := isotest.BootUEFI(t, out)
				require.Equal(t, remaster.DefaultKernelopt, isotest.Kernelopt(t, console))
				_, ok := isotest.UEFISection(console, isotest.KSPath)
				require.False(t, ok, "no /KS.CFG unless asked for")
			})
		})
	}
}

func TestRunEmbedsKickstartAsKSCFG(t *testing.T) {
	ks := writeKickstart(t)
	want := readFile(t, ks)
	for name, tool := range fixtureTools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := isotest.Build(t, isotest.FixtureOptions{Tool: tool})
			out, res := run(t, remaster.Options{Input: in, EmbedKickstart: ks})

			require.Equal(t, string(want), string(isotest.ExtractFile(t, out, isotest.KSPath)))
			e := isotest.Stat(t, out, isotest.ISO9660, isotest.KSPath)
			require.Equal(t, "KS.CFG;1", e.Name, "uppercase 8.3 with version, like every other name")
			require.Equal(t, int64(len(want)), e.Size)
			editedFile(t, res, isotest.KSPath)
			requireConfig(t, out, isotest.BIOSCfgPath, setKernelopt(t, isotest.DefaultBootCfg(), remaster.DefaultKernelopt))
			isotest.Judge(t, in, out, []string{isotest.BIOSCfgPath, isotest.UEFICfgPath, isotest.KSPath}, true)

			console := isotest.BootUEFI(t, out)
			require.Equal(t, remaster.DefaultKernelopt, isotest.Kernelopt(t, console))
			printed, ok := isotest.UEFISection(console, isotest.KSPath)
			require.True(t, ok, "GRUB finds /KS.CFG on the CD:\n%s", console)
			require.Equal(t, string(want), printed)

			// isolinux's cat.c32 prints /BOOT.CFG then /KS.CFG (see the fixture's
			// ISOLINUX.CFG): the BIOS path reads the added file too.
			bios := isotest.BootBIOS(t, out)
			require.Equal(t, remaster.DefaultKernelopt, isotest.Kernelopt(t, bios))
			require.Contains(t, bios, "updated=0\n"+string(want), "BIOS boot prints /KS.CFG after /BOOT.CFG")
			require.NotContains(t, bios, "/KS.CFG: file not found")
		})
	}
}

// run remasters opts.Input into a fresh output path and returns it with the result.
func run(t *testing.T, opts remaster.Options) (string, *remaster.Result) {
	t.Helper()
	if opts.Output == "" {
		opts.Output = filepath.Join(t.TempDir(), "out.iso")
	}
	if opts.Progress == nil {
		opts.Progress = progress.Discard
	}
	res, err := remaster.Run(t.Context(), opts)
	require.NoError(t, err, "remaster %s", opts.Input)
	require.NotNil(t, res)
	return opts.Output, res
}

// setKernelopt returns cfg with the value of its one kernelopt= line replaced,
// every other byte (line endings included) kept.
func setKernelopt(t *testing.T, cfg []byte, value string) []byte {
	t.Helper()
	var out []byte
	n := 0
	for _, line := range bytes.SplitAfter(cfg, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("kernelopt=")) {
			n++
			eol := line[len(bytes.TrimRight(line, "\r\n")):]
			line = append([]byte("kernelopt="+value), eol...)
		}
		out = append(out, line...)
	}
	require.Equal(t, 1, n, "config must have exactly one kernelopt= line:\n%s", cfg)
	return out
}

// requireConfig asserts the file at p in iso, extracted by osirrox, is want.
func requireConfig(t *testing.T, iso, p string, want []byte) {
	t.Helper()
	got := isotest.ExtractFile(t, iso, p)
	require.Equal(t, strings.ReplaceAll(string(want), "\r", `\r`), strings.ReplaceAll(string(got), "\r", `\r`), "%s in %s", p, iso)
}

func editedFile(t *testing.T, res *remaster.Result, p string) remaster.EditedFile {
	t.Helper()
	for _, e := range res.Edited {
		if e.Path == p {
			return e
		}
	}
	require.Failf(t, "file not reported as edited", "%s not in Result.Edited %+v", p, res.Edited)
	return remaster.EditedFile{}
}

func writeKickstart(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ks.cfg")
	ks := "vmaccepteula\n" +
		"rootpw --iscrypted $6$saltsalt$0123456789abcdef\n" +
		"install --firstdisk --overwritevmfs\n" +
		"network --bootproto=dhcp\n" +
		"%post --interpreter=busybox\n" +
		"/bin/poweroff -n\n"
	require.NoError(t, os.WriteFile(p, []byte(ks), 0o644))
	return p
}

// dataEnd returns the first sector after every extent of iso's ISO 9660
// tree (files and directories) as isoinfo lists it.
func dataEnd(t *testing.T, iso string) int64 {
	t.Helper()
	var end int64
	for _, e := range isotest.Listing(t, iso, isotest.ISO9660) {
		end = max(end, e.Extent+(e.Size+2047)/2048)
	}
	return end
}

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	sum := sha256.Sum256(readFile(t, p))
	return hex.EncodeToString(sum[:])
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	st, err := os.Stat(p)
	require.NoError(t, err)
	return st.Size()
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// genisoimage writes hard-linked files (its default -cache-inodes) as
// directory records that share one data extent.
func TestRunEditsHardLinkedConfigsOnce(t *testing.T) {
	tree := t.TempDir()
	cfg := isotest.DefaultBootCfg()
	require.NoError(t, os.MkdirAll(filepath.Join(tree, "EFI", "BOOT"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tree, "BOOT.CFG"), cfg, 0o644))
	require.NoError(t, os.Link(filepath.Join(tree, "BOOT.CFG"), filepath.Join(tree, "EFI", "BOOT", "BOOT.CFG")))
	require.NoError(t, os.WriteFile(filepath.Join(tree, "B.B00"), bytes.Repeat([]byte("kernel"), 5000), 0o644))
	in := filepath.Join(t.TempDir(), "linked.iso")
	cmd := exec.Command("genisoimage", "-quiet", "-input-charset", "utf-8", "-iso-level", "1", "-V", isotest.VolumeID, "-o", in, tree)
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", outb)
	require.Equal(t, isotest.Stat(t, in, isotest.ISO9660, isotest.BIOSCfgPath).Extent,
		isotest.Stat(t, in, isotest.ISO9660, isotest.UEFICfgPath).Extent, "the fixture shares one extent")

	out, res := run(t, remaster.Options{Input: in, Kernelopt: remaster.KerneloptEdit{Add: []string{"allowLegacyCPU=true"}}})
	want := setKernelopt(t, cfg, remaster.DefaultKernelopt+" allowLegacyCPU=true")
	for _, p := range bothConfigs {
		requireConfig(t, out, p, want) // edited once: the token is not added twice
		e := editedFile(t, res, p)
		require.Equal(t, isotest.StockKernelopt, e.Before, p)
		require.Equal(t, remaster.DefaultKernelopt+" allowLegacyCPU=true", e.After, p)
	}
	require.Equal(t, isotest.Stat(t, out, isotest.ISO9660, isotest.BIOSCfgPath).Extent,
		isotest.Stat(t, out, isotest.ISO9660, isotest.UEFICfgPath).Extent, "still one extent")
}
