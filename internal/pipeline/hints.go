package pipeline

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/iso"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

// sentinelHints are the fixes for errors that cannot carry a Hint method:
// sentinels (errors.New) and the operating system's errors. Typed errors
// implement [Hinter] instead. More specific entries first.
var sentinelHints = []struct {
	match func(error) bool
	fix   string
}{
	{is(iso.ErrNotISO9660), "pass the VMware ESXi installer ISO (VMware-VMvisor-Installer-*.iso)"},
	{is(iso.ErrTruncated), "the ISO is incomplete: download it again and compare its sha256 with the vendor's"},
	{is(remaster.ErrNoBootConfig), "pass an ESXi installer ISO; this ISO9660 image has no ESXi boot configuration"},
	{is(remaster.ErrSameFile), "write the output to a new file name; the input is never modified"},
	{is(bootcfg.ErrNoKernelopt), "start from the vendor's unmodified ISO, whose BOOT.CFG has a kernelopt= line"},
	{as[*bootcfg.TokenError], "give kernelopt tokens as KEY=VALUE or KEY, without spaces or line breaks"},
	{is(syscall.ENOSPC), "free space where the output goes (it needs about the size of the input ISO)"},
	{is(syscall.EROFS), "choose an output directory on a writable file system"},
	{is(fs.ErrPermission), "choose a directory you can write to (or fix its permissions)"},
	{is(fs.ErrNotExist), "check the path"},
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func as[T error](err error) bool { var t T; return errors.As(err, &t) }
