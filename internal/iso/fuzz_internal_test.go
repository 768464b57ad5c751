package iso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
)

// FuzzParseCatalog: the El Torito parser never panics and never reports an
// entry it did not read from the input.
func FuzzParseCatalog(f *testing.F) {
	f.Add(validCatalog())
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		bc, err := ParseCatalog(b)
		if err != nil {
			return
		}
		if len(bc.Entries) == 0 || len(bc.Entries) > len(b)/catalogEntry {
			t.Fatalf("%d entries from %d bytes", len(bc.Entries), len(b))
		}
	})
}

// FuzzSplitRecords: the directory-record walker's parser never panics, and
// every record it returns lies inside the data and inside one sector.
func FuzzSplitRecords(f *testing.F) {
	f.Add(validDirectory(), false)
	f.Add(validDirectory(), true)
	f.Fuzz(func(t *testing.T, b []byte, joliet bool) {
		const sector = 20
		recs, err := splitRecords(b, sector, joliet)
		if err != nil {
			return
		}
		for _, r := range recs {
			off := r.Offset - sector*SectorSize
			n := int64(b[off])
			if off < 0 || off+n > int64(len(b)) || off/SectorSize != (off+n-1)/SectorSize {
				t.Fatalf("record at %d (len %d) escapes its sector or the data (%d bytes)", off, n, len(b))
			}
		}
	})
}

// FuzzOpen: a whole (small) image with arbitrary bytes in its descriptor and
// directory sectors opens or fails with an error, never a panic or a hang,
// and reading it (through go-diskfs too) allocates about its own size, not
// what a corrupt length field says. The committed seed dot-record-huge-size
// is a "." record claiming 800 MB that go-diskfs allocated before the walker
// checked "." records.
func FuzzOpen(f *testing.F) {
	img := minimalImage()
	f.Add(img[16*SectorSize:18*SectorSize], img[20*SectorSize:21*SectorSize])
	f.Fuzz(func(t *testing.T, vds, root []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		defer func() {
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
				t.Fatalf("opening a %d-byte image allocated %d MiB", len(img), n>>20)
			}
		}()
		b := bytes.Clone(img)
		copy(b[16*SectorSize:18*SectorSize], vds)
		copy(b[20*SectorSize:21*SectorSize], root)
		im, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		// Every file the walker accepts must also be safe to read through
		// go-diskfs: an error is fine, a panic or a hang is not.
		for _, fl := range im.Files() {
			f, err := im.Lookup(fl.Path)
			if err != nil {
				continue
			}
			_, _ = im.ReadFile(f)
		}
	})
}

func putBoth32(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
	binary.BigEndian.PutUint32(b[4:], v)
}

func record(name string, extent, size uint32, flags byte) []byte {
	n := 33 + len(name)
	if len(name)%2 == 0 {
		n++
	}
	r := make([]byte, n)
	r[0] = byte(n)
	putBoth32(r[2:], extent)
	putBoth32(r[10:], size)
	r[25] = flags
	r[28], r[31] = 1, 1 // volume sequence number 1, both-endian 16-bit
	r[32] = byte(len(name))
	copy(r[33:], name)
	return r
}

func validDirectory() []byte {
	var b []byte
	b = append(b, record("\x00", 20, SectorSize, flagDir)...)
	b = append(b, record("\x01", 20, SectorSize, flagDir)...)
	b = append(b, record("BOOT.CFG;1", 22, 40, 0)...)
	b = append(b, record("BOOT.CAT;1", 21, 2048, 0)...)
	return append(b, make([]byte, SectorSize-len(b))...)
}

func validCatalog() []byte {
	b := make([]byte, SectorSize)
	b[0] = 1
	b[30], b[31] = 0x55, 0xAA
	var sum uint16
	for i := 0; i < 32; i += 2 {
		sum += binary.LittleEndian.Uint16(b[i:])
	}
	binary.LittleEndian.PutUint16(b[28:], -sum)
	b[32] = 0x88
	binary.LittleEndian.PutUint16(b[38:], 4)
	binary.LittleEndian.PutUint32(b[40:], 23)
	b[64], b[65] = 0x91, PlatformEFI
	binary.LittleEndian.PutUint16(b[66:], 1)
	b[96] = 0x88
	binary.LittleEndian.PutUint32(b[104:], 24)
	return b
}

// minimalImage is a 26-sector image: PVD at 16, boot record at 17,
// terminator at 18, root directory at 20, catalog at 21, BOOT.CFG at 22.
func minimalImage() []byte {
	b := make([]byte, 26*SectorSize)
	pvd := b[16*SectorSize:]
	pvd[0] = vdPrimary
	copy(pvd[1:], "CD001")
	pvd[6] = 1
	copy(pvd[40:72], bytes.Repeat([]byte(" "), 32))
	copy(pvd[40:], "ESXI-TEST")
	putBoth32(pvd[80:], 26)
	// Dates (813–880): "not specified" is sixteen '0' digits and a zero offset.
	for _, off := range []int{813, 830, 847, 864} {
		copy(pvd[off:], "0000000000000000")
	}
	binary.LittleEndian.PutUint16(pvd[128:], SectorSize)
	binary.BigEndian.PutUint16(pvd[130:], SectorSize)
	copy(pvd[156:], record("\x00", 20, SectorSize, flagDir))
	br := b[17*SectorSize:]
	br[0] = vdBoot
	copy(br[1:], "CD001")
	br[6] = 1
	copy(br[7:], "EL TORITO SPECIFICATION")
	binary.LittleEndian.PutUint32(br[0x47:], 21)
	term := b[18*SectorSize:]
	term[0] = vdTerminator
	copy(term[1:], "CD001")
	term[6] = 1
	// Path tables (ECMA-119 9.4), which go-diskfs reads: one entry, the root.
	binary.LittleEndian.PutUint32(pvd[132:], 10)
	binary.BigEndian.PutUint32(pvd[136:], 10)
	binary.LittleEndian.PutUint32(pvd[140:], 19)
	binary.BigEndian.PutUint32(pvd[148:], 23)
	lpt := b[19*SectorSize:]
	lpt[0] = 1
	binary.LittleEndian.PutUint32(lpt[2:], 20)
	binary.LittleEndian.PutUint16(lpt[6:], 1)
	mpt := b[23*SectorSize:]
	mpt[0] = 1
	binary.BigEndian.PutUint32(mpt[2:], 20)
	binary.BigEndian.PutUint16(mpt[6:], 1)
	copy(b[20*SectorSize:], validDirectory())
	copy(b[21*SectorSize:], validCatalog())
	copy(b[22*SectorSize:], "kernel=/b.b00\nkernelopt=runweasel\n\x00\x00\x00\x00\x00\x00")
	return b
}

func TestMinimalImageOpens(t *testing.T) {
	im, err := Open(bytes.NewReader(minimalImage()), 26*SectorSize)
	if err != nil {
		t.Fatal(err)
	}
	f, err := im.Lookup("/boot.cfg")
	if err != nil {
		t.Fatal(err)
	}
	data, err := im.ReadFile(f) // through go-diskfs: the seed must reach it
	if err != nil || !bytes.HasPrefix(data, []byte("kernel=/b.b00\n")) {
		t.Fatalf("ReadFile: %q, %v", data, err)
	}
	if im.Boot == nil || len(im.Boot.Entries) != 2 {
		t.Fatalf("boot catalog: %+v", im.Boot)
	}
}

// ceEntry is a SUSP continuation entry (SUSP 5.1) pointing at loc/off/length.
func ceEntry(loc, off, length uint32) []byte {
	e := make([]byte, 28)
	copy(e, "CE")
	e[2], e[3] = 28, 1
	putBoth32(e[4:], loc)
	putBoth32(e[12:], off)
	putBoth32(e[20:], length)
	return e
}

// rockRidgeImage is minimalImage whose root "." record announces SUSP and
// carries ce; sector 24 holds next (a continuation area).
func rockRidgeImage(ce, next []byte) []byte {
	b := minimalImage()
	dot := record("\x00", 20, SectorSize, flagDir)
	su := append([]byte{'S', 'P', 7, 1, 0xBE, 0xEF, 0}, ce...)
	dot = append(dot, su...)
	if len(dot)%2 == 1 {
		dot = append(dot, 0)
	}
	dot[0] = byte(len(dot))
	dir := append(dot, validDirectory()[34:]...)
	copy(b[20*SectorSize:21*SectorSize], append(dir, make([]byte, SectorSize)...)[:SectorSize])
	copy(b[24*SectorSize:], next)
	return b
}

func TestRockRidgeContinuationsAreBounded(t *testing.T) {
	cases := map[string]struct {
		ce, next []byte
		ok       bool
	}{
		"one continuation inside the volume": {ce: ceEntry(24, 0, 4), next: []byte{'S', 'T', 4, 1}, ok: true},
		"continuation past the volume":       {ce: ceEntry(24, 0, 1<<30)},
		"continuation that loops":            {ce: ceEntry(24, 0, 28), next: ceEntry(24, 0, 28)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := rockRidgeImage(tc.ce, tc.next)
			im, err := Open(bytes.NewReader(b), int64(len(b)))
			if tc.ok {
				if err != nil || !im.RockRidge {
					t.Fatalf("want a Rock Ridge image, got %v", err)
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("want a FormatError, got %v", err)
			}
		})
	}
}
