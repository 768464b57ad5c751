package iso

import (
	"encoding/binary"
	"fmt"
)

// Platform IDs of El Torito 1.0 §2.1, plus 0xEF for UEFI (UEFI spec 13.3.2.1).
const (
	PlatformBIOS = 0x00
	PlatformPPC  = 0x01
	PlatformMac  = 0x02
	PlatformEFI  = 0xEF
)

// Emulation types (El Torito 1.0 §2.2, boot media type bits 0–3).
const (
	EmulationNone = 0
	EmulationHD   = 4
)

const (
	catalogEntry   = 32 // every catalog entry is 32 bytes
	maxCatalogSecs = 4  // bound on catalog length we read
)

// BootCatalog is the parsed El Torito boot catalog.
type BootCatalog struct {
	Sector  uint32      // catalog LBA, from the boot record (offset 0x47)
	Path    string      // the file that holds it, if the tree names it ("/BOOT.CAT")
	Entries []BootEntry // the initial/default entry first, then section entries
}

// BootEntry is one bootable image of the catalog.
type BootEntry struct {
	Platform    byte   // PlatformBIOS, PlatformEFI...
	Bootable    bool   // boot indicator 0x88
	Emulation   byte   // EmulationNone...
	LoadSegment uint16 // 0 means the BIOS default 0x7C0
	SystemType  byte
	LoadSize    uint16 // in 512-byte virtual sectors
	LoadRBA     uint32 // first sector of the boot image
	File        string // the file at LoadRBA, if any ("/ISOLINUX.BIN")
	FileSize    int64
	// InfoTable describes a boot-info-table (genisoimage -boot-info-table)
	// found at offset 8 of the boot image; nil when there is none.
	InfoTable *BootInfoTable
}

// BootInfoTable is the 56-byte table at offset 8 of an isolinux-style boot
// image: LBA of the PVD, LBA and length of the image, and a checksum of the
// image from byte 64 on. isolinux stops with "Image checksum error" if stale.
type BootInfoTable struct {
	PVD      uint32
	FileLBA  uint32
	Length   uint32
	Checksum uint32
	Valid    bool // every field matches the image as it is
}

// PlatformName is the human name of an El Torito platform ID.
func PlatformName(p byte) string {
	switch p {
	case PlatformBIOS:
		return "BIOS"
	case PlatformPPC:
		return "PowerPC"
	case PlatformMac:
		return "Mac"
	case PlatformEFI:
		return "UEFI"
	}
	return fmt.Sprintf("0x%02x", p)
}

// EmulationName is the human name of an emulation type.
func EmulationName(e byte) string {
	switch e {
	case EmulationNone:
		return "no-emulation"
	case 1:
		return "1.2M floppy"
	case 2:
		return "1.44M floppy"
	case 3:
		return "2.88M floppy"
	case EmulationHD:
		return "hard disk"
	}
	return fmt.Sprintf("0x%02x", e)
}

func (img *Image) readBootCatalog() (*BootCatalog, error) {
	rec, err := img.readSectors(img.bootRecordSector, 1)
	if err != nil {
		return nil, err
	}
	lba := binary.LittleEndian.Uint32(rec[0x47:]) // 0x47: boot catalog pointer
	if lba < firstVDSector || lba >= img.Primary.VolumeSpaceSize {
		return nil, formatErr(img.bootRecordSector, "boot catalog pointer %d lies outside the volume", lba)
	}
	n := int64(maxCatalogSecs)
	if rest := int64(img.Primary.VolumeSpaceSize - lba); rest < n {
		n = rest
	}
	data, err := img.readSectors(int64(lba), n)
	if err != nil {
		return nil, err
	}
	bc, err := ParseCatalog(data)
	if err != nil {
		if fe, ok := err.(*FormatError); ok {
			fe.Sector += int64(lba)
		}
		return nil, err
	}
	bc.Sector = lba
	bc.Path, _ = img.fileAt(lba)
	for i := range bc.Entries {
		e := &bc.Entries[i]
		if e.LoadRBA >= img.Primary.VolumeSpaceSize {
			return nil, formatErr(int64(lba), "boot entry %d points past the volume (sector %d)", i+1, e.LoadRBA)
		}
		var r *Record
		e.File, r = img.fileAt(e.LoadRBA)
		if r != nil {
			e.FileSize = int64(r.Size)
			if e.Platform == PlatformBIOS && e.Emulation == EmulationNone {
				e.InfoTable, err = img.bootInfoTable(e.LoadRBA, r.Size)
				if err != nil {
					return nil, err
				}
			}
		}
	}
	return bc, nil
}

// ParseCatalog parses the bytes of an El Torito boot catalog (sector offsets
// in errors are relative to its start). It reads the validation entry, the
// initial/default entry and every section; extension entries are skipped.
func ParseCatalog(b []byte) (*BootCatalog, error) {
	if len(b) < 2*catalogEntry {
		return nil, formatErr(0, "boot catalog shorter than two entries")
	}
	v := b[:catalogEntry]
	// Validation entry (El Torito §2.1): header 0x01, key bytes 0x55 0xAA, and
	// the 16-bit words of the entry sum to zero.
	if v[0] != 0x01 || v[30] != 0x55 || v[31] != 0xAA {
		return nil, formatErr(0, "boot catalog has no validation entry")
	}
	var sum uint16
	for i := 0; i < catalogEntry; i += 2 {
		sum += binary.LittleEndian.Uint16(v[i:])
	}
	if sum != 0 {
		return nil, formatErr(0, "boot catalog validation entry checksum is wrong")
	}
	bc := &BootCatalog{}
	bc.Entries = append(bc.Entries, parseBootEntry(b[catalogEntry:2*catalogEntry], v[1]))
	off := 2 * catalogEntry
	for off+catalogEntry <= len(b) {
		h := b[off : off+catalogEntry]
		if h[0] != 0x90 && h[0] != 0x91 {
			break // no more section headers: the rest is padding
		}
		final := h[0] == 0x91
		platform := h[1]
		count := int(binary.LittleEndian.Uint16(h[2:4]))
		off += catalogEntry
		for i := 0; i < count; i++ {
			if off+catalogEntry > len(b) {
				return nil, formatErr(int64(off/SectorSize), "boot catalog section runs past its end")
			}
			e := b[off : off+catalogEntry]
			if e[0] != 0x88 && e[0] != 0x00 {
				return nil, formatErr(int64(off/SectorSize), "boot catalog section entry %d has indicator 0x%02x", i+1, e[0])
			}
			bc.Entries = append(bc.Entries, parseBootEntry(e, platform))
			off += catalogEntry
			// Extension entries (0x44) follow while bit 5 of the media byte
			// (then of each extension's flag byte) is set.
			more := e[1]&0x20 != 0
			for more && off+catalogEntry <= len(b) && b[off] == 0x44 {
				more = b[off+1]&0x20 != 0
				off += catalogEntry
			}
		}
		if final {
			break
		}
	}
	return bc, nil
}

func parseBootEntry(e []byte, platform byte) BootEntry {
	return BootEntry{
		Platform:    platform,
		Bootable:    e[0] == 0x88,
		Emulation:   e[1] & 0x0F,
		LoadSegment: binary.LittleEndian.Uint16(e[2:4]),
		SystemType:  e[4],
		LoadSize:    binary.LittleEndian.Uint16(e[6:8]),
		LoadRBA:     binary.LittleEndian.Uint32(e[8:12]),
	}
}

// bootInfoTable reads the table at offset 8 of the boot image; it reports a
// table only when its PVD and LBA fields match, which is how mkisofs-style
// tools recognise one.
func (img *Image) bootInfoTable(lba, size uint32) (*BootInfoTable, error) {
	if size < 64 {
		return nil, nil
	}
	const maxBootImage = 64 << 20
	if size > maxBootImage {
		return nil, nil
	}
	data := make([]byte, size)
	if _, err := img.r.ReadAt(data, int64(lba)*SectorSize); err != nil {
		return nil, formatErr(int64(lba), "read boot image: %w", err)
	}
	t := &BootInfoTable{
		PVD:      binary.LittleEndian.Uint32(data[8:]),
		FileLBA:  binary.LittleEndian.Uint32(data[12:]),
		Length:   binary.LittleEndian.Uint32(data[16:]),
		Checksum: binary.LittleEndian.Uint32(data[20:]),
	}
	if t.PVD != uint32(img.Primary.Sector) || t.FileLBA != lba {
		return nil, nil
	}
	t.Valid = t.Length == size && t.Checksum == BootInfoChecksum(data)
	return t, nil
}

// BootInfoChecksum is the boot-info-table checksum of a boot image: the sum of
// its 32-bit little-endian words from byte 64 to the end.
func BootInfoChecksum(data []byte) uint32 {
	var sum uint32
	for i := 64; i+4 <= len(data); i += 4 {
		sum += binary.LittleEndian.Uint32(data[i:])
	}
	if rest := len(data) % 4; rest != 0 && len(data) > 64 {
		var w [4]byte
		copy(w[:], data[len(data)-rest:])
		sum += binary.LittleEndian.Uint32(w[:])
	}
	return sum
}
