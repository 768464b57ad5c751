package isotest

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// sectorSize is the ISO 9660 logical block size of every image we handle.
const sectorSize = 2048

// ExtractTree extracts the whole image with `osirrox -indev iso -extract / DIR`
// into a fresh directory in t.TempDir() and returns it. Directories and files
// are made owner-writable afterwards so the test's cleanup can remove them.
func ExtractTree(t testing.TB, iso string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tree")
	runTool(t, "osirrox", "-indev", iso, "-extract", "/", dir)
	makeWritable(t, dir)
	return dir
}

// ExtractFile returns the content of the file at p (as the image names it,
// e.g. "/EFI/BOOT/BOOT.CFG") read by `osirrox -extract`.
func ExtractFile(t testing.TB, iso, p string) []byte {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "extracted")
	runTool(t, "osirrox", "-indev", iso, "-extract", p, dst)
	makeWritable(t, dst)
	return readFile(t, dst)
}

func makeWritable(t testing.TB, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(p, info.Mode().Perm()|0o700)
	})
	if err != nil {
		t.Fatalf("isotest: make %s writable: %v", root, err)
	}
}

// SectorsDiffer returns how many 2048-byte sectors differ between files a and
// b. Sectors past the end of the shorter file count as different (a short
// last sector is compared as written, so a length change alone counts too).
func SectorsDiffer(t testing.TB, a, b string) int {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatalf("isotest: %v", err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatalf("isotest: %v", err)
	}
	defer fb.Close()
	const chunk = 512 * sectorSize
	ba, bb := make([]byte, chunk), make([]byte, chunk)
	n := 0
	for {
		na, erra := io.ReadFull(fa, ba)
		nb, errb := io.ReadFull(fb, bb)
		for off := 0; off < max(na, nb); off += sectorSize {
			x := ba[min(off, na):min(off+sectorSize, na)]
			y := bb[min(off, nb):min(off+sectorSize, nb)]
			if !bytes.Equal(x, y) {
				n++
			}
		}
		doneA := erra == io.EOF || erra == io.ErrUnexpectedEOF
		doneB := errb == io.EOF || errb == io.ErrUnexpectedEOF
		if erra != nil && !doneA {
			t.Fatalf("isotest: read %s: %v", a, erra)
		}
		if errb != nil && !doneB {
			t.Fatalf("isotest: read %s: %v", b, errb)
		}
		if doneA && doneB {
			return n
		}
	}
}
