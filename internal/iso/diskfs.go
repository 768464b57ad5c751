package iso

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"strings"

	"github.com/diskfs/go-diskfs/backend"
	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

// ReadFile returns the content of f, read through go-diskfs: an independent
// reader resolves the same path, and its idea of where the file starts and
// how long it is must agree with the record walker's before anything is
// patched. Disagreement means one of the two misreads the image, so the image
// is refused. Files over 64 MiB are refused to keep memory flat (callers read
// boot configurations, not payloads).
func (img *Image) ReadFile(f *File) (data []byte, err error) {
	const maxRead = 64 << 20
	if f.Size > maxRead {
		return nil, unsupported("%s is %d bytes, more than this tool reads into memory", f.Path, f.Size)
	}
	defer func() {
		if r := recover(); r != nil { // go-diskfs panics on some malformed trees
			data, err = nil, unsupported("go-diskfs cannot read %s: %v", f.Path, r)
		}
	}()
	img.diskfsOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				img.diskfs, img.diskfsErr = nil, fmt.Errorf("panic: %v", r)
			}
		}()
		img.diskfs, img.diskfsErr = iso9660.Read(readerStorage{io.NewSectionReader(img.r, 0, img.size)}, img.size, 0, SectorSize)
	})
	fsys, err := img.diskfs, img.diskfsErr
	if err != nil {
		return nil, unsupported("go-diskfs cannot read the image: %w", err)
	}
	real, err := resolve(fsys, f.Path)
	if err != nil {
		return nil, unsupported("go-diskfs does not find %s: %w", f.Path, err)
	}
	fh, err := fsys.Open(real)
	if err != nil {
		return nil, unsupported("go-diskfs cannot open %s: %w", f.Path, err)
	}
	defer fh.Close()
	df, ok := fh.(*iso9660.File)
	if !ok {
		return nil, unsupported("go-diskfs returned %T for %s", fh, f.Path)
	}
	st, err := df.Stat()
	if err != nil {
		return nil, unsupported("go-diskfs cannot stat %s: %w", f.Path, err)
	}
	if df.Location() != f.Extent || st.Size() != f.Size {
		return nil, unsupported("readers disagree about %s: sector %d/%d bytes (records) vs %d/%d (go-diskfs)",
			f.Path, f.Extent, f.Size, df.Location(), st.Size())
	}
	data, err = io.ReadAll(io.LimitReader(df, f.Size))
	if err != nil {
		return nil, formatErr(int64(f.Extent), "read %s: %w", f.Path, err)
	}
	if int64(len(data)) != f.Size {
		return nil, formatErr(int64(f.Extent), "read %s: got %d of %d bytes", f.Path, len(data), f.Size)
	}
	return data, nil
}

// resolve maps a normalized path to the names go-diskfs uses (which depend on
// Rock Ridge/Joliet), one case-insensitive component at a time.
func resolve(fsys *iso9660.FileSystem, p string) (string, error) {
	cur := "." // go-diskfs takes io/fs paths: no leading slash
	for _, want := range strings.Split(strings.Trim(p, "/"), "/") {
		ents, err := fsys.ReadDir(cur)
		if err != nil {
			return "", err
		}
		found := ""
		for _, e := range ents {
			if Normalize(e.Name()) == "/"+want {
				found = e.Name()
				break
			}
		}
		if found == "" {
			return "", iofs.ErrNotExist
		}
		cur = path.Join(cur, found)
	}
	return cur, nil
}

// readerStorage adapts an io.ReaderAt to go-diskfs's read-only backend.
type readerStorage struct{ *io.SectionReader }

func (readerStorage) Stat() (iofs.FileInfo, error) { return nil, errors.ErrUnsupported }
func (readerStorage) Close() error                 { return nil }
func (readerStorage) Sys() (*os.File, error)       { return nil, errors.ErrUnsupported }
func (readerStorage) Writable() (backend.WritableFile, error) {
	return nil, backend.ErrIncorrectOpenMode
}
func (readerStorage) Path() string { return "" }

// BuildOptions describe an image for [Build].
type BuildOptions struct {
	Dir           string // tree to put on the image (file names must be ISO level 1: 8.3 upper case)
	VolumeID      string
	ApplicationID string
	BootCatalog   string // "/BOOT.CAT"
	BIOSImage     string // no-emulation BIOS boot image with a boot-info-table, load size 4
	EFIImage      string // no-emulation UEFI boot image
}

// Build writes a plain ISO 9660 image (no Rock Ridge, no Joliet) of
// opts.Dir to w with go-diskfs, with a BIOS and a UEFI El Torito entry, the way
// ESXi media is mastered. w must be a fresh, empty file.
func Build(w *os.File, opts BuildOptions) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("go-diskfs: %v", r)
		}
	}()
	fsys, err := iso9660.Create(file.New(w, false), 0, 0, SectorSize, opts.Dir)
	if err != nil {
		return fmt.Errorf("go-diskfs: %w", err)
	}
	et := &iso9660.ElTorito{BootCatalog: opts.BootCatalog}
	if opts.BIOSImage != "" {
		e := &iso9660.ElToritoEntry{
			Platform: iso9660.BIOS, Emulation: iso9660.NoEmulation, BootFile: opts.BIOSImage, BootTable: true,
		}
		e.SetLoadSize(4) // 4 × 512 bytes, as isolinux expects
		et.Entries = append(et.Entries, e)
	}
	if opts.EFIImage != "" {
		et.Entries = append(et.Entries, &iso9660.ElToritoEntry{
			Platform: iso9660.EFI, Emulation: iso9660.NoEmulation, BootFile: opts.EFIImage,
		})
	}
	if err := fsys.Finalize(iso9660.FinalizeOptions{VolumeIdentifier: opts.VolumeID, ElTorito: et}); err != nil {
		return fmt.Errorf("go-diskfs: %w", err)
	}
	// go-diskfs leaves the application identifier empty; ESXi media says
	// ESXIMAGE there (PVD offset 574, 128 a-characters padded with spaces).
	if opts.ApplicationID != "" {
		app := make([]byte, 128)
		for i := range app {
			app[i] = ' '
		}
		copy(app, opts.ApplicationID)
		if _, err := w.WriteAt(app, firstVDSector*SectorSize+574); err != nil {
			return fmt.Errorf("write application ID: %w", err)
		}
	}
	return nil
}
