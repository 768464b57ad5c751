package comment_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/comment"
)

func TestTruncate(t *testing.T) {
	const note = "\n\n" + comment.TruncatedNote + " see the summary\n"
	pad := strings.Repeat("padding line\n", 40)
	for name, tc := range map[string]struct {
		in    string
		slack int // limit = len(want) + slack
		want  string
	}{
		"cut on a line":                 {in: "line one\nline two\nline three\n" + pad, slack: 5, want: "line one\nline two\n" + note},
		"backtick fence closed":         {in: "x\n```yaml\nkey: 1\nkey: 2\n```\n" + pad, want: "x\n```yaml\nkey: 1\n```\n" + note},
		"longer fence keeps its length": {in: "````md\n```\ninner\n```\nmore\n````\n" + pad, want: "````md\n```\ninner\n```\n````\n" + note},
		"tilde fence":                   {in: "~~~\na\nb\nc\n~~~\n" + pad, want: "~~~\na\n~~~\n" + note},
		"closed fence stays closed":     {in: "```\na\n```\nafter\nmore\n" + pad, slack: 4, want: "```\na\n```\nafter\n" + note},
		"room for the fence is made":    {in: "```\naaaa\nbbbb\ncccc\n" + pad, slack: 3, want: "```\naaaa\n```\n" + note},
		"details closed": {in: "<details><summary>s</summary>\n\nbody\nmore\n</details>\n" + pad,
			want: "<details><summary>s</summary>\n\nbody\n\n</details>\n" + note},
		"details in a fence are code":          {in: "```\n<details>\n```\nx\n" + pad, want: "```\n<details>\n```\nx\n" + note},
		"four-space indent is no fence":        {in: "    ```\ncode\nmore\n" + pad, want: "    ```\ncode\nmore\n" + note},
		"backticks in a backtick info string":  {in: "``` a`b\nx\ny\n" + pad, want: "``` a`b\nx\ny\n" + note},
		"a shorter run does not close a fence": {in: "````\n```\nx\ny\n" + pad, slack: 1, want: "````\n```\nx\n````\n" + note},
	} {
		t.Run(name, func(t *testing.T) {
			limit := len(tc.want) + tc.slack
			require.Greater(t, len(tc.in), limit)
			got, cut := comment.Truncate(tc.in, "see the summary", limit)
			require.True(t, cut)
			require.Equal(t, tc.want, got)
			require.LessOrEqual(t, len(got), limit)
		})
	}
	got, cut := comment.Truncate("a\nb\n", "p", 4)
	require.False(t, cut)
	require.Equal(t, "a\nb\n", got)
}

func TestTruncateOneLongLineKeepsRunes(t *testing.T) {
	in := strings.Repeat("é€😀", 1000)
	got, cut := comment.Truncate(in, "", 1001)
	require.True(t, cut)
	require.LessOrEqual(t, len(got), 1001)
	require.True(t, utf8.ValidString(got))
	require.True(t, strings.HasPrefix(in, strings.TrimSuffix(got, "\n\n"+comment.TruncatedNote+"\n")))
}

func TestTruncateNoRoomLeavesTheNote(t *testing.T) {
	got, cut := comment.Truncate(strings.Repeat("x\n", 100), "p", 10)
	require.True(t, cut)
	require.Equal(t, comment.TruncatedNote+" p\n", got)
}
