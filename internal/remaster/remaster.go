// Package remaster is the ESXi glue over package iso: it finds both boot
// configurations (/BOOT.CFG for BIOS, /EFI/BOOT/BOOT.CFG for UEFI), edits their
// kernelopt lines, optionally adds /KS.CFG, and writes the patched image in one
// streaming pass that also computes its size and sha256.
package remaster

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/iso"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
)

// DefaultKernelopt is the kernel command line HPE's recipe proved on real hosts:
// scripted install from the virtual CD, serial console on iLO's COM2.
const DefaultKernelopt = "ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com2"

// KerneloptEdit says how kernelopt changes. Add and Remove apply on top of
// Replace, or on top of DefaultKernelopt when Replace is empty, never on top
// of the vendor's value: the vendor's "runweasel cdromBoot" starts the
// interactive installer. So the result is known before any ISO is read (see
// [KerneloptEdit.Value]). The zero value writes DefaultKernelopt.
type KerneloptEdit struct {
	Replace string   // whole new value; "" means DefaultKernelopt
	Add     []string // tokens to add (KEY=VALUE replaces an existing KEY)
	Remove  []string // keys to remove
}

// PortalKickstart is the kernelopt token that makes the installer read the
// kickstart the HPE Bare Metal portal renders per host: the portal presents
// it as /KS.CFG on the virtual CD (upper case, as VMware requires for cdrom:).
const PortalKickstart = "ks=cdrom:" + KickstartPath

// ErrNoPortalKickstart means a build's kernelopt lacks [PortalKickstart].
var ErrNoPortalKickstart = errors.New("kernelopt has no " + PortalKickstart)

// Value returns the kernelopt value every boot configuration gets, or a
// *bootcfg.TokenError for a token that cannot be written.
func (e KerneloptEdit) Value() (string, error) {
	return e.bootcfg().Apply(DefaultKernelopt)
}

// CheckBuild checks the edit for a build the HPE Bare Metal portal deploys.
// The final value must carry ks=cdrom:/KS.CFG, because the portal serves the
// rendered kickstart as /KS.CFG on the virtual CD and, without it, the
// installer stops at its interactive screens. A whole value given with
// Replace is the user's explicit choice and is not second-guessed.
// It also returns the errors of [KerneloptEdit.Value].
func (e KerneloptEdit) CheckBuild() error {
	v, err := e.Value()
	if err != nil {
		return fmt.Errorf("kernelopt: %w", err)
	}
	if e.Replace != "" || hasPortalKickstart(v) {
		return nil
	}
	// Which option caused it, and the fix, are the caller's to say.
	return fmt.Errorf("kernelopt=%q: %w", v, ErrNoPortalKickstart)
}

// hasPortalKickstart reports whether value has a ks token equal to
// PortalKickstart (key case-insensitive, as the ESXi boot options are; the
// path exactly, since cdrom: paths must be upper case).
func hasPortalKickstart(value string) bool {
	for _, tok := range strings.Fields(value) {
		k, v, ok := strings.Cut(tok, "=")
		if ok && strings.EqualFold(k, "ks") && v == strings.TrimPrefix(PortalKickstart, "ks=") {
			return true
		}
	}
	return false
}

// Options configure Run.
type Options struct {
	Input          string // vendor ISO
	Output         string // written atomically; must differ from Input
	Kernelopt      KerneloptEdit
	EmbedKickstart string // path of a file to add as /KS.CFG; "" adds nothing
	// SHA512 also computes a SHA-512 digest in the same pass, for services
	// published with algorithm sha512sum.
	SHA512   bool
	Progress progress.Reporter
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
	SHA256   string       `json:"sha256"`           // lowercase hex
	SHA512   string       `json:"sha512,omitempty"` // with Options.SHA512
	VolumeID string       `json:"volume_id"`
	Version  string       `json:"esxi_version"`
	Build    string       `json:"esxi_build"`
	Edited   []EditedFile `json:"edited"`
}

// Paths of the two boot configurations of VMware's installer media: mboot.c32
// reads the first on a BIOS boot, BOOTX64.EFI the second on a UEFI boot.
const (
	BIOSConfig = "/BOOT.CFG"
	UEFIConfig = "/EFI/BOOT/BOOT.CFG"
	// KickstartPath is where ks=cdrom:/KS.CFG looks; upper case as VMware requires.
	KickstartPath = "/KS.CFG"
	maxKickstart  = 1 << 20
)

// Errors for inputs that are ISO 9660 but not ESXi installer media.
var (
	ErrNoBootConfig = errors.New("no /BOOT.CFG or /EFI/BOOT/BOOT.CFG: not an ESXi installer ISO")
	ErrSameFile     = errors.New("output is the input file")
)

func (e KerneloptEdit) bootcfg() bootcfg.Edit {
	r := e.Replace
	if r == "" {
		r = DefaultKernelopt
	}
	return bootcfg.Edit{Replace: r, Add: e.Add, Remove: e.Remove}
}

// source is an opened input ISO with its boot configurations located.
type source struct {
	path    string
	file    *os.File
	img     *iso.Image
	configs []*iso.File // BIOS first, then UEFI; missing ones are skipped
}

func openSource(path string) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open input: %w", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	img, err := iso.Open(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	src := &source{path: path, file: f, img: img}
	for _, p := range []string{BIOSConfig, UEFIConfig} {
		cf, err := img.Lookup(p)
		if errors.Is(err, iso.ErrNotFound) {
			continue
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %s: %w", path, p, err)
		}
		src.configs = append(src.configs, cf)
	}
	if len(src.configs) == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrNoBootConfig)
	}
	return src, nil
}

// version reads ESXi version and build from build= of the first boot
// configuration (build=8.0.3-0.0.24022510 is ESXi 8.0.3, build 24022510),
// falling back to the volume ID (ESXI-8.0U3-24022510-STANDARD).
func version(cfgs []*bootcfg.File, volumeID string) (ver, build string) {
	for _, c := range cfgs {
		if b, ok := c.Get("build"); ok {
			if v, bn, ok := bootcfg.ParseBuild(b); ok {
				return v, bn
			}
		}
	}
	v, bn, _ := bootcfg.VersionFromVolumeID(volumeID)
	return v, bn
}

// Run remasters opts.Input into opts.Output: both boot configurations get
// the kernelopt edit, /KS.CFG is added when asked, everything else of the
// image is copied unchanged. The output appears only when complete.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Progress == nil {
		opts.Progress = progress.Discard
	}
	if err := checkDistinct(opts.Input, opts.Output); err != nil {
		return nil, err
	}
	src, err := openSource(opts.Input)
	if err != nil {
		return nil, err
	}
	defer src.file.Close()

	res := &Result{Output: opts.Output, VolumeID: src.img.Primary.VolumeID}
	patch := src.img.NewPatch()
	var parsed []*bootcfg.File
	edited := map[uint32]EditedFile{} // by extent: hard-linked configs are one file
	for _, cf := range src.configs {
		if e, ok := edited[cf.Extent]; ok && cf.Size > 0 {
			// The BIOS config's Replace already rewrote this data and every
			// name of it; editing it again would apply the edit twice.
			e.Path = cf.Path
			res.Edited = append(res.Edited, e)
			continue
		}
		data, err := src.img.ReadFile(cf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", opts.Input, err)
		}
		bc := bootcfg.Parse(data)
		parsed = append(parsed, bc)
		before, after, err := bc.EditKernelopt(opts.Kernelopt.bootcfg())
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", opts.Input, cf.Path, err)
		}
		relocated, err := patch.Replace(cf, bc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", opts.Input, cf.Path, err)
		}
		e := EditedFile{Path: cf.Path, Before: before, After: after, Relocated: relocated}
		edited[cf.Extent] = e
		res.Edited = append(res.Edited, e)
	}
	res.Version, res.Build = version(parsed, res.VolumeID)
	if opts.EmbedKickstart != "" {
		ef, err := embedKickstart(src, patch, opts.EmbedKickstart)
		if err != nil {
			return nil, err
		}
		res.Edited = append(res.Edited, *ef)
	}

	out, err := safefile.Create(opts.Output)
	if err != nil {
		return nil, err
	}
	defer out.Abort()
	h, h512 := sha256.New(), sha512.New()
	var hw hash.Hash = h
	if opts.SHA512 {
		hw = multiHash{h, h512}
	}
	task := opts.Progress.Start("writing "+filepath.Base(opts.Output), patch.Size())
	n, err := writeHashed(ctx, out.File, src.file, patch, hw, task)
	task.Done()
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", opts.Output, err)
	}
	if n != patch.Size() {
		return nil, fmt.Errorf("write %s: wrote %d of %d bytes", opts.Output, n, patch.Size())
	}
	if err := out.Commit(); err != nil {
		return nil, err
	}
	res.Size = n
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	if opts.SHA512 {
		res.SHA512 = hex.EncodeToString(h512.Sum(nil))
	}
	return res, nil
}

// multiHash feeds two hashes; only Write is used by writeHashed.
type multiHash [2]hash.Hash

func (m multiHash) Write(p []byte) (int, error) { m[0].Write(p); return m[1].Write(p) }
func (m multiHash) Sum(b []byte) []byte         { return m[0].Sum(b) }
func (m multiHash) Reset()                      { m[0].Reset(); m[1].Reset() }
func (m multiHash) Size() int                   { return m[0].Size() }
func (m multiHash) BlockSize() int              { return m[0].BlockSize() }

// embedKickstart adds (or replaces) /KS.CFG with the user's file.
func embedKickstart(src *source, patch *iso.Patch, path string) (*EditedFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("kickstart: %w", err)
	}
	if st.Size() > maxKickstart {
		return nil, fmt.Errorf("kickstart %s is %d bytes; a kickstart over %d bytes is surely the wrong file", path, st.Size(), maxKickstart)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kickstart: %w", err)
	}
	ef := &EditedFile{Path: KickstartPath}
	existing, err := src.img.Lookup(KickstartPath)
	switch {
	case err == nil:
		// Replace keeps every record in step; Add is only for a new name.
		ef.Relocated, err = patch.Replace(existing, data)
	case errors.Is(err, iso.ErrNotFound):
		ef.Relocated = true
		err = patch.Add("/", "KS.CFG", data, src.configs[0])
	}
	if err != nil {
		return nil, fmt.Errorf("%s: add %s: %w", src.path, KickstartPath, err)
	}
	return ef, nil
}

// checkDistinct refuses an output that is the input (by name or by inode),
// which would truncate the source while it is being read.
func checkDistinct(in, out string) error {
	if safefile.Same(in, out) {
		return fmt.Errorf("%s: %w", out, ErrSameFile)
	}
	return nil
}
