package iso

import (
	"encoding/binary"
	"path"
	"strings"
	"unicode/utf16"
)

// Limits that bound the walker on hostile input. Real ESXi media has ~200
// records in 4 directories.
const (
	maxDepth   = 32
	maxRecords = 1 << 20
	recordMin  = 34 // 33 fixed bytes + a 1-byte identifier (ECMA-119 9.1)

	flagDir         = 1 << 1 // ECMA-119 9.1.6 file flags
	flagMultiExtent = 1 << 7
)

// Record is one directory record as found on disk.
type Record struct {
	Offset int64  // byte offset of the record in the image
	Extent uint32 // first sector of the data
	Size   uint32 // data length in bytes
	Flags  byte
	// Interleaved is set for records with a file unit size or gap: such files
	// are not contiguous and are never patched.
	Interleaved bool
	Name        string // decoded identifier, version kept ("BOOT.CFG;1")
	tree        int    // index of the tree (Image.Trees) the record belongs to
}

// IsDir reports whether the record names a directory.
func (r *Record) IsDir() bool { return r.Flags&flagDir != 0 }

// Tree is the directory hierarchy of one volume descriptor.
type Tree struct {
	Descriptor *Descriptor
	// Entries maps a normalized path ("/EFI/BOOT/BOOT.CFG") to the records
	// naming it (usually one; more for multi-extent files).
	Entries map[string][]*Record
	Order   []string // paths in walk order, for listings
	Dirs    map[string]*Record
	// dirRefs lists, by extent, the offset of every record that describes a
	// directory: its entry in the parent, its own ".", its children's "..",
	// and for the root the descriptor's root record. All carry its size.
	dirRefs   map[uint32][]int64
	suspFound bool
}

// Normalize returns the lookup key of an ISO path: upper case, leading slash,
// ";N" version and a trailing dot stripped from the last element (readers
// show the same file as boot.cfg, BOOT.CFG or BOOT.CFG;1).
func Normalize(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range parts {
		if j := strings.LastIndexByte(s, ';'); j >= 0 {
			s = s[:j]
		}
		parts[i] = strings.ToUpper(strings.TrimSuffix(s, "."))
	}
	return "/" + strings.Join(parts, "/")
}

// walk reads every directory of d's tree, breadth first, refusing loops,
// records that cross sectors or point past the end of the volume.
func (img *Image) walk(d *Descriptor) (*Tree, error) {
	t := &Tree{Descriptor: d, Entries: map[string][]*Record{}, Dirs: map[string]*Record{}, dirRefs: map[uint32][]int64{}}
	vdOffset := d.Sector*SectorSize + 156
	root, err := parseRecord(d.root, vdOffset, d.Joliet)
	if err != nil {
		return nil, formatErr(d.Sector, "root directory record: %s", err.Reason)
	}
	if !root.IsDir() {
		return nil, formatErr(d.Sector, "root directory record is not a directory")
	}
	type job struct {
		path  string
		rec   *Record
		depth int
	}
	queue := []job{{"/", root, 0}}
	seen := map[uint32]string{}
	t.Dirs["/"] = root
	t.dirRefs[root.Extent] = append(t.dirRefs[root.Extent], root.Offset)
	records := 0
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		if prev, ok := seen[j.rec.Extent]; ok {
			return nil, formatErr(int64(j.rec.Extent), "directory loop: %s points back to %s", j.path, prev)
		}
		seen[j.rec.Extent] = j.path
		if j.depth > maxDepth {
			return nil, formatErr(int64(j.rec.Extent), "directories nested deeper than %d at %s", maxDepth, j.path)
		}
		if err := img.checkExtent(j.rec, j.path); err != nil {
			return nil, err
		}
		nsec := (int64(j.rec.Size) + SectorSize - 1) / SectorSize
		data, err := img.readSectors(int64(j.rec.Extent), nsec)
		if err != nil {
			return nil, err
		}
		recs, err := splitRecords(data, int64(j.rec.Extent), d.Joliet)
		if err != nil {
			return nil, err
		}
		for i, r := range recs {
			r.tree = len(img.Trees)
			raw := data[r.Offset-int64(j.rec.Extent)*SectorSize:]
			if i == 0 && j.path == "/" && !d.Joliet {
				t.suspFound = hasSUSP(raw, r)
			}
			if t.suspFound {
				if err := img.checkContinuations(raw[:raw[0]], r.Offset/SectorSize); err != nil {
					return nil, err
				}
			}
			if r.Name == "\x00" || r.Name == "\x01" {
				// "." and ".." (ECMA-119 6.8.2.2). Other readers follow them
				// (go-diskfs sizes its reads by "."), so they are checked too.
				if r.Name == "\x00" && r.Extent != j.rec.Extent {
					return nil, formatErr(r.Offset/SectorSize, "%s: \".\" names sector %d, not the directory's own %d", j.path, r.Extent, j.rec.Extent)
				}
				if err := img.checkExtent(r, j.path); err != nil {
					return nil, err
				}
				t.dirRefs[r.Extent] = append(t.dirRefs[r.Extent], r.Offset)
				continue
			}
			records++
			if records > maxRecords {
				return nil, formatErr(int64(j.rec.Extent), "more than %d directory records", maxRecords)
			}
			p := Normalize(path.Join(j.path, r.Name))
			if r.IsDir() {
				t.dirRefs[r.Extent] = append(t.dirRefs[r.Extent], r.Offset)
				if _, dup := t.Dirs[p]; dup {
					continue // a second record for the same directory adds nothing
				}
				t.Dirs[p] = r
				t.Order = append(t.Order, p)
				queue = append(queue, job{p, r, j.depth + 1})
				continue
			}
			if r.Size > 0 {
				if err := img.checkExtent(r, p); err != nil {
					return nil, err
				}
			}
			if len(t.Entries[p]) == 0 {
				t.Order = append(t.Order, p)
			}
			t.Entries[p] = append(t.Entries[p], r)
		}
	}
	return t, nil
}

// checkExtent refuses data that lies past the volume or the file.
func (img *Image) checkExtent(r *Record, p string) error {
	end := (int64(r.Extent)*SectorSize + int64(r.Size) + SectorSize - 1) / SectorSize
	vss := int64(img.Primary.VolumeSpaceSize)
	if int64(r.Extent) < firstVDSector || end > vss {
		return formatErr(int64(r.Extent), "%s: extent %d+%d bytes lies outside the %d-sector volume", p, r.Extent, r.Size, vss)
	}
	return nil
}

// splitRecords parses the records of a directory's data. Records never cross
// a sector boundary; a zero length byte means "rest of this sector is padding".
func splitRecords(data []byte, sector int64, joliet bool) ([]*Record, error) {
	var out []*Record
	for off := 0; off < len(data); {
		n := int(data[off])
		if n == 0 {
			off = (off/SectorSize + 1) * SectorSize
			continue
		}
		s := sector + int64(off/SectorSize)
		if n < recordMin {
			return nil, formatErr(s, "directory record of %d bytes (minimum %d)", n, recordMin)
		}
		if off%SectorSize+n > SectorSize || off+n > len(data) {
			return nil, formatErr(s, "directory record crosses a sector boundary")
		}
		r, ferr := parseRecord(data[off:off+n], sector*SectorSize+int64(off), joliet)
		if ferr != nil {
			ferr.Sector = s
			return nil, ferr
		}
		out = append(out, r)
		off += n
	}
	return out, nil
}

// parseRecord decodes one record; b starts at its length byte.
func parseRecord(b []byte, offset int64, joliet bool) (*Record, *FormatError) {
	if len(b) < recordMin || int(b[0]) < recordMin || int(b[0]) > len(b) {
		return nil, &FormatError{Sector: offset / SectorSize, Reason: "short directory record"}
	}
	nameLen := int(b[32])
	if nameLen == 0 || 33+nameLen > int(b[0]) {
		return nil, &FormatError{Sector: offset / SectorSize, Reason: "directory record identifier overruns the record"}
	}
	// Both-endian fields (ECMA-119 7.3.3): trust the little-endian half but
	// insist the halves agree, as a corrupt record rarely keeps both in step.
	extLE, extBE := binary.LittleEndian.Uint32(b[2:6]), binary.BigEndian.Uint32(b[6:10])
	sizeLE, sizeBE := binary.LittleEndian.Uint32(b[10:14]), binary.BigEndian.Uint32(b[14:18])
	if extLE != extBE || sizeLE != sizeBE {
		return nil, &FormatError{Sector: offset / SectorSize, Reason: "directory record's little- and big-endian fields disagree"}
	}
	if b[1] != 0 {
		return nil, &FormatError{Sector: offset / SectorSize, Reason: "extended attribute records are not supported"}
	}
	id := b[33 : 33+nameLen]
	name := string(id)
	if joliet && nameLen > 1 {
		u := make([]uint16, 0, nameLen/2)
		for i := 0; i+1 < nameLen; i += 2 {
			u = append(u, binary.BigEndian.Uint16(id[i:]))
		}
		name = string(utf16.Decode(u))
	}
	return &Record{
		Offset:      offset,
		Extent:      extLE,
		Size:        sizeLE,
		Flags:       b[25],
		Interleaved: b[26] != 0 || b[27] != 0,
		Name:        name,
	}, nil
}

// hasSUSP reports whether the root's "." record starts its system use area
// with the SUSP "SP" entry (SUSP 5.3), i.e. the tree has Rock Ridge.
func hasSUSP(b []byte, r *Record) bool {
	n := int(b[0])
	nameLen := int(b[32])
	su := 33 + nameLen
	if nameLen%2 == 0 {
		su++ // padding byte after an even-length identifier
	}
	return su+7 <= n && string(b[su:su+2]) == "SP" && b[su+4] == 0xBE && b[su+5] == 0xEF
}

// maxContinuations bounds a chain of SUSP continuation areas; real Rock Ridge
// trees use one at most, for long names or symlinks.
const maxContinuations = 16

// checkContinuations follows the SUSP "CE" entries (SUSP 5.1) of one record
// and refuses areas outside the volume or chains that loop. Readers such as
// go-diskfs allocate the recorded length and follow the chain blindly.
func (img *Image) checkContinuations(rec []byte, sector int64) error {
	nameLen := int(rec[32])
	su := 33 + nameLen
	if nameLen%2 == 0 {
		su++
	}
	area := rec[min(su, len(rec)):]
	seen := map[int64]bool{}
	vss := int64(img.Primary.VolumeSpaceSize) * SectorSize
	for hops := 0; ; hops++ {
		var next []byte
		for len(area) >= 4 {
			n := int(area[2])
			if n < 4 || n > len(area) {
				break // padding or a malformed tail: readers stop here too
			}
			if string(area[:2]) == "CE" && n >= 28 {
				loc := int64(binary.LittleEndian.Uint32(area[4:8]))
				off := int64(binary.LittleEndian.Uint32(area[12:16]))
				length := int64(binary.LittleEndian.Uint32(area[20:24]))
				start := loc*SectorSize + off
				if off >= SectorSize || start+length > vss || seen[start] || hops >= maxContinuations {
					return formatErr(sector, "Rock Ridge continuation area (sector %d, %d bytes) is outside the volume or loops", loc, length)
				}
				seen[start] = true
				next = make([]byte, length)
				if _, err := img.r.ReadAt(next, start); err != nil {
					return formatErr(loc, "read Rock Ridge continuation area: %w", err)
				}
			}
			if string(area[:2]) == "ST" {
				break // SUSP terminator
			}
			area = area[n:]
		}
		if next == nil {
			return nil
		}
		area = next
	}
}
