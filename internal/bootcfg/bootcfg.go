package bootcfg

import (
	"bytes"
	"errors"
	"strings"
)

// ErrNoKernelopt means the file has no kernelopt= line, so there is nothing
// to edit; stock ESXi installer media always have one.
var ErrNoKernelopt = errors.New("bootcfg: no kernelopt= line")

const kerneloptKey = "kernelopt"

// File is a BOOT.CFG held as its original bytes plus line boundaries. The zero
// value is an empty file. A File is not safe for concurrent edits.
type File struct {
	b     []byte
	lines []span // content of each line, without its "\n" or "\r\n" ending
}

// span is a half-open byte range [start, end) of File.b.
type span struct{ start, end int }

// entry is a key=value line: positions in File.b of the key (untrimmed, up to
// the first '=') and of the value with surrounding whitespace trimmed.
type entry struct {
	key      span
	val      span
	hasValue bool
}

// Parse indexes b. It never fails on content: lines it cannot understand are
// simply not key=value lines and are kept as they are. Parse copies b.
func Parse(b []byte) *File {
	f := &File{b: bytes.Clone(b)}
	for start := 0; start < len(f.b); {
		end := len(f.b)
		next := end
		if i := bytes.IndexByte(f.b[start:], '\n'); i >= 0 {
			end, next = start+i, start+i+1
			// A CRLF ending belongs to the line ending, not to the content.
			if end > start && f.b[end-1] == '\r' {
				end--
			}
		}
		f.lines = append(f.lines, span{start, end})
		start = next
	}
	return f
}

// Bytes returns a copy of the file's current content.
func (f *File) Bytes() []byte { return bytes.Clone(f.b) }

// Get returns the value of the last line whose key equals key (ASCII
// case-insensitive), trimmed of surrounding whitespace. ok is false when no
// such line exists. Comments, blank lines and lines without '=' never match.
func (f *File) Get(key string) (value string, ok bool) {
	if i, e := f.last(key); i >= 0 {
		return string(f.b[e.val.start:e.val.end]), true
	}
	return "", false
}

// Kernelopt returns the effective (last) kernelopt value, or ErrNoKernelopt.
func (f *File) Kernelopt() (string, error) {
	v, ok := f.Get(kerneloptKey)
	if !ok {
		return "", ErrNoKernelopt
	}
	return v, nil
}

// last returns the index and entry of the last line with key, or -1, because
// the loader lets a later duplicate win.
func (f *File) last(key string) (int, entry) {
	for i := len(f.lines) - 1; i >= 0; i-- {
		e := f.entry(f.lines[i])
		if e.hasValue && equalFold(string(trim(f.b[e.key.start:e.key.end])), key) {
			return i, e
		}
	}
	return -1, entry{}
}

// entry splits one line's content into key and value.
func (f *File) entry(l span) entry {
	c := f.b[l.start:l.end]
	if t := trim(c); len(t) == 0 || t[0] == '#' {
		return entry{}
	}
	eq := bytes.IndexByte(c, '=')
	if eq < 0 {
		return entry{}
	}
	vs, ve := l.start+eq+1, l.end
	for vs < ve && isSpace(f.b[vs]) {
		vs++
	}
	for ve > vs && isSpace(f.b[ve-1]) {
		ve--
	}
	if vs == ve {
		// Blank value: new text goes right after '=', keeping any spacing after it.
		vs, ve = l.start+eq+1, l.start+eq+1
	}
	return entry{key: span{l.start, l.start + eq}, val: span{vs, ve}, hasValue: true}
}

// spaces is ASCII whitespace as the C loader sees it; Unicode spaces such as
// U+00A0 are ordinary bytes inside a token, so they survive an edit unchanged.
const spaces = " \t\r\v\f\n"

func isSpace(c byte) bool { return strings.IndexByte(spaces, c) >= 0 }

func trim(b []byte) []byte { return bytes.Trim(b, spaces) }

// equalFold compares ASCII case-insensitively. strings.EqualFold would also
// fold Unicode (KELVIN SIGN matches 'k'), which the loader does not.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
