package iso

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf16"
)

// maxContent bounds the data one Replace or Add may carry, keeping memory
// flat: patches are boot configurations and kickstarts, never payloads.
const maxContent = 16 << 20

// Patch is a set of changes to an image, kept as copies of the sectors they
// touch. Nothing is written until [Patch.WriteTo] or [Patch.Reader] streams
// the original image with those sectors swapped in.
type Patch struct {
	img     *Image
	sectors map[int64][]byte // changed or appended sectors, by number
	start   int64            // first appended sector (end of the original)
	next    int64            // next free appended sector
	added   bool             // Add was called: record offsets may have moved
}

// NewPatch starts an empty patch of img.
func (img *Image) NewPatch() *Patch {
	end := (img.size + SectorSize - 1) / SectorSize
	if vss := int64(img.Primary.VolumeSpaceSize); vss > end {
		end = vss
	}
	return &Patch{img: img, sectors: map[int64][]byte{}, start: end, next: end}
}

// Size is the byte size of the patched image.
func (p *Patch) Size() int64 {
	if p.next > p.start {
		return p.next * SectorSize
	}
	return p.img.size
}

// ChangedSectors lists, in order, the sectors of the original image the patch
// changes (appended sectors are not included).
func (p *Patch) ChangedSectors() []int64 {
	var out []int64
	for s := range p.sectors {
		if s < p.start {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// read returns the current content of sector s (patched or original).
func (p *Patch) read(s int64) ([]byte, error) {
	if b, ok := p.sectors[s]; ok {
		return b, nil
	}
	if s >= p.start {
		return make([]byte, SectorSize), nil
	}
	b := make([]byte, SectorSize)
	n, err := p.img.r.ReadAt(b, s*SectorSize)
	if n < SectorSize && (err == nil || errors.Is(err, io.EOF)) && s*SectorSize+int64(n) < p.img.size {
		return nil, formatErr(s, "short read")
	} else if err != nil && !errors.Is(err, io.EOF) {
		return nil, formatErr(s, "read: %w", err)
	}
	return b, nil
}

// writeAt copies b to byte offset off of the patched image.
func (p *Patch) writeAt(off int64, b []byte) error {
	for len(b) > 0 {
		s := off / SectorSize
		sec, err := p.read(s)
		if err != nil {
			return err
		}
		if _, ok := p.sectors[s]; !ok {
			sec = append([]byte(nil), sec...)
			p.sectors[s] = sec
		}
		n := copy(sec[off%SectorSize:], b)
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// putBoth writes v as a both-endian 32-bit field (ECMA-119 7.3.3) at off.
func (p *Patch) putBoth(off int64, v uint32) error {
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:4], v)
	binary.BigEndian.PutUint32(b[4:], v)
	return p.writeAt(off, b[:])
}

// appendData stores content in fresh sectors after the image and returns the
// first of them.
func (p *Patch) appendData(content []byte) (uint32, error) {
	if p.img.hasPartitionTable() {
		return 0, unsupported("it is isohybrid (a partition table in the system area would no longer match the image size)")
	}
	ext := p.next
	n := (int64(len(content)) + SectorSize - 1) / SectorSize
	if ext+n > 1<<32-1 {
		return 0, unsupported("image would exceed the ISO 9660 size limit")
	}
	for i := int64(0); i < n; i++ {
		sec := make([]byte, SectorSize)
		copy(sec, content[i*SectorSize:])
		p.sectors[ext+i] = sec
	}
	p.next += n
	// The volume space size of every tree-bearing descriptor (offset 80)
	// must cover the new sectors, or readers treat them as past the end.
	for _, d := range p.img.Descriptors {
		if err := p.putBoth(d.Sector*SectorSize+80, uint32(p.next)); err != nil {
			return 0, err
		}
	}
	return uint32(ext), nil
}

// Replace sets the content of f. The data stays in place when it fits the
// sectors f owns and moves to the end of the image otherwise; every record
// naming f, in every tree, gets the new size (and extent). It returns whether
// the data moved. Boot images and the boot catalog are refused: moving them
// would invalidate the El Torito catalog or a boot-info-table.
func (p *Patch) Replace(f *File, content []byte) (relocated bool, err error) {
	if p.added {
		return false, errors.New("iso: Replace after Add (record positions may have moved)")
	}
	if err := p.img.checkPatchable(f); err != nil {
		return false, err
	}
	if len(content) > maxContent {
		return false, unsupported("new content of %s is %d bytes (limit %d)", f.Path, len(content), maxContent)
	}
	owned := (f.Size + SectorSize - 1) / SectorSize
	need := (int64(len(content)) + SectorSize - 1) / SectorSize
	ext := f.Extent
	if need <= owned {
		// In place; zero the rest of the owned sectors so no stale bytes remain.
		buf := make([]byte, owned*SectorSize)
		copy(buf, content)
		if err := p.writeAt(int64(f.Extent)*SectorSize, buf); err != nil {
			return false, err
		}
	} else {
		if ext, err = p.appendData(content); err != nil {
			return false, err
		}
		relocated = true
	}
	for _, r := range f.Records {
		if err := p.putBoth(r.Offset+10, uint32(len(content))); err != nil {
			return false, err
		}
		if relocated {
			if err := p.putBoth(r.Offset+2, ext); err != nil {
				return false, err
			}
		}
	}
	return relocated, nil
}

func (img *Image) checkPatchable(f *File) error {
	for _, r := range f.Records {
		if r.Interleaved {
			return unsupported("%s is recorded in interleaved mode", f.Path)
		}
	}
	if img.Boot != nil {
		if f.Extent == img.Boot.Sector {
			return unsupported("%s is the El Torito boot catalog", f.Path)
		}
		for _, e := range img.Boot.Entries {
			if f.Extent == e.LoadRBA && f.Size > 0 {
				return unsupported("%s is an El Torito boot image", f.Path)
			}
		}
	}
	return nil
}

// hasPartitionTable reports an MBR signature at the end of sector 0 (isohybrid).
func (img *Image) hasPartitionTable() bool {
	var sig [2]byte
	_, err := img.r.ReadAt(sig[:], 510)
	return err == nil && sig == [2]byte{0x55, 0xAA}
}

// Add creates a new file named name (8.3, e.g. "KS.CFG") in directory dir of
// every tree, with content appended to the image. The new records copy date,
// flags and version suffix from like, a file of the same directory, so the
// result looks as if the vendor had written it. The directory keeps its size:
// if its sectors have no room, Add refuses. Call Add after every Replace.
func (p *Patch) Add(dir, name string, content []byte, like *File) error {
	if len(content) > maxContent {
		return unsupported("new file %s is %d bytes (limit %d)", name, len(content), maxContent)
	}
	if strings.ContainsAny(name, "/;") || name == "" {
		return fmt.Errorf("iso: bad file name %q", name)
	}
	target := Normalize(dir + "/" + name)
	if _, err := p.img.Lookup(target); err == nil {
		return fmt.Errorf("iso: %s already exists", target)
	}
	ext, err := p.appendData(content)
	if err != nil {
		return err
	}
	p.added = true
	for ti, t := range p.img.Trees {
		d := t.Dirs[Normalize(dir)]
		if d == nil {
			return fmt.Errorf("iso: directory %s: %w", dir, ErrNotFound)
		}
		var tmpl *Record
		for _, r := range like.Records {
			if r.tree == ti {
				tmpl = r
			}
		}
		if tmpl == nil {
			return unsupported("%s has no record in the %s tree to copy from", like.Path, t.kind())
		}
		if err := p.insertRecord(t, d, tmpl, name, ext, uint32(len(content))); err != nil {
			return err
		}
	}
	return nil
}

// insertRecord rewrites directory d of tree t with one more record, in ISO
// 9660 order, laid out so no record crosses a sector boundary.
func (p *Patch) insertRecord(t *Tree, d *Record, tmpl *Record, name string, ext, size uint32) error {
	nsec := (int64(d.Size) + SectorSize - 1) / SectorSize
	var raw [][]byte
	for i := int64(0); i < nsec; i++ {
		sec, err := p.read(int64(d.Extent) + i)
		if err != nil {
			return err
		}
		for off := 0; off < SectorSize && sec[off] != 0; off += int(sec[off]) {
			if off+int(sec[off]) > SectorSize {
				return formatErr(int64(d.Extent)+i, "directory record crosses a sector boundary")
			}
			raw = append(raw, sec[off:off+int(sec[off])])
		}
	}
	tsec, err := p.read(tmpl.Offset / SectorSize)
	if err != nil {
		return err
	}
	id := name
	if strings.Contains(tmpl.Name, ";") {
		id += ";1"
	}
	idBytes := []byte(id)
	if t.Descriptor.Joliet {
		idBytes = nil
		for _, u := range utf16.Encode([]rune(id)) {
			idBytes = binary.BigEndian.AppendUint16(idBytes, u)
		}
	}
	n := 33 + len(idBytes)
	if len(idBytes)%2 == 0 {
		n++ // pad to an even record length (ECMA-119 9.1.12)
	}
	rec := make([]byte, n)
	copy(rec[:33], tsec[tmpl.Offset%SectorSize:])
	rec[0], rec[1] = byte(n), 0
	binary.LittleEndian.PutUint32(rec[2:], ext)
	binary.BigEndian.PutUint32(rec[6:], ext)
	binary.LittleEndian.PutUint32(rec[10:], size)
	binary.BigEndian.PutUint32(rec[14:], size)
	rec[25] &^= flagDir | flagMultiExtent
	rec[32] = byte(len(idBytes))
	copy(rec[33:], idBytes)

	pos := len(raw)
	for i := 2; i < len(raw); i++ { // after "." and ".."
		nl := int(raw[i][32])
		other := string(raw[i][33 : 33+nl])
		if t.Descriptor.Joliet {
			other = decodeUCS2(raw[i][33 : 33+nl])
		}
		if lessID(id, other) {
			pos = i
			break
		}
	}
	raw = append(raw[:pos], append([][]byte{rec}, raw[pos:]...)...)

	out := make([]byte, nsec*SectorSize)
	off := 0
	for _, r := range raw {
		if off%SectorSize+len(r) > SectorSize {
			off = (off/SectorSize + 1) * SectorSize
		}
		if off+len(r) > len(out) {
			return unsupported("directory %s has no room for another record (it would need to grow)", d.Name)
		}
		copy(out[off:], r)
		off += len(r)
	}
	if err := p.writeAt(int64(d.Extent)*SectorSize, out); err != nil {
		return err
	}
	// Some writers (go-diskfs) record a directory's exact byte length rather
	// than whole sectors; readers stop there, so the length must grow to
	// cover the new record, in every record that describes the directory.
	if uint32(off) <= d.Size {
		return nil
	}
	for _, ref := range t.dirRefs[d.Extent] {
		if err := p.putBoth(ref+10, uint32(off)); err != nil {
			return err
		}
	}
	return nil
}

// lessID orders file identifiers as ECMA-119 9.3 does: by name, then by
// extension, each padded with spaces.
func lessID(a, b string) bool {
	split := func(s string) (string, string) {
		s = strings.ToUpper(s)
		if i := strings.LastIndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		name, ext, _ := strings.Cut(s, ".")
		return name, ext
	}
	pad := func(x, y string) (string, string) {
		for len(x) < len(y) {
			x += " "
		}
		for len(y) < len(x) {
			y += " "
		}
		return x, y
	}
	an, ae := split(a)
	bn, be := split(b)
	an, bn = pad(an, bn)
	if an != bn {
		return an < bn
	}
	ae, be = pad(ae, be)
	return ae < be
}

// Reader streams the patched image. Reads come from the original through
// ReadAt in the caller's buffer sizes, with changed sectors copied over.
func (p *Patch) Reader() io.Reader {
	keys := make([]int64, 0, len(p.sectors))
	for s := range p.sectors {
		keys = append(keys, s)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return &patchReader{p: p, keys: keys, size: p.Size()}
}

type patchReader struct {
	p    *Patch
	keys []int64 // changed sectors, ascending
	ki   int     // first key not yet behind pos
	pos  int64
	size int64
}

func (r *patchReader) Read(b []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if rest := r.size - r.pos; int64(len(b)) > rest {
		b = b[:rest]
	}
	orig := r.p.img.size
	n := 0
	if r.pos < orig {
		m := len(b)
		if rest := orig - r.pos; int64(m) > rest {
			m = int(rest)
		}
		k, err := r.p.img.r.ReadAt(b[:m], r.pos)
		if k < m {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("read image at byte %d: %w", r.pos+int64(k), err)
		}
		n = m
	}
	if n < len(b) {
		clear(b[n:]) // alignment padding before appended sectors
		n = len(b)
	}
	// Overlay changed sectors that intersect [pos, pos+n).
	end := r.pos + int64(n)
	for r.ki < len(r.keys) && (r.keys[r.ki]+1)*SectorSize <= r.pos {
		r.ki++
	}
	for i := r.ki; i < len(r.keys) && r.keys[i]*SectorSize < end; i++ {
		s := r.keys[i]
		sec := r.p.sectors[s]
		from := s * SectorSize
		lo, hi := max(from, r.pos), min(from+SectorSize, end)
		copy(b[lo-r.pos:hi-r.pos], sec[lo-from:hi-from])
	}
	r.pos = end
	return n, nil
}

// WriteTo streams the patched image to w.
func (p *Patch) WriteTo(w io.Writer) (int64, error) {
	return io.CopyBuffer(w, p.Reader(), make([]byte, 1<<20))
}

// Segment is a run of the patched image: either Len bytes copied unchanged
// from offset Off of the original (Data == nil), or Data itself.
type Segment struct {
	Off  int64
	Len  int64
	Data []byte
}

// Segments describes the patched image as unchanged runs of the original and
// changed bytes, in order, so a writer can copy the unchanged runs in the
// kernel (copy_file_range) and write only the changed sectors itself.
func (p *Patch) Segments() []Segment {
	keys := make([]int64, 0, len(p.sectors))
	for s := range p.sectors {
		keys = append(keys, s)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var out []Segment
	pos := int64(0)
	orig := p.img.size
	for _, s := range keys {
		from := s * SectorSize
		if from > pos {
			// Unchanged original bytes, then zero padding up to the first
			// appended sector if the original did not end on a sector.
			if n := min(from, orig) - pos; n > 0 {
				out = append(out, Segment{Off: pos, Len: n})
				pos += n
			}
			if from > pos {
				out = append(out, Segment{Off: pos, Len: from - pos, Data: make([]byte, from-pos)})
				pos = from
			}
		}
		sec := p.sectors[s]
		if s < p.start && from+SectorSize > orig {
			sec = sec[:orig-from] // the original's last, partial sector
		}
		if n := len(out); n > 0 && out[n-1].Data != nil && out[n-1].Off+out[n-1].Len == from {
			out[n-1].Data = append(out[n-1].Data, sec...) // merge adjacent changes
			out[n-1].Len += int64(len(sec))
		} else {
			out = append(out, Segment{Off: from, Len: int64(len(sec)), Data: append([]byte(nil), sec...)})
		}
		pos = from + int64(len(sec))
	}
	if pos < orig {
		out = append(out, Segment{Off: pos, Len: orig - pos})
	}
	return out
}
