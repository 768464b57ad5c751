package preview

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/utils/diff"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// unifiedDiff returns the unified diff (3 lines of context) that turns a
// into b, with the labels from and to, or "" when they are equal.
func unifiedDiff(from, to string, a, b []byte) string {
	ops := diffLines(string(a), string(b))
	var out strings.Builder
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk runs from ctx lines before a change to ctx lines after the
		// last change that is at most 2*ctx lines from the previous one.
		start, end := max(i-ctx, 0), i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j
			} else if j-end > 2*ctx {
				break
			}
		}
		end = min(end+ctx+1, len(ops))
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- %s\n+++ %s\n", from, to)
		}
		ai, bi, an, bn := ops[start].ai, ops[start].bi, 0, 0
		for _, o := range ops[start:end] {
			an += b2i(o.kind != '+')
			bn += b2i(o.kind != '-')
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ai, an), hunkRange(bi, bn))
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
			if o.noEOL {
				out.WriteString("\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return out.String()
}

type line struct {
	text  string
	noEOL bool // the last line of a file without a final newline
}

type op struct {
	kind   byte // ' ', '-' or '+'
	ai, bi int  // 0-based line numbers in a and b where this op starts
	line
}

func splitLines(s string) []line {
	if s == "" {
		return nil
	}
	parts := strings.SplitAfter(s, "\n")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	ls := make([]line, len(parts))
	for i, p := range parts {
		ls[i] = line{text: strings.TrimSuffix(p, "\n"), noEOL: !strings.HasSuffix(p, "\n")}
	}
	return ls
}

// diffLines returns the edit script from a to b, line by line: Myers'
// algorithm (go-git's line diff over go-diff), bounded in time; past the bound
// the rest is shown as removed then added, which is still a correct diff.
func diffLines(a, b string) []op {
	var ops []op
	ai, bi := 0, 0
	for _, d := range diff.DoWithTimeout(a, b, 5*time.Second) {
		for _, l := range splitLines(d.Text) {
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				ops = append(ops, op{' ', ai, bi, l})
				ai, bi = ai+1, bi+1
			case diffmatchpatch.DiffDelete:
				ops = append(ops, op{'-', ai, bi, l})
				ai++
			case diffmatchpatch.DiffInsert:
				ops = append(ops, op{'+', ai, bi, l})
				bi++
			}
		}
	}
	return ops
}

// hunkRange formats "start,count" as diff(1) does: 1-based, and for an
// empty range the line before it.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
