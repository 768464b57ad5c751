package kickstart

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// Template is a parsed kickstart template, ready to render for any host.
type Template struct {
	name string
	src  []byte
	tmpl *template.Template
}

// Name returns the file name the template was parsed under.
func (t *Template) Name() string { return t.name }

// Parse parses src as a portal kickstart template named name (the file name
// used in messages). It knows only the portal's functions ([Funcs]), so a
// template calling any other function fails here, as it would on the portal.
// A syntax error is returned as a *LintError with the template line.
func Parse(name string, src []byte) (*Template, error) {
	tmpl, err := template.New(name).Funcs(Funcs()).Parse(string(src))
	if err != nil {
		return nil, templateError(name, "", err)
	}
	return &Template{name: name, src: bytes.Clone(src), tmpl: tmpl}, nil
}

// Render renders t for host h. An execution error (a missing field, an index
// out of range, a failing function) or a panic is returned as a *LintError
// naming the host and, when text/template knows it, the template line.
func Render(t *Template, h *HostDef) (out []byte, err error) {
	return execute(t.name, t.tmpl, h)
}

func execute(name string, tmpl *template.Template, h *HostDef) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &LintError{File: name, Host: h.Name, Msg: fmt.Sprintf("render panicked: %v", r)}
		}
	}()
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, h); err != nil {
		return nil, templateError(name, h.Name, err)
	}
	return buf.Bytes(), nil
}

// templateErrorRE matches text/template's "template: NAME:LINE[:COL]: MSG"
// (parse errors carry a line, execution errors a line and a column).
var templateErrorRE = regexp.MustCompile(`^(\d+)(?::(\d+))?: (?s)(.*)$`)

// executingRE matches the part of an execution error that repeats the template
// name: `executing "NAME" at <ACTION>: ...`.
var executingRE = regexp.MustCompile(`^executing "[^"]*" at (?s)(<.*)$`)

// templateError converts an error of text/template into a *LintError.
func templateError(name, host string, err error) *LintError {
	le := &LintError{File: name, Host: host, Msg: err.Error()}
	var ee template.ExecError
	if errors.As(err, &ee) {
		le.Msg = ee.Err.Error()
	}
	rest, ok := strings.CutPrefix(le.Msg, "template: "+name+":")
	if !ok {
		return le
	}
	if m := templateErrorRE.FindStringSubmatch(rest); m != nil {
		le.Line, _ = strconv.Atoi(m[1])
		le.Col, _ = strconv.Atoi(m[2])
		le.Msg = m[3]
		if em := executingRE.FindStringSubmatch(le.Msg); em != nil {
			le.Msg = "at " + em[1]
		}
	}
	le.Msg = goTypeRE.ReplaceAllStringFunc(le.Msg, func(m string) string {
		if ht, ok := hostTypes[goTypeRE.FindStringSubmatch(m)[1]]; ok {
			return "in " + ht.what
		}
		return m
	})
	return le
}

// goTypeRE matches the Go type text/template names in "can't evaluate field
// X in type *kickstart.HostDef"; messages name the host data instead.
var goTypeRE = regexp.MustCompile(`in type \*?kickstart\.(\w+)`)

// Marker bytes framing a template line number in instrumented output. They are
// ASCII record/unit separators, which no kickstart contains; output that does
// contain them is rendered without a line map.
const (
	markOpen  = '\x1e'
	markClose = '\x1f'
)

// renderMapped renders t for h and also returns, for each rendered line, the
// template line its first byte came from (0 when unknown). It renders inst,
// the instrumented copy of t made once by [instrument] (nil: no map), whose
// text nodes carry line markers, then strips them; if the result differs from
// a plain render the map is dropped.
func renderMapped(t *Template, inst *template.Template, h *HostDef) ([]byte, []int, error) {
	plain, err := Render(t, h)
	if err != nil {
		return nil, nil, err
	}
	if inst == nil {
		return plain, nil, nil
	}
	marked, err := execute(t.name, inst, h)
	if err != nil {
		return plain, nil, nil
	}
	clean, lines := stripMarks(marked)
	if !bytes.Equal(clean, plain) {
		return plain, nil, nil
	}
	return plain, lines, nil
}

// instrument re-parses t's source and inserts a line marker at the start of
// every text node and after every newline in it. The copy does not depend on
// a host: one serves every host of a lint run.
func instrument(t *Template) (*template.Template, error) {
	inst, err := template.New(t.name).Funcs(Funcs()).Parse(string(t.src))
	if err != nil {
		return nil, err
	}
	lineOf := lineIndex(t.src)
	for _, tt := range inst.Templates() {
		if tt.Tree == nil || tt.Tree.Root == nil {
			continue
		}
		walkText(tt.Tree.Root, func(n *parse.TextNode) {
			off := int(n.Pos)
			if off < 0 || off+len(n.Text) > len(t.src) || !bytes.Equal(t.src[off:off+len(n.Text)], n.Text) {
				return // not where we expect it: leave it unmarked
			}
			var b []byte
			b = appendMark(b, lineOf(off))
			for i, c := range n.Text {
				b = append(b, c)
				if c == '\n' {
					b = appendMark(b, lineOf(off+i+1))
				}
			}
			n.Text = b
		})
	}
	return inst, nil
}

func appendMark(b []byte, line int) []byte {
	b = append(b, markOpen)
	b = strconv.AppendInt(b, int64(line), 10)
	return append(b, markClose)
}

func walkText(n parse.Node, f func(*parse.TextNode)) {
	switch n := n.(type) {
	case *parse.TextNode:
		f(n)
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkText(c, f)
		}
	case *parse.IfNode:
		walkText(n.List, f)
		walkText(n.ElseList, f)
	case *parse.RangeNode:
		walkText(n.List, f)
		walkText(n.ElseList, f)
	case *parse.WithNode:
		walkText(n.List, f)
		walkText(n.ElseList, f)
	}
}

// stripMarks removes the line markers from out and returns, per output line,
// the last marker seen before the line's first byte.
func stripMarks(out []byte) ([]byte, []int) {
	clean := make([]byte, 0, len(out))
	var lines []int
	cur, atStart := 0, true
	for i := 0; i < len(out); i++ {
		c := out[i]
		if c == markOpen {
			j := bytes.IndexByte(out[i:], markClose)
			if j > 0 {
				if n, err := strconv.Atoi(string(out[i+1 : i+j])); err == nil {
					cur = n
					i += j
					continue
				}
			}
		}
		if atStart {
			lines = append(lines, cur)
			atStart = false
		}
		clean = append(clean, c)
		if c == '\n' {
			atStart = true
		}
	}
	return clean, lines
}

// lineIndex returns a function from a byte offset in src to its 1-based line.
func lineIndex(src []byte) func(off int) int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return func(off int) int {
		lo, hi := 0, len(starts)
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if starts[mid] <= off {
				lo = mid
			} else {
				hi = mid
			}
		}
		return lo + 1
	}
}
