package bootcfg_test

import (
	"fmt"
	"os"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
)

// An ESXi 8.0U3 installer's /EFI/BOOT/BOOT.CFG gets HPE's scripted-install
// kernel options; only the kernelopt line changes.
func ExampleFile_EditKernelopt() {
	f := bootcfg.Parse([]byte(`bootstate=0
title=Loading ESXi installer
timeout=5
prefix=
kernel=/b.b00
kernelopt=runweasel cdromBoot
modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /uc_intel.b00 --- /uc_amd.b00 --- /uc_hygon.b00 --- /procfs.b00 --- /vmx.v00 --- /vim.v00 --- /tpm.v00 --- /sb.v00 --- /s.v00 --- /bnxtnet.v00 --- /i40en.v00 --- /lpfc.v00 --- /nvme_pci.v00 --- /vmkusb.v00 --- /weaselin.v00 --- /esx_ui.v00 --- /esxupdt.v00 --- /loadesx.v00 --- /lsuv2_hp.v00 --- /imgdb.tgz --- /basemisc.tgz --- /resvibs.tgz --- /esxiodpt.tgz --- /imgpayld.tgz
build=8.0.3-0.0.24022510
updated=0
`))
	before, after, err := f.EditKernelopt(bootcfg.Edit{
		Replace: "ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com2",
		Add:     []string{"com2_baud=115200"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	build, _ := f.Get("build")
	version, number, _ := bootcfg.ParseBuild(build)
	fmt.Printf("ESXi %s build %s\nbefore: %s\nafter:  %s\n---\n", version, number, before, after)
	os.Stdout.Write(f.Bytes())
	// Output:
	// ESXi 8.0.3 build 24022510
	// before: runweasel cdromBoot
	// after:  ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com2 com2_baud=115200
	// ---
	// bootstate=0
	// title=Loading ESXi installer
	// timeout=5
	// prefix=
	// kernel=/b.b00
	// kernelopt=ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com2 com2_baud=115200
	// modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /uc_intel.b00 --- /uc_amd.b00 --- /uc_hygon.b00 --- /procfs.b00 --- /vmx.v00 --- /vim.v00 --- /tpm.v00 --- /sb.v00 --- /s.v00 --- /bnxtnet.v00 --- /i40en.v00 --- /lpfc.v00 --- /nvme_pci.v00 --- /vmkusb.v00 --- /weaselin.v00 --- /esx_ui.v00 --- /esxupdt.v00 --- /loadesx.v00 --- /lsuv2_hp.v00 --- /imgdb.tgz --- /basemisc.tgz --- /resvibs.tgz --- /esxiodpt.tgz --- /imgpayld.tgz
	// build=8.0.3-0.0.24022510
	// updated=0
}

// When build= is empty, as on some 7.0 media, the volume ID still names the
// release.
func ExampleVersionFromVolumeID() {
	fmt.Println(bootcfg.VersionFromVolumeID("ESXI-8.0U3-24022510-STANDARD"))
	fmt.Println(bootcfg.VersionFromVolumeID("ESXI-7.0U3G-NUC12-SYN"))
	fmt.Println(bootcfg.VersionFromVolumeID("CDROM"))
	// Output:
	// 8.0U3 24022510 true
	// 7.0U3G  true
	//   false
}
