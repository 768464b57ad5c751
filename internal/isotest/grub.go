package isotest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// grubCfg is embedded in the GRUB EFI binary. It finds the CD by a file only
// the ISO 9660 tree has, prints the UEFI config and /KS.CFG between markers
// ([UEFISection] reads them) and powers off, which ends QEMU.
// GRUB lists plain ISO 9660 names in lowercase and its test -f compares case
// sensitively (cat and search do not), hence both spellings of /KS.CFG; cat
// --dos prints CRLF files without "<d>" for every CR.
// terminal_output console alone: OVMF already mirrors ConOut to the serial
// port, so adding GRUB's serial terminal would print every character twice.
var grubCfg = `set pager=0
terminal_output console
search --no-floppy --file --set=root ` + UEFICfgPath + `
echo "` + markBegin + UEFICfgPath + `"
cat --dos ` + UEFICfgPath + `
echo "` + markEnd + UEFICfgPath + `"
if [ -f ` + strings.ToLower(KSPath) + ` -o -f ` + KSPath + ` ]; then
  echo "` + markBegin + KSPath + `"
  cat --dos ` + KSPath + `
  echo "` + markEnd + KSPath + `"
fi
echo "` + markHalt + `"
halt
`

// Markers GRUB prints around each file; they start a line of their own
// because every cat is preceded and followed by an echo.
const (
	markBegin = "@@BEGIN "
	markEnd   = "@@END "
	markHalt  = "@@HALT"
)

// grubModules are the only modules the binary carries (keeps it ~650 KB):
// iso9660 to read the CD, search to find it, cat/echo/test for the script,
// halt to power off, normal/configfile to run the embedded grub.cfg.
const grubModules = "normal configfile iso9660 search search_fs_file cat echo test halt"

// bootBinaries are built once per test process: they depend on nothing a test
// varies, and grub-mkstandalone is the slowest step of a fixture.
type bootBinaries struct {
	grub   []byte // EFI/BOOT/BOOTX64.EFI
	efiImg []byte // EFIBOOT.IMG: 1 MiB FAT12 holding EFI/BOOT/BOOTX64.EFI
}

var (
	bootOnce sync.Once
	bootBins bootBinaries
	bootErr  error
)

// bootFiles returns the GRUB binary and the FAT image, building them on first use.
func bootFiles(t testing.TB) bootBinaries {
	t.Helper()
	bootOnce.Do(func() { bootBins, bootErr = buildBootFiles() })
	if bootErr != nil {
		t.Fatal(bootErr)
	}
	return bootBins
}

func buildBootFiles() (bootBinaries, error) {
	if _, err := os.Stat(grubModDir); err != nil {
		return bootBinaries{}, fmt.Errorf("%s", missing(grubModDir))
	}
	dir, err := os.MkdirTemp("", "isotest-grub-")
	if err != nil {
		return bootBinaries{}, fmt.Errorf("isotest: build GRUB: %w", err)
	}
	defer os.RemoveAll(dir)
	cfg := filepath.Join(dir, "grub.cfg")
	if err := os.WriteFile(cfg, []byte(grubCfg), 0o644); err != nil {
		return bootBinaries{}, fmt.Errorf("isotest: build GRUB: %w", err)
	}
	efi := filepath.Join(dir, "BOOTX64.EFI")
	if _, err := execTool("grub-mkstandalone", "-O", "x86_64-efi", "-o", efi,
		"--install-modules="+grubModules, "--modules="+grubModules,
		"--locales=", "--fonts=", "--themes=",
		"boot/grub/grub.cfg="+cfg); err != nil {
		return bootBinaries{}, err
	}
	img := filepath.Join(dir, "EFIBOOT.IMG")
	// --invariant and a fixed volume ID: the same image in every run.
	if _, err := execTool("mkfs.vfat", "--invariant", "-i", "45534558", "-n", "ESXIEFI", "-C", img, "1024"); err != nil {
		return bootBinaries{}, err
	}
	if _, err := execTool("mmd", "-i", img, "::/EFI", "::/EFI/BOOT"); err != nil {
		return bootBinaries{}, err
	}
	if _, err := execTool("mcopy", "-i", img, efi, "::/EFI/BOOT/BOOTX64.EFI"); err != nil {
		return bootBinaries{}, err
	}
	var b bootBinaries
	if b.grub, err = os.ReadFile(efi); err != nil {
		return bootBinaries{}, fmt.Errorf("isotest: build GRUB: %w", err)
	}
	if b.efiImg, err = os.ReadFile(img); err != nil {
		return bootBinaries{}, fmt.Errorf("isotest: build EFIBOOT.IMG: %w", err)
	}
	return b, nil
}
