package pipeline

import (
	"io/fs"
	"syscall"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/iso"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

// The hints table: every error a user can cause, and the fix printed beside
// it. The README's troubleshooting section carries each of these texts (a
// test checks), so keep them short and concrete. More specific entries first.
func init() {
	registerHint(iso.ErrNotISO9660, "pass the VMware ESXi installer ISO (VMware-VMvisor-Installer-*.iso)")
	registerHint(iso.ErrTruncated, "the ISO is incomplete: download it again and compare its sha256 with the vendor's")
	registerHint(remaster.ErrNoBootConfig, "pass an ESXi installer ISO; this ISO9660 image has no ESXi boot configuration")
	registerHint(remaster.ErrSameFile, "write the output to a new file name; the input is never modified")
	registerHint(bootcfg.ErrNoKernelopt, "start from the vendor's unmodified ISO, whose BOOT.CFG has a kernelopt= line")
	registerHintAs[*bootcfg.TokenError]("give kernelopt tokens as KEY=VALUE or KEY, without spaces or line breaks")
	registerHintAs[*iso.FormatError]("the ISO is damaged: download it again")
	registerHintAs[*iso.UnsupportedError]("start from the vendor's unmodified ISO; if it is one, report an issue with 'esxi-byoi inspect --json' output")
	registerHint(syscall.ENOSPC, "free space where the output goes (it needs about the size of the input ISO)")
	registerHint(syscall.EROFS, "choose an output directory on a writable file system")
	registerHint(fs.ErrPermission, "choose a directory you can write to (or fix its permissions)")
	registerHint(fs.ErrNotExist, "check the path")
}
