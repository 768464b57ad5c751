package isotest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Tool names the program that masters a fixture.
type Tool string

// The mastering programs Build knows.
const (
	Genisoimage Tool = "genisoimage"         // what VMware's and HPE's scripts use
	Xorriso     Tool = "xorriso -as mkisofs" // libisofs: different layout, same standard
)

// Identity of the fixture, as on VMware's 8.0U3 GA media.
const (
	VolumeID       = "ESXI-8.0U3-24022510-STANDARD"
	ApplicationID  = "ESXIMAGE"
	StockBuild     = "8.0.3-0.0.24022510"
	StockKernelopt = "runweasel cdromBoot" // order of 7.0U3 and later
)

// The paths Build writes that tests name.
const (
	BIOSCfgPath = "/BOOT.CFG"
	UEFICfgPath = "/EFI/BOOT/BOOT.CFG"
	KSPath      = "/KS.CFG"
)

// FixtureOptions vary the image Build makes. The zero value is a stock-looking
// 8.0U3 installer: plain ISO 9660 level 1, both configs = [DefaultBootCfg].
type FixtureOptions struct {
	// Tool masters the image; "" means Genisoimage.
	Tool Tool
	// RockJoliet adds Rock Ridge and Joliet trees (-R -J), as HPE's old recipe
	// did; stock media have neither.
	RockJoliet bool
	// BIOSCfg is /BOOT.CFG; nil means DefaultBootCfg().
	BIOSCfg []byte
	// UEFICfg is /EFI/BOOT/BOOT.CFG; nil means the same bytes as BIOSCfg
	// (stock media carry two identical files).
	UEFICfg []byte
	// Files adds or replaces files: ISO path ("/UPGRADE/X.TXT") → content.
	// Names must be ISO 9660 level 1 (uppercase 8.3, d-characters).
	Files map[string][]byte
}

// modules is the payload list of an 8.0U3 BOOT.CFG, in its order. Build writes
// a filler file for each, so the root directory spans several sectors as on
// real media.
var modules = strings.Fields(`jumpstrt.gz useropts.gz features.gz k.b00 uc_intel.b00
uc_amd.b00 uc_hygon.b00 procfs.b00 vmx.v00 vim.v00 tpm.v00 sb.v00 s.v00 atlantic.v00
bcm_mpi3.v00 bnxtnet.v00 bnxtroce.v00 brcmfcoe.v00 cndi_igc.v00 dwi2c.v00 elxiscsi.v00
elxnet.v00 i40en.v00 iavmd.v00 icen.v00 igbn.v00 intelgpi.v00 ionic_cl.v00 ionic_en.v00
irdman.v00 iser.v00 ixgben.v00 lpfc.v00 lpnic.v00 lsi_mr3.v00 lsi_msgp.v00 lsi_msgp.v01
lsi_msgp.v02 mtip32xx.v00 ne1000.v00 nenic.v00 nfnic.v00 nhpsa.v00 nipmi.v00 nmlx5_cc.v00
nmlx5_co.v00 nmlx5_rd.v00 ntg3.v00 nvme_pci.v00 nvmerdma.v00 nvmetcp.v00 nvmxnet3.v00
nvmxnet3.v01 pvscsi.v00 qcnic.v00 qedentv.v00 qedrntv.v00 qfle3.v00 qfle3f.v00 qfle3i.v00
qflge.v00 rdmahl.v00 rste.v00 sfvmk.v00 smartpqi.v00 vmkata.v00 vmksdhci.v00 vmkusb.v00
vmw_ahci.v00 bmcal.v00 clusters.v00 crx.v00 drivervm.v00 elx_esx_.v00 btldr.v00
esx_dvfi.v00 esx_ui.v00 esxupdt.v00 tpmesxup.v00 weaselin.v00 esxio_co.v00 infravis.v00
loadesx.v00 lsuv2_hp.v00 lsuv2_in.v00 lsuv2_ls.v00 lsuv2_nv.v00 lsuv2_oe.v00 lsuv2_oe.v01
lsuv2_sm.v00 native_m.v00 qlnative.v00 trx.v00 vdfs.v00 vds_vsip.v00 vmware_e.v00
hbrsrv.v00 vsan.v00 vsanheal.v00 vsanmgmt.v00 tools.t00 xorg.v00 gc.v00 imgdb.tgz
basemisc.tgz resvibs.tgz esxiodpt.tgz imgpayld.tgz`)

// bigFiles get sizes that make the image a few MB; every other filler is a
// few KB. None is a multiple of 2048, so each leaves slack in its last sector.
var bigFiles = map[string]int{
	"B.B00":        393_217,
	"K.B00":        131_077,
	"S.V00":        262_151,
	"IMGPAYLD.TGZ": 196_613,
	"SB.V00":       65_539,
}

// DefaultBootCfg returns a fresh copy of a realistic 8.0U3 BOOT.CFG (LF line
// endings, kernelopt=runweasel cdromBoot, a long modules= line, build=). It
// leaves enough slack in its last sector for the default kernelopt edit.
func DefaultBootCfg() []byte {
	var b strings.Builder
	b.WriteString("bootstate=0\n")
	b.WriteString("title=Loading ESXi installer\n")
	b.WriteString("timeout=5\n")
	b.WriteString("prefix=\n")
	b.WriteString("kernel=/b.b00\n")
	b.WriteString("kernelopt=" + StockKernelopt + "\n")
	b.WriteString("modules=/" + strings.Join(modules, " --- /") + "\n")
	b.WriteString("build=" + StockBuild + "\n")
	b.WriteString("updated=0\n")
	return []byte(b.String())
}

// CRLF returns cfg with every LF turned into CRLF.
func CRLF(cfg []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(cfg, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// PadConfig returns cfg grown to exactly size bytes by a trailing "#" comment
// line (which the ESXi loader ignores), keeping cfg's line ending style. A
// size that is a multiple of 2048 makes the file fill its last sector, so any
// growth forces the engine to relocate it. It panics if cfg cannot be padded
// to size (cfg must end with a newline and size ≥ len(cfg)+3).
func PadConfig(cfg []byte, size int) []byte {
	eol := "\n"
	if bytes.HasSuffix(cfg, []byte("\r\n")) {
		eol = "\r\n"
	}
	n := size - len(cfg) - 1 - len(eol) // "#" + filler + eol
	if !bytes.HasSuffix(cfg, []byte("\n")) || n < 0 {
		panic(fmt.Sprintf("isotest: PadConfig: cannot pad %d bytes to %d", len(cfg), size))
	}
	out := append(bytes.Clone(cfg), '#')
	out = append(out, bytes.Repeat([]byte{'x'}, n)...)
	return append(out, eol...)
}

// isolinuxCfg makes a BIOS boot print /BOOT.CFG, then /KS.CFG (or cat.c32's
// "file not found" when there is none), on COM1 and return to the boot:
// prompt, which is how BootBIOS knows the files have been printed.
const isolinuxCfg = `SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT showcfg
LABEL showcfg
  COM32 cat.c32
  APPEND /BOOT.CFG /KS.CFG
`

// syslinuxModules are copied from syslinux-common: ldlinux.c32 is isolinux's
// second stage, cat.c32 prints a file and needs libcom32/libutil; mboot.c32 and
// menu.c32 are there because ESXi media carry them.
var syslinuxModules = []string{"ldlinux.c32", "libcom32.c32", "libutil.c32", "cat.c32", "mboot.c32", "menu.c32"}

// fixtureTime stamps every file, so listings of two builds agree on dates.
var fixtureTime = time.Date(2024, 6, 25, 12, 0, 0, 0, time.UTC)

// Build masters an ESXi-like installer ISO in t.TempDir() and returns its
// path. The BIOS El Torito entry is Debian's isolinux.bin (no emulation, load
// size 4, boot-info-table) set up to print /BOOT.CFG on the serial console;
// the UEFI entry is a FAT EFIBOOT.IMG whose GRUB prints /EFI/BOOT/BOOT.CFG and
// /KS.CFG. The image is about 5 MB and builds in well under a second.
func Build(t testing.TB, opts FixtureOptions) string {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	files := fixtureFiles(t, opts)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(tree, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatalf("isotest: build fixture: %v", err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			t.Fatalf("isotest: build fixture: %v", err)
		}
	}
	err := filepath.Walk(tree, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, fixtureTime, fixtureTime)
	})
	if err != nil {
		t.Fatalf("isotest: build fixture: %v", err)
	}

	iso := filepath.Join(dir, "esxi.iso")
	args := []string{"-o", iso, "-iso-level", "1"}
	if opts.RockJoliet {
		args = append(args, "-R", "-J")
	}
	args = append(args,
		"-V", VolumeID, "-A", ApplicationID,
		"-b", "ISOLINUX.BIN", "-c", "BOOT.CAT", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
		"-eltorito-alt-boot", "-e", "EFIBOOT.IMG", "-no-emul-boot",
		tree)
	switch opts.Tool {
	case "", Genisoimage:
		// Level 1 and no -R/-J: uppercase 8.3 names with ;1, like VMware's media.
		// -input-charset only silences a warning; the names are ASCII.
		runTool(t, "genisoimage", append([]string{"-quiet", "-input-charset", "utf-8"}, args...)...)
	case Xorriso:
		if !opts.RockJoliet {
			args = append([]string{"--norock"}, args...) // -as mkisofs adds Rock Ridge unless told not to
		}
		runTool(t, "xorriso", append([]string{"-as", "mkisofs", "-quiet"}, args...)...)
	default:
		t.Fatalf("isotest: unknown FixtureOptions.Tool %q", opts.Tool)
	}
	return iso
}

// fixtureFiles returns every file of the fixture tree by ISO path.
func fixtureFiles(t testing.TB, opts FixtureOptions) map[string][]byte {
	t.Helper()
	boot := bootFiles(t)
	needFile(t, isolinuxBin)
	files := map[string][]byte{
		"/ISOLINUX.BIN":          readFile(t, isolinuxBin),
		"/ISOLINUX.CFG":          []byte(isolinuxCfg),
		"/EFIBOOT.IMG":           boot.efiImg,
		"/EFI/BOOT/BOOTX64.EFI":  boot.grub,
		"/EFI/BOOT/CRYPTO64.EFI": filler("CRYPTO64.EFI", 40_961),
		"/UPGRADE/PRECHECK.PY":   filler("PRECHECK.PY", 52_121),
		"/UPGRADE/PROFILE.XML":   filler("PROFILE.XML", 3_001),
		"/UPGRADE/METADATA.ZIP":  filler("METADATA.ZIP", 9_999),
	}
	for _, m := range syslinuxModules {
		p := filepath.Join(syslinuxModDir, m)
		needFile(t, p)
		files["/"+strings.ToUpper(m)] = readFile(t, p)
	}
	for _, m := range append([]string{"b.b00"}, modules...) {
		name := strings.ToUpper(m)
		size, ok := bigFiles[name]
		if !ok {
			size = 1024 + int(sha256.Sum256([]byte(name))[0])*37 // 1..10.5 KB
		}
		files["/"+name] = filler(name, size)
	}
	bios := opts.BIOSCfg
	if bios == nil {
		bios = DefaultBootCfg()
	}
	uefi := opts.UEFICfg
	if uefi == nil {
		uefi = bios
	}
	files[BIOSCfgPath] = bios
	files[UEFICfgPath] = uefi
	for name, b := range opts.Files {
		if !strings.HasPrefix(name, "/") || path.Clean(name) != name {
			t.Fatalf("isotest: FixtureOptions.Files: %q is not an absolute clean ISO path", name)
		}
		files[name] = b
	}
	return files
}

// filler returns size bytes of incompressible data derived from name, so every
// file has distinct sectors and byte comparisons mean something.
func filler(name string, size int) []byte {
	r := rand.NewChaCha8(sha256.Sum256([]byte(name)))
	b := make([]byte, size)
	_, _ = r.Read(b) // ChaCha8.Read never fails
	return b
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("isotest: %v", err)
	}
	return b
}
