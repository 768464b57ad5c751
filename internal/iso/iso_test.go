package iso_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/iso"
)

// buildImage writes a small plain ISO 9660 image with both El Torito entries
// through go-diskfs and returns its bytes.
func buildImage(t testing.TB, files map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	for name, content := range files {
		p := filepath.Join(tree, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	out, err := os.Create(filepath.Join(dir, "img.iso"))
	require.NoError(t, err)
	defer out.Close()
	require.NoError(t, iso.Build(out, iso.BuildOptions{
		Dir: tree, VolumeID: "ESXI-8.0U3-24022510-STANDARD", ApplicationID: "ESXIMAGE",
		BootCatalog: "/BOOT.CAT", BIOSImage: "/ISOLINUX.BIN", EFIImage: "/EFIBOOT.IMG",
	}))
	b, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	return b
}

func smallTree() map[string]string {
	return map[string]string{
		"ISOLINUX.BIN":      string(bytes.Repeat([]byte{0x90}, 4096)),
		"EFIBOOT.IMG":       string(bytes.Repeat([]byte{0xEF}, 8192)),
		"BOOT.CFG":          "kernel=/b.b00\nkernelopt=runweasel cdromBoot\n",
		"EFI/BOOT/BOOT.CFG": "kernel=/b.b00\nkernelopt=cdromBoot runweasel\n",
		"B.B00":             string(bytes.Repeat([]byte("kernel"), 1000)),
	}
}

func open(t testing.TB, b []byte) *iso.Image {
	t.Helper()
	img, err := iso.Open(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	return img
}

func TestOpenReadsDescriptorsTreeAndCatalog(t *testing.T) {
	img := open(t, buildImage(t, smallTree()))
	require.Equal(t, "ESXI-8.0U3-24022510-STANDARD", img.Primary.VolumeID)
	require.Equal(t, "ESXIMAGE", img.Primary.ApplicationID)
	require.NotNil(t, img.Boot)
	require.Len(t, img.Boot.Entries, 2)
	bios, efi := img.Boot.Entries[0], img.Boot.Entries[1]
	require.Equal(t, byte(iso.PlatformBIOS), bios.Platform)
	require.Equal(t, "/ISOLINUX.BIN", bios.File)
	require.EqualValues(t, 4, bios.LoadSize)
	require.NotNil(t, bios.InfoTable)
	require.True(t, bios.InfoTable.Valid)
	require.Equal(t, byte(iso.PlatformEFI), efi.Platform)
	require.Equal(t, "/EFIBOOT.IMG", efi.File)

	for _, p := range []string{"/boot.cfg", "BOOT.CFG;1", "/efi/boot/boot.cfg"} {
		f, err := img.Lookup(p)
		require.NoError(t, err, p)
		data, err := img.ReadFile(f)
		require.NoError(t, err)
		require.Contains(t, string(data), "kernelopt=")
	}
	_, err := img.Lookup("/KS.CFG")
	require.ErrorIs(t, err, iso.ErrNotFound)
}

func TestPatchInPlaceChangesOnlyDataAndRecordSectors(t *testing.T) {
	orig := buildImage(t, smallTree())
	img := open(t, orig)
	f, err := img.Lookup("/BOOT.CFG")
	require.NoError(t, err)
	p := img.NewPatch()
	newCfg := []byte("kernel=/b.b00\nkernelopt=ks=cdrom:/KS.CFG\n")
	relocated, err := p.Replace(f, newCfg)
	require.NoError(t, err)
	require.False(t, relocated)
	out := patched(t, p)
	require.Len(t, out, len(orig))
	require.Equal(t, []int64{int64(f.Records[0].Offset / iso.SectorSize), int64(f.Extent)}, p.ChangedSectors())

	img2 := open(t, out)
	f2, err := img2.Lookup("/BOOT.CFG")
	require.NoError(t, err)
	require.Equal(t, f.Extent, f2.Extent)
	data, err := img2.ReadFile(f2)
	require.NoError(t, err)
	require.Equal(t, newCfg, data)
}

func TestPatchRelocatesGrowingFileAndGrowsVolume(t *testing.T) {
	orig := buildImage(t, smallTree())
	img := open(t, orig)
	f, err := img.Lookup("/EFI/BOOT/BOOT.CFG")
	require.NoError(t, err)
	p := img.NewPatch()
	big := bytes.Repeat([]byte("x"), 3*iso.SectorSize+5)
	relocated, err := p.Replace(f, big)
	require.NoError(t, err)
	require.True(t, relocated)
	out := patched(t, p)
	require.Len(t, out, len(orig)+4*iso.SectorSize)

	img2 := open(t, out)
	require.EqualValues(t, len(out)/iso.SectorSize, img2.Primary.VolumeSpaceSize)
	f2, err := img2.Lookup("/EFI/BOOT/BOOT.CFG")
	require.NoError(t, err)
	require.EqualValues(t, len(orig)/iso.SectorSize, f2.Extent)
	data, err := img2.ReadFile(f2)
	require.NoError(t, err)
	require.Equal(t, big, data)
	// The boot catalog and the boot-info-table are untouched.
	require.True(t, img2.Boot.Entries[0].InfoTable.Valid)
}

func TestAddCreatesSortedRecordInRoot(t *testing.T) {
	img := open(t, buildImage(t, smallTree()))
	like, err := img.Lookup("/BOOT.CFG")
	require.NoError(t, err)
	p := img.NewPatch()
	require.NoError(t, p.Add("/", "KS.CFG", []byte("vmaccepteula\n"), like))
	img2 := open(t, patched(t, p))
	f, err := img2.Lookup("/KS.CFG")
	require.NoError(t, err)
	data, err := img2.ReadFile(f)
	require.NoError(t, err)
	require.Equal(t, "vmaccepteula\n", string(data))
	require.Equal(t, "KS.CFG;1", f.Records[0].Name)
	// Every file of the original is still there.
	require.Len(t, img2.Files(), len(img.Files())+2-1) // +KS.CFG, BOOT.CAT counted once
}

func TestPatchRefusesBootImages(t *testing.T) {
	img := open(t, buildImage(t, smallTree()))
	for _, p := range []string{"/ISOLINUX.BIN", "/EFIBOOT.IMG", "/BOOT.CAT"} {
		f, err := img.Lookup(p)
		require.NoError(t, err)
		_, err = img.NewPatch().Replace(f, []byte("x"))
		var ue *iso.UnsupportedError
		require.ErrorAs(t, err, &ue, p)
	}
}

func TestOpenRejectsBadImages(t *testing.T) {
	good := buildImage(t, smallTree())
	rootExtent := binary.LittleEndian.Uint32(good[16*iso.SectorSize+156+2:])
	cases := map[string]struct {
		data    func() []byte
		wantIs  error
		wantFmt bool
	}{
		"random bytes": {data: func() []byte {
			b := make([]byte, 64<<10)
			for i := range b {
				b[i] = byte(i*7 + 3)
			}
			return b
		}, wantIs: iso.ErrNotISO9660},
		"empty":     {data: func() []byte { return nil }, wantIs: iso.ErrNotISO9660},
		"truncated": {data: func() []byte { return good[:len(good)/2] }, wantIs: iso.ErrTruncated},
		"directory loop": {data: func() []byte {
			b := bytes.Clone(good)
			// Point the EFI directory record at the root's own extent.
			i := bytes.Index(b[int(rootExtent)*iso.SectorSize:], []byte("EFI"))
			rec := int(rootExtent)*iso.SectorSize + i - 33
			binary.LittleEndian.PutUint32(b[rec+2:], rootExtent)
			binary.BigEndian.PutUint32(b[rec+6:], rootExtent)
			return b
		}, wantFmt: true},
		"extent past the end": {data: func() []byte {
			b := bytes.Clone(good)
			i := bytes.Index(b[int(rootExtent)*iso.SectorSize:], []byte("B.B00"))
			rec := int(rootExtent)*iso.SectorSize + i - 33
			binary.LittleEndian.PutUint32(b[rec+2:], 1<<30)
			binary.BigEndian.PutUint32(b[rec+6:], 1<<30)
			return b
		}, wantFmt: true},
		"record crossing a sector": {data: func() []byte {
			b := bytes.Clone(good)
			b[int(rootExtent)*iso.SectorSize] = 0xFF // "." record claims 255 bytes
			b[int(rootExtent)*iso.SectorSize+2047] = 0
			binary.LittleEndian.PutUint32(b[int(rootExtent)*iso.SectorSize+34+10:], 0)
			return b
		}, wantFmt: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := tc.data()
			_, err := iso.Open(bytes.NewReader(b), int64(len(b)))
			require.Error(t, err)
			if tc.wantIs != nil {
				require.ErrorIs(t, err, tc.wantIs)
			}
			if tc.wantFmt {
				var fe *iso.FormatError
				require.ErrorAs(t, err, &fe)
			}
		})
	}
}

func TestPatchReaderIsDeterministic(t *testing.T) {
	orig := buildImage(t, smallTree())
	sum := func() [32]byte {
		img := open(t, orig)
		f, err := img.Lookup("/BOOT.CFG")
		require.NoError(t, err)
		p := img.NewPatch()
		_, err = p.Replace(f, bytes.Repeat([]byte("y"), 5000))
		require.NoError(t, err)
		return sha256.Sum256(patched(t, p))
	}
	require.Equal(t, sum(), sum())
}

func patched(t testing.TB, p *iso.Patch) []byte {
	t.Helper()
	var buf bytes.Buffer
	// Read in odd-sized chunks so sector overlays straddle read boundaries.
	r := p.Reader()
	chunk := make([]byte, 3000)
	for {
		n, err := r.Read(chunk)
		buf.Write(chunk[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	require.EqualValues(t, p.Size(), buf.Len())
	return buf.Bytes()
}

// Segments and Reader must describe the same bytes: the writer follows one,
// the hasher the other.
func TestSegmentsMatchReader(t *testing.T) {
	orig := buildImage(t, smallTree())
	img := open(t, orig)
	p := img.NewPatch()
	f, err := img.Lookup("/BOOT.CFG")
	require.NoError(t, err)
	_, err = p.Replace(f, []byte("kernelopt=a\n"))
	require.NoError(t, err)
	g, err := img.Lookup("/EFI/BOOT/BOOT.CFG")
	require.NoError(t, err)
	_, err = p.Replace(g, bytes.Repeat([]byte("z"), 5000)) // relocates
	require.NoError(t, err)
	require.NoError(t, p.Add("/", "KS.CFG", []byte("ks"), f))

	var got []byte
	var pos int64
	for _, s := range p.Segments() {
		require.Equal(t, pos, s.Off, "segments are contiguous")
		if s.Data != nil {
			require.EqualValues(t, len(s.Data), s.Len)
			got = append(got, s.Data...)
		} else {
			got = append(got, orig[s.Off:s.Off+s.Len]...)
		}
		pos += s.Len
	}
	require.Equal(t, patched(t, p), got)
}

// hardLink makes the primary record of link point at target's data, as
// genisoimage writes hard-linked files: one extent, two names.
func hardLink(t *testing.T, b []byte, target, link string, size uint32) []byte {
	t.Helper()
	img := open(t, b)
	tf, err := img.Lookup(target)
	require.NoError(t, err)
	lf, err := img.Lookup(link)
	require.NoError(t, err)
	out := bytes.Clone(b)
	off := lf.Records[0].Offset
	binary.LittleEndian.PutUint32(out[off+2:], tf.Extent) // 2: extent, both-endian
	binary.BigEndian.PutUint32(out[off+6:], tf.Extent)
	binary.LittleEndian.PutUint32(out[off+10:], size) // 10: data length, both-endian
	binary.BigEndian.PutUint32(out[off+14:], size)
	return out
}

func TestHardLinkedFilesAreOneFileWithLinks(t *testing.T) {
	orig := buildImage(t, smallTree())
	f0, err := open(t, orig).Lookup("/BOOT.CFG")
	require.NoError(t, err)
	linked := hardLink(t, orig, "/BOOT.CFG", "/EFI/BOOT/BOOT.CFG", uint32(f0.Size))
	img := open(t, linked)
	f, err := img.Lookup("/BOOT.CFG")
	require.NoError(t, err)
	require.Equal(t, []string{"/EFI/BOOT/BOOT.CFG"}, f.Links)
	require.Len(t, f.Records, 2)
	g, err := img.Lookup("/EFI/BOOT/BOOT.CFG")
	require.NoError(t, err)
	require.Equal(t, []string{"/BOOT.CFG"}, g.Links)
	require.Equal(t, f.Extent, g.Extent)

	// Replacing through one name changes both, relocated or not.
	for name, content := range map[string][]byte{
		"in place":  []byte("kernel=/b.b00\nkernelopt=ks=cdrom:/KS.CFG\n"),
		"relocated": bytes.Repeat([]byte("#"), 3*iso.SectorSize),
	} {
		t.Run(name, func(t *testing.T) {
			p := img.NewPatch()
			_, err := p.Replace(f, content)
			require.NoError(t, err)
			img2 := open(t, patched(t, p))
			for _, path := range []string{"/BOOT.CFG", "/EFI/BOOT/BOOT.CFG"} {
				h, err := img2.Lookup(path)
				require.NoError(t, err)
				data, err := img2.ReadFile(h)
				require.NoError(t, err)
				require.Equal(t, content, data, path)
			}
		})
	}

	// The same extent under another size is not a hard link: refused.
	odd := hardLink(t, orig, "/BOOT.CFG", "/EFI/BOOT/BOOT.CFG", uint32(f0.Size-1))
	_, err = open(t, odd).Lookup("/BOOT.CFG")
	var ue *iso.UnsupportedError
	require.ErrorAs(t, err, &ue)
	require.Contains(t, err.Error(), "shares its data with /EFI/BOOT/BOOT.CFG, which has another size")
	require.Contains(t, ue.Hint(), "the vendor's unmodified ISO")
	require.NotContains(t, ue.Hint(), "esxi-byoi", "the hint names no command: the action prints it too")
}
