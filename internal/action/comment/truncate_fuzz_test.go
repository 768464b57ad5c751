package comment

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTruncate checks Truncate's contract on any input: within the limit
// (when the limit leaves room for the note), valid UTF-8 kept valid, a prefix
// of the input on a line or rune boundary, and nothing left open before the note.
func FuzzTruncate(f *testing.F) {
	f.Add("```diff\n+ a\n- b\n", 30)
	f.Add("<details>\n\n~~~~\nx\n~~~\n", 25)
	f.Add("    ```\n```` a`\n`````\n", 20)
	f.Add(strings.Repeat("é€😀", 50), 60)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		const pointer = "see the summary"
		tail := "\n\n" + TruncatedNote + " " + pointer + "\n"
		if limit < 0 || limit > 1<<20 {
			return
		}
		got, cut := Truncate(s, pointer, limit)
		if !cut {
			if got != s || len(s) > limit {
				t.Fatalf("not cut but changed or too long: %q", got)
			}
			return
		}
		if limit >= len(tail) && len(got) > limit {
			t.Fatalf("len %d > limit %d", len(got), limit)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		kept, ok := strings.CutSuffix(got, tail)
		if !ok {
			if got != strings.TrimPrefix(tail, "\n\n") {
				t.Fatalf("no note at the end: %q", got)
			}
			return
		}
		if rest := closeOpen(kept); rest != "" {
			t.Fatalf("left open (%q) in %q", rest, kept)
		}
	})
}
