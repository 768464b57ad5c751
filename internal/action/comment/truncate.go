package comment

import (
	"strings"
	"unicode/utf8"
)

// TruncatedNote starts the line that [Truncate] appends.
const TruncatedNote = "**Truncated** to fit GitHub's size limit."

// Truncate returns s unchanged and false when it fits in limit bytes.
// Otherwise it cuts s on a line boundary (or a rune boundary when the first
// line alone is too long), closes a fenced code block the cut left open and
// any <details> element open outside fences, then appends a line with
// [TruncatedNote] and pointer, all within limit bytes when limit leaves room
// for the note; it returns true. The fence rules are CommonMark's: a line
// indented at most three spaces opening with three or more backticks or
// tildes, closed by at least as many of the same character.
func Truncate(s, pointer string, limit int) (string, bool) {
	if len(s) <= limit {
		return s, false
	}
	tail := "\n\n" + TruncatedNote
	if pointer != "" {
		tail += " " + pointer
	}
	tail += "\n"
	budget := limit - len(tail)
	// Drop whole lines from the end until the kept text plus what closes it fits.
	for n := budget; n > 0; {
		cut := cutAt(s, n)
		closing := closeOpen(cut)
		if len(cut)+len(closing) <= budget {
			return cut + closing + tail, true
		}
		// Make room for the closing at once (a line-by-line walk is quadratic
		// on one huge line), and drop at least one more byte.
		n = min(len(cut)-1, budget-len(closing))
	}
	return strings.TrimPrefix(tail, "\n\n"), true
}

// cutAt returns the longest prefix of s of at most n bytes that ends a line,
// or ends on a rune boundary when s has no newline in its first n bytes.
func cutAt(s string, n int) string {
	p := s[:n]
	if i := strings.LastIndexByte(p, '\n'); i >= 0 {
		return p[:i+1]
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// closeOpen returns what closes the fence and <details> elements left open at
// the end of md ("" when none), starting on a new line.
func closeOpen(md string) string {
	var fence string // the opening run of an open fence
	details := 0
	for _, line := range strings.Split(md, "\n") {
		if f := fenceRun(line); f != "" {
			switch {
			case fence == "":
				fence = f
				continue
			case f[0] == fence[0] && len(f) >= len(fence) && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), f[:1])) == "":
				fence = ""
				continue
			}
		}
		if fence == "" {
			details += strings.Count(line, "<details") - strings.Count(line, "</details>")
		}
	}
	var b strings.Builder
	if !strings.HasSuffix(md, "\n") && md != "" {
		b.WriteString("\n")
	}
	if fence != "" {
		b.WriteString(fence + "\n")
	}
	for ; details > 0; details-- {
		b.WriteString("\n</details>\n")
	}
	if b.Len() == 1 {
		return "" // only the newline: nothing was open
	}
	return b.String()
}

// fenceRun returns the run of backticks or tildes that opens a code fence on
// line, or "".
func fenceRun(line string) string {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 || len(trimmed) < 3 || (trimmed[0] != '`' && trimmed[0] != '~') {
		return ""
	}
	n := len(trimmed) - len(strings.TrimLeft(trimmed, trimmed[:1]))
	if n < 3 || (trimmed[0] == '`' && strings.Contains(trimmed[n:], "`")) {
		return ""
	}
	return trimmed[:n]
}
