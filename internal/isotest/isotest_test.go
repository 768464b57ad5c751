package isotest_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/isotest"
)

var tools = map[string]isotest.Tool{
	"genisoimage": isotest.Genisoimage,
	"xorriso":     isotest.Xorriso,
}

func TestBuildMastersStockLookingImage(t *testing.T) {
	for name, tool := range tools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			iso := isotest.Build(t, isotest.FixtureOptions{Tool: tool})

			st, err := os.Stat(iso)
			require.NoError(t, err)
			require.Less(t, st.Size(), int64(8<<20), "fixtures stay small so tests are fast")

			d := isoinfo(t, "-d", "-i", iso)
			require.Contains(t, d, "Volume id: "+isotest.VolumeID+"\n")
			require.Contains(t, d, "Application id: "+isotest.ApplicationID+"\n")
			require.Contains(t, d, "NO Joliet present")
			require.Contains(t, d, "NO Rock Ridge present")

			fileName := regexp.MustCompile(`^[A-Z0-9_]{1,8}\.[A-Z0-9_]{0,3};1$`)
			dirName := regexp.MustCompile(`^[A-Z0-9_]{1,8}$`)
			rootFiles := 0
			for _, e := range isotest.Listing(t, iso, isotest.ISO9660) {
				switch {
				case e.Name == "." || e.Name == "..":
				case e.IsDir:
					require.Regexp(t, dirName, e.Name, "directory %s%s", e.Dir, e.Name)
				default:
					require.Regexp(t, fileName, e.Name, "file %s%s", e.Dir, e.Name)
					if e.Dir == "/" {
						rootFiles++
					}
				}
			}
			require.Greater(t, rootFiles, 100, "the root directory spans several sectors, as on VMware's media")
			for _, p := range []string{"/B.B00", "/K.B00", "/JUMPSTRT.GZ", "/S.V00", "/IMGPAYLD.TGZ", "/MBOOT.C32",
				"/EFI/BOOT/BOOTX64.EFI", "/UPGRADE/PRECHECK.PY"} {
				isotest.Stat(t, iso, isotest.ISO9660, p)
			}

			rep := xorrisoReport(t, iso)
			require.Regexp(t, `El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+4\s+\d+`, rep)
			require.Regexp(t, `El Torito boot img :\s+2\s+UEFI\s+y\s+none\s+`, rep)
			require.Regexp(t, `El Torito img path :\s+1\s+/ISOLINUX.BIN`, rep)
			require.Regexp(t, `El Torito img opts :\s+1\s+boot-info-table`, rep)
			require.Regexp(t, `El Torito img path :\s+2\s+/EFIBOOT.IMG`, rep)

			cfg := isotest.DefaultBootCfg()
			require.Equal(t, string(cfg), string(isotest.ExtractFile(t, iso, isotest.BIOSCfgPath)))
			require.Equal(t, string(cfg), string(isotest.ExtractFile(t, iso, isotest.UEFICfgPath)))
			require.Contains(t, string(cfg), "\nkernelopt="+isotest.StockKernelopt+"\n")
			require.Contains(t, string(cfg), "\nbuild="+isotest.StockBuild+"\n")
			require.Greater(t, len(cfg), 1500, "a realistic BOOT.CFG has a long modules= line")
			require.Less(t, len(cfg), 2048-100, "the default edit must fit in the config's last sector")

			isotest.Judge(t, iso, iso, nil, false) // the judges accept the fixture itself
		})
	}
}

func TestBuildRockJolietCarriesAllThreeTrees(t *testing.T) {
	for name, tool := range tools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			iso := isotest.Build(t, isotest.FixtureOptions{Tool: tool, RockJoliet: true})
			d := isoinfo(t, "-d", "-i", iso)
			require.Contains(t, d, "Joliet with UCS level")
			require.Contains(t, d, "Rock Ridge signatures")

			cfg := isotest.DefaultBootCfg()
			primary := isotest.Stat(t, iso, isotest.ISO9660, isotest.BIOSCfgPath)
			require.Equal(t, "BOOT.CFG;1", primary.Name)
			for _, tr := range []isotest.Tree{isotest.ISO9660, isotest.Joliet, isotest.RockRidge} {
				for _, p := range []string{isotest.BIOSCfgPath, isotest.UEFICfgPath} {
					e := isotest.Stat(t, iso, tr, p)
					require.Equal(t, int64(len(cfg)), e.Size, "%s in the %s tree", p, tr)
				}
				e := isotest.Stat(t, iso, tr, isotest.BIOSCfgPath)
				require.Equal(t, primary.Extent, e.Extent, "every tree points at the same data")
			}
			require.Equal(t, string(cfg), string(isotest.ExtractFile(t, iso, isotest.BIOSCfgPath)))
			isotest.Judge(t, iso, iso, nil, false)
		})
	}
}

func TestBuildWritesEachConfigAsGiven(t *testing.T) {
	bios := isotest.CRLF(bytes.ReplaceAll(isotest.DefaultBootCfg(), []byte("runweasel cdromBoot"), []byte("cdromBoot runweasel")))
	uefi := append([]byte("# UEFI\n"), isotest.DefaultBootCfg()...)
	iso := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: bios, UEFICfg: uefi,
		Files: map[string][]byte{"/UPGRADE/EXTRA.TXT": []byte("extra\n")}})
	require.Equal(t, string(bios), string(isotest.ExtractFile(t, iso, isotest.BIOSCfgPath)))
	require.Equal(t, string(uefi), string(isotest.ExtractFile(t, iso, isotest.UEFICfgPath)))
	require.Equal(t, "extra\n", string(isotest.ExtractFile(t, iso, "/UPGRADE/EXTRA.TXT")))
}

func TestPadConfigMakesTheConfigFillItsLastSector(t *testing.T) {
	for _, crlf := range []bool{false, true} {
		cfg := isotest.DefaultBootCfg()
		if crlf {
			cfg = isotest.CRLF(cfg)
		}
		padded := isotest.PadConfig(cfg, 2048)
		require.Len(t, padded, 2048)
		require.True(t, bytes.HasPrefix(padded, cfg))
		require.Equal(t, crlf, bytes.HasSuffix(padded, []byte("\r\n")))
		require.Equal(t, 1, bytes.Count(padded[len(cfg):], []byte("\n")), "one comment line")
	}
	for name, tool := range tools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			iso := isotest.Build(t, isotest.FixtureOptions{Tool: tool, BIOSCfg: isotest.PadConfig(isotest.DefaultBootCfg(), 2048)})
			cfg := isotest.Stat(t, iso, isotest.ISO9660, isotest.BIOSCfgPath)
			require.EqualValues(t, 2048, cfg.Size)
			next := false
			for _, e := range isotest.Listing(t, iso, isotest.ISO9660) {
				next = next || e.Extent == cfg.Extent+1
			}
			require.True(t, next, "the sector after /BOOT.CFG belongs to another file, so growing it needs relocation")
		})
	}
}

func TestJudgeAcceptsByteCopy(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	require.Zero(t, isotest.SectorsDiffer(t, in, out))
	isotest.Judge(t, in, out, nil, false)
	isotest.Judge(t, in, out, []string{isotest.BIOSCfgPath, isotest.UEFICfgPath}, true) // allowances are not demands
}

func TestJudgeRejectsChangedUneditedFile(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	k := isotest.Stat(t, in, isotest.ISO9660, "/K.B00")
	flipByte(t, out, k.Extent*2048+100)

	msgs := failures(t, func(tb testing.TB) {
		isotest.Judge(tb, in, out, []string{isotest.BIOSCfgPath, isotest.UEFICfgPath}, false)
	})
	require.NotEmpty(t, msgs, "Judge must fail")
	require.Contains(t, strings.Join(msgs, "\n"), "/K.B00: content differs (not an edited file)")
}

func TestJudgeAcceptsChangedEditedFileOnly(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	cfg := isotest.Stat(t, in, isotest.ISO9660, isotest.BIOSCfgPath)
	i := bytes.Index(isotest.DefaultBootCfg(), []byte("runweasel"))
	flipByte(t, out, cfg.Extent*2048+int64(i)) // same size, different byte

	isotest.Judge(t, in, out, []string{"/boot.cfg;1"}, false) // any case, version optional
	msgs := failures(t, func(tb testing.TB) {
		isotest.Judge(tb, in, out, []string{isotest.UEFICfgPath}, false)
	})
	require.Contains(t, strings.Join(msgs, "\n"), "/BOOT.CFG: content differs (not an edited file)")
}

func TestJudgeRejectsChangedSizeOfUneditedFile(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	// A directory record: length byte, ..., size both-endian at 10..17, name length at 32, name at 33.
	i := bytes.Index(b, []byte("\x07K.B00;1"))
	require.Positive(t, i)
	r := i - 32
	b[r+10]++ // little-endian low byte
	b[r+17]++ // big-endian low byte
	require.NoError(t, os.WriteFile(out, b, 0o644))

	msgs := failures(t, func(tb testing.TB) { isotest.Judge(tb, in, out, nil, true) })
	all := strings.Join(msgs, "\n")
	require.Contains(t, all, "K.B00;1: size")
	require.Contains(t, all, "(not an edited file)")
}

func TestJudgeRejectsStaleBootInfoTable(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	bin := isotest.Stat(t, in, isotest.ISO9660, "/ISOLINUX.BIN")
	flipByte(t, out, bin.Extent*2048+20) // bi_csum

	msgs := failures(t, func(tb testing.TB) {
		isotest.Judge(tb, in, out, []string{"/ISOLINUX.BIN"}, false) // even when declared edited
	})
	require.Contains(t, strings.Join(msgs, "\n"), "bi_csum (checksum from byte 64)")
}

func TestJudgeRejectsChangedSystemArea(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	flipByte(t, out, 446) // where an MBR partition table would start

	msgs := failures(t, func(tb testing.TB) { isotest.Judge(tb, in, out, nil, true) })
	require.Contains(t, strings.Join(msgs, "\n"), "system area (sectors 0-15)")
}

func TestJudgeRejectsVolumeGrowthUnlessRelocated(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	// PVD at sector 16; volume space size both-endian at offset 80 (ECMA-119 8.4.8).
	pvd := 16 * 2048
	b[pvd+80]++
	b[pvd+87]++
	b = append(b, make([]byte, 2048)...)
	require.NoError(t, os.WriteFile(out, b, 0o644))

	msgs := failures(t, func(tb testing.TB) { isotest.Judge(tb, in, out, nil, false) })
	require.Contains(t, strings.Join(msgs, "\n"), "Volume size is:")
	isotest.Judge(t, in, out, nil, true)
}

func TestSectorsDifferCountsSectors(t *testing.T) {
	in := isotest.Build(t, isotest.FixtureOptions{})
	out := copyISO(t, in)
	flipByte(t, out, 100*2048+5)
	flipByte(t, out, 100*2048+2000) // same sector
	flipByte(t, out, 700*2048)
	flipByte(t, out, 1200*2048+2047)
	require.Equal(t, 3, isotest.SectorsDiffer(t, in, out))
	require.Equal(t, 3, isotest.SectorsDiffer(t, out, in))

	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 2*2048+1))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.Equal(t, 6, isotest.SectorsDiffer(t, in, out), "three sectors past the end")
}

func TestAptPackagesListsEachPackageOnce(t *testing.T) {
	require.Equal(t, []string{"dosfstools", "genisoimage", "grub-common", "grub-efi-amd64-bin", "isolinux",
		"mtools", "ovmf", "qemu-system-x86", "syslinux-common", "xorriso"}, isotest.AptPackages())
}

func TestNormPath(t *testing.T) {
	for in, want := range map[string]string{
		"/BOOT.CFG;1":        "/BOOT.CFG",
		"efi/boot/boot.cfg":  "/EFI/BOOT/BOOT.CFG",
		"/EFI/BOOT/":         "/EFI/BOOT",
		"/UPGRADE.":          "/UPGRADE",
		"/":                  "/",
		"/KS.CFG":            "/KS.CFG",
		"/EFI/BOOT/BOOT.CFG": "/EFI/BOOT/BOOT.CFG",
	} {
		require.Equal(t, want, isotest.NormPath(in), in)
	}
}

func TestCleanConsoleStripsEscapesAndCR(t *testing.T) {
	in := "\x1b[2J\x1b[01;01H\x1b[=3h\x1b[0m\x1b[30m\x1b[47mWelcome\r\n\r\x1b[0m\x1b[37m\x1b[40m@@BEGIN x\r\n\rkernelopt=a b\r\n"
	require.Equal(t, "Welcome\n@@BEGIN x\nkernelopt=a b\n", isotest.CleanConsole(in))
}

func TestBootBIOSPrintsBootCfg(t *testing.T) {
	for name, tool := range tools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			iso := isotest.Build(t, isotest.FixtureOptions{Tool: tool})
			console := isotest.BootBIOS(t, iso)
			require.Equal(t, isotest.StockKernelopt, isotest.Kernelopt(t, console))
			require.Contains(t, console, "build="+isotest.StockBuild+"\n")
		})
	}
}

func TestBootUEFIPrintsUEFICfgAndKickstart(t *testing.T) {
	for name, tool := range tools {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			iso := isotest.Build(t, isotest.FixtureOptions{Tool: tool})
			console := isotest.BootUEFI(t, iso)
			require.Equal(t, isotest.StockKernelopt, isotest.Kernelopt(t, console))
			cfg, ok := isotest.UEFISection(console, isotest.UEFICfgPath)
			require.True(t, ok, console)
			require.Contains(t, cfg, "kernelopt="+isotest.StockKernelopt+"\n")
			_, ok = isotest.UEFISection(console, isotest.KSPath)
			require.False(t, ok, "no /KS.CFG on the CD, none printed")
		})
	}
	t.Run("with KS.CFG", func(t *testing.T) {
		t.Parallel()
		ks := "vmaccepteula\nrootpw --iscrypted $6$x$y\ninstall --firstdisk --overwritevmfs\n"
		iso := isotest.Build(t, isotest.FixtureOptions{Tool: isotest.Xorriso, Files: map[string][]byte{isotest.KSPath: []byte(ks)}})
		console := isotest.BootUEFI(t, iso)
		got, ok := isotest.UEFISection(console, isotest.KSPath)
		require.True(t, ok, console)
		require.Equal(t, ks, got)
	})
}

func TestBootsReadTheirOwnConfig(t *testing.T) {
	bios := bytes.ReplaceAll(isotest.DefaultBootCfg(), []byte(isotest.StockKernelopt), []byte("bios only"))
	uefi := isotest.CRLF(bytes.ReplaceAll(isotest.DefaultBootCfg(), []byte(isotest.StockKernelopt), []byte("uefi only")))
	iso := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: bios, UEFICfg: uefi})
	var wg sync.WaitGroup
	var biosConsole, uefiConsole string
	wg.Add(2)
	go func() { defer wg.Done(); biosConsole = isotest.BootBIOS(t, iso) }()
	go func() { defer wg.Done(); uefiConsole = isotest.BootUEFI(t, iso) }()
	wg.Wait()
	require.Equal(t, "bios only", isotest.Kernelopt(t, biosConsole))
	require.Equal(t, "uefi only", isotest.Kernelopt(t, uefiConsole))
}

// recorder is a testing.TB that records failures instead of failing the test;
// Fatal* and FailNow end the calling goroutine as the testing package does.
type recorder struct {
	testing.TB // TempDir, Cleanup, Log* go to the real test
	mu         sync.Mutex
	msgs       []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Error(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fail()                             { r.Errorf("Fail called") }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs) > 0
}

// failures runs fn with a recorder and returns what it reported.
func failures(t *testing.T, fn func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	for _, m := range r.msgs {
		t.Logf("recorded failure: %s", m)
	}
	return r.msgs
}

func copyISO(t *testing.T, in string) string {
	b, err := os.ReadFile(in)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "out.iso")
	require.NoError(t, os.WriteFile(out, b, 0o644))
	return out
}

func flipByte(t *testing.T, path string, off int64) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= 0x20
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}

func isoinfo(t *testing.T, args ...string) string {
	out, err := execOut("isoinfo", args...)
	require.NoError(t, err)
	return out
}

func xorrisoReport(t *testing.T, iso string) string {
	out, err := execOut("xorriso", "-indev", iso, "-report_el_torito", "plain")
	require.NoError(t, err)
	return out
}

// execOut runs a tool directly, not through the package under test, and
// returns its stdout.
func execOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return string(out), err
}
