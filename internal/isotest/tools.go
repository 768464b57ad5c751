package isotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Packages lists the Debian packages the rig needs, by the program or file it
// uses from each. .ci/run installs them with apt-get.
var Packages = map[string]string{
	"xorriso":            "xorriso",            // fixtures (-as mkisofs), judges (-report_*), osirrox extraction
	"genisoimage":        "genisoimage",        // fixtures like VMware's; isoinfo judges
	"isoinfo":            "genisoimage",        // -d and -l listings
	"qemu-system-x86_64": "qemu-system-x86",    // BIOS and UEFI boots
	"mkfs.vfat":          "dosfstools",         // EFIBOOT.IMG
	"mcopy":              "mtools",             // fill EFIBOOT.IMG without mounting
	"mmd":                "mtools",             // directories in EFIBOOT.IMG
	"grub-mkstandalone":  "grub-common",        // the GRUB EFI binary
	grubModDir:           "grub-efi-amd64-bin", // x86_64-efi modules for grub-mkstandalone
	isolinuxBin:          "isolinux",           // the BIOS boot image
	syslinuxModDir:       "syslinux-common",    // ldlinux.c32, cat.c32 and friends
	ovmfCode:             "ovmf",               // UEFI firmware
	ovmfVars:             "ovmf",               // UEFI variable store template
}

// AptPackages returns the Debian packages in [Packages], sorted, once each:
// the list .ci/run passes to apt-get install.
func AptPackages() []string {
	seen := map[string]bool{}
	var pkgs []string
	for _, p := range Packages {
		if !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	sort.Strings(pkgs)
	return pkgs
}

const (
	isolinuxBin    = "/usr/lib/ISOLINUX/isolinux.bin"
	syslinuxModDir = "/usr/lib/syslinux/modules/bios"
	grubModDir     = "/usr/lib/grub/x86_64-efi"
	ovmfCode       = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars       = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// toolTimeout bounds every non-QEMU tool run; they all finish in well under a
// second on a few-MB fixture.
const toolTimeout = 2 * time.Minute

// missing formats the failure for an absent program or file.
func missing(what string) string {
	pkg := Packages[what]
	if pkg == "" {
		pkg = "?"
	}
	return fmt.Sprintf("isotest: %s not found: install %s: run .ci/run (it runs apt-get install %s)", what, pkg, pkg)
}

// lookTool finds a program on PATH, or in the sbin directories a non-root PATH
// often lacks (mkfs.vfat lives in /sbin on Debian).
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New(missing(name))
}

// needTool returns the path of a program or fails the test.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := lookTool(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// needFile fails the test when a file a package ships is absent.
func needFile(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(missing(path))
	}
}

// output holds what one tool run printed.
type output struct {
	stdout, stderr string
}

// runTool runs name with args and returns its output; a start failure, a
// non-zero exit or a timeout fails the test with the command line and stderr.
func runTool(t testing.TB, name string, args ...string) output {
	t.Helper()
	out, err := execTool(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// execTool is runTool without a test, for work done once per process.
func execTool(name string, args ...string) (output, error) {
	path, err := lookTool(name)
	if err != nil {
		return output{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC") // stable dates and messages in listings
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	out := output{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		return out, fmt.Errorf("isotest: %s %s: %w\nstderr:\n%s", name, strings.Join(args, " "), err, tail(out.stderr, 4000))
	}
	return out, nil
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
