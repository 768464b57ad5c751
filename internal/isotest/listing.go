package isotest

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Tree picks which directory tree isoinfo lists.
type Tree string

// The trees an image can carry.
const (
	ISO9660   Tree = ""   // primary volume descriptor's tree, ISO names ("BOOT.CFG;1")
	Joliet    Tree = "-J" // supplementary (UCS-2) tree; separate directory records
	RockRidge Tree = "-R" // primary tree read with Rock Ridge names and modes
)

func (tr Tree) String() string {
	switch tr {
	case ISO9660:
		return "ISO 9660"
	case Joliet:
		return "Joliet"
	case RockRidge:
		return "Rock Ridge"
	}
	return string(tr)
}

// Entry is one line of `isoinfo -l`: one directory record.
type Entry struct {
	Dir    string // listed directory, "/" or "/EFI/BOOT/" (as isoinfo prints it)
	Name   string // as listed: "BOOT.CFG;1", ".", ".."
	Path   string // what the record names, normalised by [NormPath]; "." and ".." resolved
	Mode   string // "----------" or Rock Ridge "-rw-r--r--"
	Links  string
	UID    string
	GID    string
	Size   int64 // data length
	Date   string
	Extent int64 // first logical block
	Flags  string
	IsDir  bool
}

var (
	dirLine   = regexp.MustCompile(`^Directory listing of (.*)$`)
	entryLine = regexp.MustCompile(`^(\S{10})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+\s+\d+\s+\d+)\s+\[\s*(\d+)\s+([0-9A-Fa-f]+)\]\s\s(.*?) ?$`)
)

// Listing runs `isoinfo -l [-J|-R] -i iso` and parses every record it prints.
func Listing(t testing.TB, iso string, tree Tree) []Entry {
	t.Helper()
	args := []string{"-l"}
	if tree != ISO9660 {
		args = append(args, string(tree))
	}
	out := runTool(t, "isoinfo", append(args, "-i", iso)...)
	entries, err := parseListing(out.stdout)
	if err != nil {
		t.Fatalf("isotest: isoinfo -l %s of %s: %v", tree, iso, err)
	}
	if len(entries) == 0 {
		t.Fatalf("isotest: isoinfo -l %s of %s listed nothing", tree, iso)
	}
	return entries
}

// Stat returns the listing entry of the file at p (any case, ";N" optional) in
// the given tree, failing the test when there is none.
func Stat(t testing.TB, iso string, tree Tree, p string) Entry {
	t.Helper()
	want := NormPath(p)
	for _, e := range Listing(t, iso, tree) {
		if e.Path == want && e.Name != "." && e.Name != ".." {
			return e
		}
	}
	t.Fatalf("isotest: %s has no %s in its %s tree", iso, p, tree)
	return Entry{}
}

func parseListing(text string) ([]Entry, error) {
	var entries []Entry
	dir := ""
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if m := dirLine.FindStringSubmatch(line); m != nil {
			dir = m[1]
			continue
		}
		m := entryLine.FindStringSubmatch(line)
		if m == nil || dir == "" {
			return nil, fmt.Errorf("line %d: unexpected %q", i+1, line)
		}
		size, _ := strconv.ParseInt(m[5], 10, 64)
		extent, _ := strconv.ParseInt(m[7], 10, 64)
		e := Entry{
			Dir: dir, Name: m[9], Mode: m[1], Links: m[2], UID: m[3], GID: m[4],
			Size: size, Date: m[6], Extent: extent, Flags: m[8],
			IsDir: strings.HasPrefix(m[1], "d"),
		}
		d := NormPath(dir)
		switch e.Name {
		case ".":
			e.Path = d
		case "..":
			e.Path = path.Dir(d)
		default:
			e.Path = NormPath(path.Join(d, e.Name))
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// NormPath makes ISO paths comparable across trees and tools: absolute,
// uppercase, ";N" version and a bare trailing "." stripped from each name.
// "/efi/boot/boot.cfg", "/EFI/BOOT/BOOT.CFG;1" and "EFI/BOOT/BOOT.CFG" agree.
func NormPath(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	out := make([]string, 0, len(parts))
	for _, part := range parts {
		if i := strings.LastIndexByte(part, ';'); i >= 0 {
			part = part[:i]
		}
		part = strings.TrimSuffix(part, ".")
		if part != "" {
			out = append(out, strings.ToUpper(part))
		}
	}
	return "/" + strings.Join(out, "/")
}
