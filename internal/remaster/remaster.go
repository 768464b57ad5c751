// Package remaster is the ESXi glue over package iso: it finds both boot
// configurations (/BOOT.CFG for BIOS, /EFI/BOOT/BOOT.CFG for UEFI), edits their
// kernelopt lines, optionally adds /KS.CFG, and writes the patched image in one
// streaming pass that also computes its size and sha256.
package remaster

import (
	"context"
	"errors"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// DefaultKernelopt is the kernel command line HPE's recipe proved on real hosts:
// scripted install from the virtual CD, serial console on iLO's COM2.
const DefaultKernelopt = "ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com2"

// KerneloptEdit says how kernelopt changes. The zero value replaces it with
// DefaultKernelopt.
type KerneloptEdit struct {
	Replace string   // whole new value ("" with no Add/Remove: DefaultKernelopt)
	Add     []string // tokens to add (KEY=VALUE replaces an existing KEY)
	Remove  []string // keys to remove
}

// Options configure Run.
type Options struct {
	Input          string // vendor ISO
	Output         string // written atomically; must differ from Input
	Kernelopt      KerneloptEdit
	EmbedKickstart string // path of a file to add as /KS.CFG; "" adds nothing
	Progress       progress.Reporter
}

// EditedFile is one boot configuration that was changed.
type EditedFile struct {
	Path      string `json:"path"`      // "/BOOT.CFG", "/EFI/BOOT/BOOT.CFG", "/KS.CFG"
	Before    string `json:"before"`    // kernelopt before ("" for KS.CFG)
	After     string `json:"after"`     // kernelopt after
	Relocated bool   `json:"relocated"` // content moved to the end of the image
}

// Result describes the written image.
type Result struct {
	Output   string       `json:"output"`
	Size     int64        `json:"size"`
	SHA256   string       `json:"sha256"` // lowercase hex
	VolumeID string       `json:"volume_id"`
	Version  string       `json:"esxi_version"`
	Build    string       `json:"esxi_build"`
	Edited   []EditedFile `json:"edited"`
}

// Run remasters opts.Input into opts.Output.
func Run(ctx context.Context, opts Options) (*Result, error) {
	return nil, errors.New("remaster: not implemented yet")
}
