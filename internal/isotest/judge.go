package isotest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// maxDiffs caps the differences one judge lists, to keep failures readable.
const maxDiffs = 30

// Judge asserts, with tools that share no code with ours, that out is in with
// only the files in edited changed (ISO paths, any case; a path absent from in
// is a file the engine added, such as "/KS.CFG"). relocated says the engine
// moved data to the end of the image, which lets extents and the volume size
// change. Each judge reports every difference it finds (t.Errorf) so one run
// shows the whole picture; a tool that cannot read an image is fatal.
//
//   - xorriso -report_el_torito plain -report_system_area plain: identical;
//   - isoinfo -d: identical, except "Volume size" may grow when relocated;
//   - isoinfo -l (and -J, -R when in has them): the same records in the same
//     order with the same names, modes and dates; sizes differ only for edited
//     files, extents only for edited files when relocated; the directories
//     holding an added file may change size (and extent when relocated);
//   - osirrox -extract /: every file but the edited ones byte-identical;
//   - each boot image xorriso reports with a boot-info-table carries a correct
//     one in out (PVD LBA 16, its own LBA and length, checksum from byte 64),
//     read from out's bytes at the extent isoinfo lists;
//   - the system area (sectors 0-15) is byte-identical.
func Judge(t testing.TB, in, out string, edited []string, relocated bool) {
	t.Helper()
	j := newJudgement(t, in, out, edited, relocated)
	inRep, outRep := xorrisoReport(t, in, relocated), xorrisoReport(t, out, relocated)
	j.lines("xorriso -report_el_torito -report_system_area", inRep, outRep)

	inD, outD := isoinfoD(t, in), isoinfoD(t, out)
	j.isoinfoD(inD, outD)

	trees := []Tree{ISO9660}
	if strings.Contains(inD, "Joliet with UCS level") {
		trees = append(trees, Joliet)
	}
	if strings.Contains(inD, "Rock Ridge signatures") {
		trees = append(trees, RockRidge)
	}
	var outISO []Entry
	for _, tr := range trees {
		a, b := Listing(t, in, tr), Listing(t, out, tr)
		if tr == ISO9660 {
			j.findAdded(a)
			outISO = b
		}
		j.listings(tr, a, b)
	}
	j.trees(ExtractTree(t, in), ExtractTree(t, out))
	j.bootInfoTables(inRep, outISO)
	j.systemArea()
}

// systemArea compares the first 16 sectors byte for byte: xorriso only
// reports a system area it recognises (MBR, GPT, ...), and nothing in it may
// change.
func (j *judgement) systemArea() {
	j.t.Helper()
	read := func(p string) []byte {
		f, err := os.Open(p)
		if err != nil {
			j.t.Fatalf("isotest: %v", err)
		}
		defer f.Close()
		b := make([]byte, 16*sectorSize)
		if _, err := f.ReadAt(b, 0); err != nil {
			j.t.Fatalf("isotest: read the system area of %s: %v", p, err)
		}
		return b
	}
	if a, b := read(j.in), read(j.out); !bytes.Equal(a, b) {
		j.report("system area (sectors 0-15)", []string{firstDiff(a, b)})
	}
}

type judgement struct {
	t         testing.TB
	in, out   string
	edited    map[string]bool // NormPath
	added     map[string]bool // edited paths in does not have
	parents   map[string]bool // directories holding an added file
	relocated bool
}

func newJudgement(t testing.TB, in, out string, edited []string, relocated bool) *judgement {
	j := &judgement{t: t, in: in, out: out, edited: map[string]bool{}, added: map[string]bool{},
		parents: map[string]bool{}, relocated: relocated}
	for _, p := range edited {
		j.edited[NormPath(p)] = true
	}
	return j
}

// findAdded records which edited paths are new, from in's ISO 9660 listing.
func (j *judgement) findAdded(in []Entry) {
	have := map[string]bool{}
	for _, e := range in {
		have[e.Path] = true
	}
	for p := range j.edited {
		if !have[p] {
			j.added[p] = true
			for d := path.Dir(p); ; d = path.Dir(d) {
				j.parents[d] = true
				if d == "/" {
					break
				}
			}
		}
	}
}

// report fails the test with one message listing the differences.
func (j *judgement) report(what string, diffs []string) {
	j.t.Helper()
	if len(diffs) == 0 {
		return
	}
	more := ""
	if len(diffs) > maxDiffs {
		more = fmt.Sprintf("\n  ... and %d more", len(diffs)-maxDiffs)
		diffs = diffs[:maxDiffs]
	}
	j.t.Errorf("isotest: Judge: %s differs between\n  in:  %s\n  out: %s\n  %s%s",
		what, j.in, j.out, strings.Join(diffs, "\n  "), more)
}

// lines compares two normalised tool outputs line by line.
func (j *judgement) lines(what, a, b string) {
	j.t.Helper()
	if a != b {
		j.report(what, diffLines(strings.Split(a, "\n"), strings.Split(b, "\n")))
	}
}

// diffLines returns a minimal "-in"/"+out" line diff (longest common
// subsequence; tool reports are a few dozen lines).
func diffLines(a, b []string) []string {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for k := len(b) - 1; k >= 0; k-- {
			if a[i] == b[k] {
				lcs[i][k] = lcs[i+1][k+1] + 1
			} else {
				lcs[i][k] = max(lcs[i+1][k], lcs[i][k+1])
			}
		}
	}
	var diffs []string
	i, k := 0, 0
	for i < len(a) || k < len(b) {
		switch {
		case i < len(a) && k < len(b) && a[i] == b[k]:
			i, k = i+1, k+1
		case i < len(a) && (k == len(b) || lcs[i+1][k] >= lcs[i][k+1]):
			diffs = append(diffs, fmt.Sprintf("-in:  %q", a[i]))
			i++
		default:
			diffs = append(diffs, fmt.Sprintf("+out: %q", b[k]))
			k++
		}
	}
	return diffs
}

// xorrisoReport returns what xorriso says about the boot records and system
// area, without lines that name the file, vary by run (timing, free space on
// the host) or, when relocated, count the image's blocks.
func xorrisoReport(t testing.TB, iso string, relocated bool) string {
	t.Helper()
	out := runTool(t, "xorriso", "-indev", iso, "-report_el_torito", "plain", "-report_system_area", "plain")
	var keep []string
	for _, l := range strings.Split(out.stderr+"\n"+out.stdout, "\n") {
		switch {
		case strings.TrimSpace(l) == "",
			strings.Contains(l, iso),
			strings.HasPrefix(l, "xorriso : UPDATE"),
			strings.HasPrefix(l, "xorriso ") && strings.Contains(l, "libburnia project"):
			continue
		case strings.HasPrefix(l, "Media summary:"):
			// "1 session, 1455 data blocks, 2910k data, 78.2g free": the free space is the host's.
			if i := strings.LastIndex(l, ","); i >= 0 {
				l = l[:i]
			}
			if relocated {
				l = mediaBlocks.ReplaceAllString(l, "${1}N data blocks, N data")
			}
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

var mediaBlocks = regexp.MustCompile(`(session, )\d+ data blocks, \S+ data`)

func isoinfoD(t testing.TB, iso string) string {
	t.Helper()
	return runTool(t, "isoinfo", "-d", "-i", iso).stdout
}

var volumeSize = regexp.MustCompile(`^Volume size is: (\d+)$`)

// isoinfoD compares `isoinfo -d`; "Volume size" may only grow, and only when relocated.
func (j *judgement) isoinfoD(a, b string) {
	j.t.Helper()
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var diffs []string
	if len(al) != len(bl) {
		diffs = append(diffs, fmt.Sprintf("%d lines in, %d out", len(al), len(bl)))
	}
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] == bl[i] {
			continue
		}
		ma, mb := volumeSize.FindStringSubmatch(al[i]), volumeSize.FindStringSubmatch(bl[i])
		if ma != nil && mb != nil && j.relocated {
			x, _ := strconv.ParseInt(ma[1], 10, 64)
			y, _ := strconv.ParseInt(mb[1], 10, 64)
			if y >= x {
				continue
			}
		}
		diffs = append(diffs, fmt.Sprintf("line %d: in %q, out %q", i+1, al[i], bl[i]))
	}
	j.report("isoinfo -d", diffs)
}

// listings compares two `isoinfo -l` listings of one tree record by record.
func (j *judgement) listings(tr Tree, a, b []Entry) {
	j.t.Helper()
	key := func(e Entry) string { return e.Dir + "\x00" + e.Name }
	index := func(es []Entry) (map[string][]Entry, []string) {
		m := map[string][]Entry{}
		var order []string
		for _, e := range es {
			k := key(e)
			if _, ok := m[k]; !ok {
				order = append(order, k)
			}
			m[k] = append(m[k], e)
		}
		return m, order
	}
	am, aorder := index(a)
	bm, border := index(b)
	var diffs []string
	// Same records in the same order, apart from added files.
	var bkept []string
	for _, k := range border {
		if _, ok := am[k]; ok || !j.added[bm[k][0].Path] {
			bkept = append(bkept, k)
		}
	}
	if strings.Join(aorder, "\n") != strings.Join(bkept, "\n") {
		diffs = append(diffs, "records are not the same or not in the same order:\n    in:  "+
			strings.ReplaceAll(strings.Join(aorder, ", "), "\x00", "")+"\n    out: "+
			strings.ReplaceAll(strings.Join(bkept, ", "), "\x00", ""))
	}
	for _, k := range border {
		if _, ok := am[k]; !ok && !j.added[bm[k][0].Path] {
			diffs = append(diffs, fmt.Sprintf("%s%s: only in out (not an edited file)", bm[k][0].Dir, bm[k][0].Name))
		}
	}
	for _, k := range aorder {
		ea, eb := am[k], bm[k]
		if eb == nil {
			diffs = append(diffs, fmt.Sprintf("%s%s: missing from out", ea[0].Dir, ea[0].Name))
			continue
		}
		if len(ea) != len(eb) {
			diffs = append(diffs, fmt.Sprintf("%s%s: %d records in, %d out", ea[0].Dir, ea[0].Name, len(ea), len(eb)))
			continue
		}
		for i := range ea {
			diffs = append(diffs, j.entry(ea[i], eb[i])...)
		}
	}
	j.report(strings.TrimSpace("isoinfo -l "+string(tr))+" ("+tr.String()+" tree)", diffs)
}

// entry compares one directory record; which fields may change depends on
// what the record names.
func (j *judgement) entry(a, b Entry) []string {
	var diffs []string
	name := a.Dir + a.Name
	same := func(field, x, y string) {
		if x != y {
			diffs = append(diffs, fmt.Sprintf("%s: %s %q in, %q out", name, field, x, y))
		}
	}
	same("mode", a.Mode, b.Mode)
	same("links", a.Links, b.Links)
	same("uid", a.UID, b.UID)
	same("gid", a.GID, b.GID)
	same("date", a.Date, b.Date)
	same("flags", a.Flags, b.Flags)
	editedFile := j.edited[a.Path] && !a.IsDir
	mayGrow := editedFile || (a.IsDir && j.parents[a.Path])
	if a.Size != b.Size && !mayGrow {
		diffs = append(diffs, fmt.Sprintf("%s: size %d in, %d out (not an edited file)", name, a.Size, b.Size))
	}
	if a.Extent != b.Extent {
		switch {
		case !mayGrow:
			diffs = append(diffs, fmt.Sprintf("%s: extent %d in, %d out (not an edited file)", name, a.Extent, b.Extent))
		case !j.relocated:
			diffs = append(diffs, fmt.Sprintf("%s: extent %d in, %d out, but the edit was not declared relocated", name, a.Extent, b.Extent))
		}
	}
	return diffs
}

// trees compares two extracted trees: every file but the edited ones equal.
func (j *judgement) trees(a, b string) {
	j.t.Helper()
	fa, fb := walkTree(j.t, a), walkTree(j.t, b)
	var diffs []string
	for _, p := range sortedKeys(fa) {
		ka, kb := fa[p], fb[p]
		switch {
		case kb == "":
			diffs = append(diffs, p+": missing from out")
		case ka != kb:
			diffs = append(diffs, fmt.Sprintf("%s: %s in, %s out", p, ka, kb))
		case ka == "file" && !j.edited[NormPath(p)]:
			x, y := readFile(j.t, filepath.Join(a, p)), readFile(j.t, filepath.Join(b, p))
			if !bytes.Equal(x, y) {
				diffs = append(diffs, fmt.Sprintf("%s: content differs (not an edited file): %s", p, firstDiff(x, y)))
			}
		}
	}
	for _, p := range sortedKeys(fb) {
		if fa[p] == "" && !j.added[NormPath(p)] {
			diffs = append(diffs, p+": only in out (not an edited file)")
		}
	}
	j.report("osirrox -extract / tree", diffs)
}

// firstDiff describes where two byte slices first differ.
func firstDiff(x, y []byte) string {
	n := min(len(x), len(y))
	for i := 0; i < n; i++ {
		if x[i] != y[i] {
			return fmt.Sprintf("first at byte %d (sizes %d, %d)", i, len(x), len(y))
		}
	}
	return fmt.Sprintf("sizes %d, %d", len(x), len(y))
}

// walkTree maps each path under root ("/EFI/BOOT/BOOT.CFG") to "file" or "dir".
func walkTree(t testing.TB, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		kind := "file"
		switch {
		case d.IsDir():
			kind = "dir"
		case !d.Type().IsRegular():
			kind = d.Type().String()
		}
		m["/"+filepath.ToSlash(rel)] = kind
		return nil
	})
	if err != nil {
		t.Fatalf("isotest: walk %s: %v", root, err)
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var (
	eltoritoPath = regexp.MustCompile(`^El Torito img path :\s+(\d+)\s+(\S.*)$`)
	eltoritoOpts = regexp.MustCompile(`^El Torito img opts :\s+(\d+)\s+(.*)$`)
	eltoritoImg  = regexp.MustCompile(`^El Torito boot img :\s+(\d+)\s+.*\s(\d+)$`)
)

// bootInfoTables checks, in out's bytes, the boot-info-table of every boot
// image that xorriso says carries one in the input.
func (j *judgement) bootInfoTables(inReport string, outISO []Entry) {
	j.t.Helper()
	paths, lbas, tables := map[string]string{}, map[string]int64{}, map[string]bool{}
	for _, l := range strings.Split(inReport, "\n") {
		if m := eltoritoPath.FindStringSubmatch(l); m != nil {
			paths[m[1]] = strings.TrimSpace(m[2])
		}
		if m := eltoritoOpts.FindStringSubmatch(l); m != nil && strings.Contains(m[2], "boot-info-table") {
			tables[m[1]] = true
		}
		if m := eltoritoImg.FindStringSubmatch(l); m != nil {
			lbas[m[1]], _ = strconv.ParseInt(m[2], 10, 64)
		}
	}
	var diffs []string
	for n := range tables {
		p := paths[n]
		var e *Entry
		for i := range outISO {
			if outISO[i].Path == NormPath(p) && !outISO[i].IsDir {
				e = &outISO[i]
			}
		}
		if e == nil {
			diffs = append(diffs, fmt.Sprintf("boot image %s %s: not in out's listing", n, p))
			continue
		}
		if lbas[n] != e.Extent {
			diffs = append(diffs, fmt.Sprintf("boot image %s %s: catalog LBA %d, listed extent %d", n, p, lbas[n], e.Extent))
		}
		if err := checkBootInfoTable(j.out, e.Extent, e.Size); err != nil {
			diffs = append(diffs, fmt.Sprintf("boot image %s %s: %v", n, p, err))
		}
	}
	j.report("boot-info-table", diffs)
}

// checkBootInfoTable reads the boot image at lba (size bytes) from iso and
// checks the 56-byte table mkisofs writes at offset 8 (El Torito boot-info-table,
// mkisofs(8) -boot-info-table): PVD LBA, file LBA, file length, and the 32-bit
// little-endian sum of the file's words from byte 64 on.
func checkBootInfoTable(iso string, lba, size int64) error {
	f, err := os.Open(iso)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, size)
	if _, err := f.ReadAt(b, lba*sectorSize); err != nil {
		return fmt.Errorf("read %d bytes at LBA %d: %w", size, lba, err)
	}
	if size < 64 {
		return fmt.Errorf("boot image of %d bytes is too short for a boot-info-table", size)
	}
	padded := append(b, make([]byte, (4-len(b)%4)%4)...) // the sum runs over whole words
	var sum uint32
	for i := 64; i < len(padded); i += 4 {
		sum += binary.LittleEndian.Uint32(padded[i:])
	}
	le := binary.LittleEndian
	var diffs []string
	for _, c := range []struct {
		what      string
		off       int
		want, got uint32
	}{
		{"bi_pvd (PVD LBA)", 8, 16, le.Uint32(b[8:])},
		{"bi_file (file LBA)", 12, uint32(lba), le.Uint32(b[12:])},
		{"bi_length (file length)", 16, uint32(size), le.Uint32(b[16:])},
		{"bi_csum (checksum from byte 64)", 20, sum, le.Uint32(b[20:])},
	} {
		if c.want != c.got {
			diffs = append(diffs, fmt.Sprintf("%s at offset %d is %#x, want %#x", c.what, c.off, c.got, c.want))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("stale boot-info-table: %s", strings.Join(diffs, "; "))
	}
	return nil
}
