// Package sample writes an ESXi-like installer ISO: the layout, names, boot
// catalog and boot configurations of VMware's media (8.3 upper-case names,
// BIOS and UEFI El Torito entries, both BOOT.CFGs) with
// deterministic filler instead of VMware's payloads. It lets the README demo,
// the tests and the benchmarks run without VMware media. The image is not
// bootable: its ISOLINUX.BIN and EFIBOOT.IMG are placeholders.
package sample

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/iso"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
)

// Identity of the ESXi release the sample imitates (8.0 Update 3 GA).
const (
	VolumeID      = "ESXI-8.0U3-24022510-STANDARD"
	ApplicationID = "ESXIMAGE"
	Build         = "8.0.3-0.0.24022510"
	DefaultSize   = 600 << 20
	minSize       = 8 << 20
)

// Options configure Write.
type Options struct {
	Output   string
	Size     int64 // approximate total size in bytes (DefaultSize when 0)
	Progress progress.Reporter
}

// modules is the boot module list of an 8.0U3 installer, in BOOT.CFG order.
var modules = strings.Fields(`b.b00 jumpstrt.gz useropts.gz features.gz k.b00 uc_intel.b00 uc_amd.b00
uc_hygon.b00 procfs.b00 vmx.v00 vim.v00 tpm.v00 sb.v00 s.v00 atlantic.v00 bcm_mpi3.v00 bnxtnet.v00
bnxtroce.v00 brcmfcoe.v00 brcmnvme.v00 cndi_igc.v00 dwi2c.v00 elxiscsi.v00 elxnet.v00 i40en.v00
i40iwn.v00 iavmd.v00 icen.v00 igbn.v00 intelgpi.v00 ionic_cl.v00 ionic_en.v00 irdman.v00 iser.v00
ixgben.v00 lpfc.v00 lpnic.v00 lsi_mr3.v00 lsi_msgp.v00 lsi_msgp.v01 lsi_msgp.v02 mtip32xx.v00
ne1000.v00 nenic.v00 nfnic.v00 nhpsa.v00 nipmi.v00 nmlx5_cc.v00 nmlx5_co.v00 nmlx5_rd.v00 ntg3.v00
nvme_pci.v00 nvmerdma.v00 nvmetcp.v00 nvmxnet3.v00 nvmxnet3.v01 pvscsi.v00 qcnic.v00 qedentv.v00
qedrntv.v00 qfle3.v00 qfle3f.v00 qfle3i.v00 qflge.v00 rdmahl.v00 rste.v00 sfvmk.v00 smartpqi.v00
vmkata.v00 vmksdhci.v00 vmkusb.v00 vmw_ahci.v00 bmcal.v00 clusters.v00 crx.v00 drivervm.v00
elx_esx_.v00 btldr.v00 esx_dvfi.v00 esx_ui.v00 esxupdt.v00 tpmesxup.v00 weaselin.v00 esxio_co.v00
infravis.v00 loadesx.v00 lsuv2_hp.v00 lsuv2_in.v00 lsuv2_ls.v00 lsuv2_nv.v00 lsuv2_oe.v00
lsuv2_oe.v01 lsuv2_sm.v00 native_m.v00 qlnative.v00 trx.v00 vcls_pod.v00 vdfs.v00 vds_vsip.v00
vmware_e.v00 hbrsrv.v00 vsan.v00 vsanheal.v00 vsanmgmt.v00 tools.t00 xorg.v00 gc.v00 imgdb.tgz
nmlx4_co.v00 nmlx4_en.v00 nmlx4_rd.v00 nmst.v00 vmkfcoe.v00 mpt3sas.v00 lsi_mr3.v01 i40en.v01
ixgben.v01 igbn.v01 bnxtnet.v01 qedf.v00 qedi.v00 qlnative.v01 nfnic.v01 smartpqi.v01 iavmd.v01
nvme_pci.v01 vmkusb.v01 esx_base.v00 esx_xsrv.v00 native_m.v01 basemisc.tgz resvibs.tgz esxiodpt.tgz
imgpayld.tgz`)

// extraRoot are root files that are not boot modules.
var extraRoot = []string{"isolinux.bin", "isolinux.cfg", "mboot.c32", "menu.c32", "safeboot.c32",
	"efiboot.img", "boot.cfg", "open_sou.txt", "readme.txt"}

// weights gives the big payloads their realistic share of the image (per mille).
var weights = map[string]int64{
	"s.v00": 220, "imgpayld.tgz": 200, "esxio_co.v00": 90, "esxiodpt.tgz": 80, "vsan.v00": 60,
	"k.b00": 40, "tools.t00": 30, "esx_ui.v00": 30, "vim.v00": 25, "basemisc.tgz": 25, "crx.v00": 20,
}

// BootCfg returns the BOOT.CFG of the sample (the same for BIOS and UEFI).
func BootCfg() string {
	mods := make([]string, 0, len(modules)-1)
	for _, m := range modules[1:] {
		mods = append(mods, "/"+m)
	}
	return "bootstate=0\ntitle=Loading ESXi installer\ntimeout=5\nprefix=\nkernel=/b.b00\n" +
		"kernelopt=runweasel cdromBoot\nmodules=" + strings.Join(mods, " --- ") +
		"\nbuild=" + Build + "\nupdated=0\n"
}

const isolinuxCfg = `DEFAULT menu.c32
MENU TITLE ESXi-8.0U3-24022510-standard Boot Menu
NOHALT 1
PROMPT 0
TIMEOUT 80
LABEL install
  KERNEL mboot.c32
  APPEND -c boot.cfg
  MENU LABEL ESXi-8.0U3-24022510-standard ^Installer
LABEL hddboot
  LOCALBOOT 0x80
  MENU LABEL ^Boot from local disk
`

// files returns every file of the sample with its size, root files first.
func files(total int64) (map[string]int64, []string) {
	sizes := map[string]int64{}
	var order []string
	add := func(name string, size int64) {
		sizes[name] = size
		order = append(order, name)
	}
	fixed := map[string]int64{
		"isolinux.bin": 38912, "mboot.c32": 75000, "menu.c32": 26000, "safeboot.c32": 11000,
		"efiboot.img": 1 << 20, "open_sou.txt": 500000, "readme.txt": 1200,
		"EFI/BOOT/BOOTX64.EFI": 150000, "EFI/BOOT/CRYPTO64.EFI": 1200000, "EFI/BOOT/SAFEBOOT.EFI": 160000,
		"UPGRADE/PROFILE.XML": 9000, "UPGRADE/METADATA.ZIP": 450000, "UPGRADE/PRECHECK.PY": 60000,
		"UPGRADE/UPGRADE.PY": 40000, "UPGRADE/VMWARE_E.ZIP": 20000,
	}
	var used int64
	for _, n := range fixed {
		used += n
	}
	// Small modules share what the big ones leave; every module gets ≥ 4 KiB.
	rest := total - used
	var bigShare int64
	for _, w := range weights {
		bigShare += w
	}
	small := (rest * (1000 - bigShare) / 1000) / int64(len(modules)-len(weights))
	for _, m := range modules {
		size := small
		if w, ok := weights[m]; ok {
			size = rest * w / 1000
		}
		add(m, max(size, 4096)+int64(len(m))*7) // vary sizes so files do not end on sector boundaries alike
	}
	for _, m := range extraRoot {
		if m == "boot.cfg" || m == "isolinux.cfg" {
			continue
		}
		add(m, fixed[m])
	}
	for _, m := range []string{"EFI/BOOT/BOOTX64.EFI", "EFI/BOOT/CRYPTO64.EFI", "EFI/BOOT/SAFEBOOT.EFI",
		"UPGRADE/PROFILE.XML", "UPGRADE/METADATA.ZIP", "UPGRADE/PRECHECK.PY", "UPGRADE/UPGRADE.PY", "UPGRADE/VMWARE_E.ZIP"} {
		add(m, fixed[m])
	}
	return sizes, order
}

// ParseSize parses "600MiB", "1.2GiB", "64M" or a byte count.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.m
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("size %q: want a positive size such as 600MiB or 1.2GiB", s)
	}
	return int64(f * float64(mult)), nil
}

// Write creates the sample image at opts.Output (atomically).
func Write(ctx context.Context, opts Options) error {
	total := opts.Size
	if total == 0 {
		total = DefaultSize
	}
	if total < minSize {
		return fmt.Errorf("sample size %d bytes is too small (minimum %d MiB)", total, minSize>>20)
	}
	if opts.Progress == nil {
		opts.Progress = progress.Discard
	}
	out, err := safefile.Create(opts.Output)
	if err != nil {
		return err
	}
	defer out.Abort()
	// The tree is staged beside the output (same file system, same space
	// checks) and removed afterwards; go-diskfs builds the image from it.
	work, err := os.MkdirTemp(filepath.Dir(opts.Output), ".sample-tree-*")
	if err != nil {
		return fmt.Errorf("stage sample tree: %w", err)
	}
	defer os.RemoveAll(work)

	sizes, order := files(total)
	task := opts.Progress.Start("staging sample files", total)
	for _, name := range order {
		if err := ctx.Err(); err != nil {
			task.Done()
			return err
		}
		if err := writeFiller(filepath.Join(work, strings.ToUpper(name)), name, sizes[name], task); err != nil {
			task.Done()
			return err
		}
	}
	task.Done()
	texts := map[string]string{
		"BOOT.CFG": BootCfg(), "EFI/BOOT/BOOT.CFG": BootCfg(), "ISOLINUX.CFG": isolinuxCfg,
	}
	for name, text := range texts {
		if err := os.WriteFile(filepath.Join(work, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("stage %s: %w", name, err)
		}
	}
	task = opts.Progress.Start("writing "+filepath.Base(opts.Output), 0)
	err = iso.Build(out.File, iso.BuildOptions{
		Dir: work, VolumeID: VolumeID, ApplicationID: ApplicationID,
		BootCatalog: "/BOOT.CAT", BIOSImage: "/ISOLINUX.BIN", EFIImage: "/EFIBOOT.IMG",
	})
	task.Done()
	if err != nil {
		return fmt.Errorf("write %s: %w", opts.Output, err)
	}
	return out.Commit()
}

// writeFiller writes size deterministic pseudo-random bytes seeded by name.
func writeFiller(path, name string, size int64, task progress.Task) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	var seed [32]byte
	copy(seed[:], name)
	rng := rand.NewChaCha8(seed)
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		_, _ = rng.Read(buf[:n])
		if _, err := w.Write(buf[:n]); err != nil {
			f.Close()
			return fmt.Errorf("stage %s: %w", name, err)
		}
		task.Add(n)
		left -= n
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("stage %s: %w", name, err)
	}
	return f.Close()
}
