package iso

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/diskfs/go-diskfs/filesystem/iso9660"
)

// SectorSize is the ISO 9660 logical block size; images with another block
// size are refused.
const SectorSize = 2048

const (
	firstVDSector = 16 // ECMA-119 6.2.1: the system area is sectors 0–15
	maxVDs        = 64 // a sane bound on the descriptor set; real images have 2–5

	vdBoot          = 0
	vdPrimary       = 1
	vdSupplementary = 2 // Joliet, or an ISO 9660:1999 enhanced descriptor
	vdTerminator    = 255
)

// Descriptor is one volume descriptor that carries a directory tree (the
// primary one, Joliet, or an enhanced ISO 9660:1999 one).
type Descriptor struct {
	Sector          int64  // where it sits
	Type            byte   // 1 primary, 2 supplementary/enhanced
	Joliet          bool   // supplementary with a UCS-2 escape sequence
	SystemID        string // trimmed
	VolumeID        string // trimmed
	ApplicationID   string // trimmed
	VolumeSpaceSize uint32 // in sectors, as recorded
	root            []byte // the 34-byte root directory record
	pathTableSize   uint32 // bytes (132–135)
	pathTableLoc    uint32 // L-type path table sector (140–143)
}

// Image is an opened ISO 9660 image. It is read-only and safe for concurrent
// reads; changes go through [Image.NewPatch].
type Image struct {
	r    io.ReaderAt
	size int64

	Primary     *Descriptor   // the primary volume descriptor
	Descriptors []*Descriptor // every tree-bearing descriptor, primary first
	RockRidge   bool          // the primary tree carries SUSP/Rock Ridge entries
	Boot        *BootCatalog  // nil when the image has no El Torito boot record
	Trees       []*Tree       // one per descriptor, same order

	bootRecordSector int64

	// go-diskfs's view of the same image, opened once on first ReadFile.
	diskfsOnce sync.Once
	diskfs     *iso9660.FileSystem
	diskfsErr  error
}

// Size is the byte size of the underlying image.
func (img *Image) Size() int64 { return img.size }

// Open parses the volume descriptors, walks every directory tree and reads the
// El Torito catalog of the image in r, which is size bytes long. It returns
// [ErrNotISO9660], [ErrTruncated] (wrapped) or a *[FormatError] for images it
// cannot read, and reads no file data.
func Open(r io.ReaderAt, size int64) (*Image, error) {
	img := &Image{r: r, size: size}
	if err := img.readDescriptors(); err != nil {
		return nil, err
	}
	for _, d := range img.Descriptors {
		t, err := img.walk(d)
		if err != nil {
			return nil, err
		}
		img.Trees = append(img.Trees, t)
	}
	img.RockRidge = img.Trees[0].suspFound
	if img.bootRecordSector != 0 {
		bc, err := img.readBootCatalog()
		if err != nil {
			return nil, err
		}
		img.Boot = bc
	}
	return img, nil
}

func (img *Image) readDescriptors() error {
	buf := make([]byte, SectorSize)
	terminated := false
	for i := int64(0); i < maxVDs && !terminated; i++ {
		sector := firstVDSector + i
		n, err := img.r.ReadAt(buf, sector*SectorSize)
		if n < SectorSize {
			if i == 0 {
				if n >= 6 && string(buf[1:6]) == "CD001" {
					return fmt.Errorf("volume descriptor at sector 16 is cut off: %w", ErrTruncated)
				}
				return ErrNotISO9660
			}
			if err == nil || err == io.EOF {
				return fmt.Errorf("volume descriptor set ends at sector %d without a terminator: %w", sector, ErrTruncated)
			}
			return fmt.Errorf("read sector %d: %w", sector, err)
		}
		if string(buf[1:6]) != "CD001" {
			if i == 0 {
				return ErrNotISO9660
			}
			return formatErr(sector, "volume descriptor set has no terminator")
		}
		switch buf[0] {
		case vdTerminator:
			terminated = true
		case vdBoot:
			// El Torito boot record: 7–38 "EL TORITO SPECIFICATION" (zero padded).
			if strings.TrimRight(string(buf[7:39]), "\x00") == "EL TORITO SPECIFICATION" {
				if img.bootRecordSector != 0 {
					return unsupported("more than one El Torito boot record")
				}
				img.bootRecordSector = sector
			}
		case vdPrimary, vdSupplementary:
			d, err := parseDescriptor(sector, buf)
			if err != nil {
				return err
			}
			if d.Type == vdPrimary {
				if img.Primary != nil {
					return formatErr(sector, "second primary volume descriptor")
				}
				img.Primary = d
				img.Descriptors = append([]*Descriptor{d}, img.Descriptors...)
			} else {
				img.Descriptors = append(img.Descriptors, d)
			}
		}
	}
	if !terminated {
		return formatErr(firstVDSector, "no volume descriptor set terminator in %d sectors", maxVDs)
	}
	if img.Primary == nil {
		return formatErr(firstVDSector, "no primary volume descriptor")
	}
	end := int64(img.Primary.VolumeSpaceSize) * SectorSize
	if end > img.size {
		return fmt.Errorf("volume is %d bytes but the file has %d (download it again): %w", end, img.size, ErrTruncated)
	}
	// go-diskfs reads the path tables (it allocates their recorded size), so
	// they must lie inside the volume before it sees the image.
	for _, d := range img.Descriptors {
		pt := int64(d.pathTableLoc)*SectorSize + int64(d.pathTableSize)
		if d.pathTableSize == 0 || d.pathTableLoc < firstVDSector || pt > end {
			return formatErr(d.Sector, "path table (%d bytes at sector %d) lies outside the volume", d.pathTableSize, d.pathTableLoc)
		}
	}
	return img.refuseUDF(firstVDSector + int64(len(img.Descriptors)) + 1)
}

// refuseUDF looks for a UDF bridge after the ISO descriptors: UDF keeps its own
// file sizes, which this package does not patch, so such images are refused.
func (img *Image) refuseUDF(from int64) error {
	buf := make([]byte, 8)
	for s := from; s < from+16; s++ {
		if _, err := img.r.ReadAt(buf, s*SectorSize); err != nil {
			return nil
		}
		switch string(buf[1:6]) {
		case "BEA01", "NSR02", "NSR03":
			return unsupported("it also carries a UDF file system (sector %d); rebuild it without UDF", s)
		}
	}
	return nil
}

func parseDescriptor(sector int64, b []byte) (*Descriptor, error) {
	if bs := binary.LittleEndian.Uint16(b[128:130]); bs != SectorSize {
		return nil, formatErr(sector, "logical block size %d, want %d", bs, SectorSize)
	}
	d := &Descriptor{
		Sector:          sector,
		Type:            b[0],
		SystemID:        strings.TrimRight(string(b[8:40]), " \x00"),
		VolumeID:        strings.TrimRight(string(b[40:72]), " \x00"),
		ApplicationID:   strings.TrimRight(string(b[574:702]), " \x00"),
		VolumeSpaceSize: binary.LittleEndian.Uint32(b[80:84]),
		root:            append([]byte(nil), b[156:190]...),
		pathTableSize:   binary.LittleEndian.Uint32(b[132:136]),
		pathTableLoc:    binary.LittleEndian.Uint32(b[140:144]),
	}
	if d.Type == vdSupplementary {
		// Joliet escape sequences (88–119): %/@, %/C or %/E for UCS-2 levels 1–3.
		esc := b[88:120]
		for _, s := range []string{"%/@", "%/C", "%/E"} {
			if bytes.HasPrefix(esc, []byte(s)) {
				d.Joliet = true
			}
		}
		if d.Joliet {
			d.SystemID = decodeUCS2(b[8:40])
			d.VolumeID = decodeUCS2(b[40:72])
			d.ApplicationID = decodeUCS2(b[574:702])
		}
	}
	return d, nil
}

// decodeUCS2 decodes big-endian UCS-2 (Joliet) and trims padding.
func decodeUCS2(b []byte) string {
	var sb strings.Builder
	for i := 0; i+1 < len(b); i += 2 {
		sb.WriteRune(rune(binary.BigEndian.Uint16(b[i:])))
	}
	return strings.TrimRight(sb.String(), " \x00")
}

// readSectors reads n sectors starting at sector s.
func (img *Image) readSectors(s int64, n int64) ([]byte, error) {
	buf := make([]byte, n*SectorSize)
	if _, err := img.r.ReadAt(buf, s*SectorSize); err != nil {
		return nil, formatErr(s, "read %d sectors: %w", n, err)
	}
	return buf, nil
}
