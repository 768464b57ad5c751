package action

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
)

// The diff is checked by the tool reviewers trust: patch(1) must turn a into
// b with it, for random edits of random files.
func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	words := []string{"vmaccepteula", "install --firstdisk", "network --bootproto=dhcp", "", "%post", "esxcli", "# comment"}
	randFile := func(n int) []string {
		ls := make([]string, n)
		for i := range ls {
			ls[i] = words[rng.IntN(len(words))]
		}
		return ls
	}
	for i := range 300 {
		a := randFile(rng.IntN(40))
		b := append([]string(nil), a...)
		for range rng.IntN(6) { // insert, delete, replace
			switch k := rng.IntN(3); {
			case k == 0 || len(b) == 0:
				at := rng.IntN(len(b) + 1)
				b = append(b[:at], append([]string{words[rng.IntN(len(words))] + " new"}, b[at:]...)...)
			case k == 1:
				at := rng.IntN(len(b))
				b = append(b[:at], b[at+1:]...)
			default:
				b[rng.IntN(len(b))] = "changed"
			}
		}
		as, bs := strings.Join(a, "\n"), strings.Join(b, "\n")
		if rng.IntN(2) == 0 && len(a) > 0 { // files with and without a final newline
			as += "\n"
		}
		if rng.IntN(2) == 0 && len(b) > 0 {
			bs += "\n"
		}
		d := unifiedDiff("a/f", "b/f", []byte(as), []byte(bs))
		if as == bs {
			require.Empty(t, d)
			continue
		}
		af := filepath.Join(dir, "f")
		require.NoError(t, os.WriteFile(af, []byte(as), 0o644))
		cmd := exec.Command("patch", "-s", "-p1", "-o", filepath.Join(dir, "out"), af)
		cmd.Stdin = strings.NewReader(d)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "case %d: patch: %s\n%s", i, out, d)
		got, err := os.ReadFile(filepath.Join(dir, "out"))
		require.NoError(t, err)
		require.Equal(t, bs, string(got), "case %d:\n%s", i, d)
	}
}

func TestUnifiedDiffHunks(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"
	b := strings.Replace(strings.Replace(a, "2\n", "two\n", 1), "15\n", "", 1)
	require.Equal(t, "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -12,5 +12,4 @@\n 12\n 13\n 14\n-15\n 16\n",
		unifiedDiff("a", "b", []byte(a), []byte(b)))
	require.Equal(t, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n", unifiedDiff("a", "b", nil, []byte("x\ny\n")))
	require.Equal(t, "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n", unifiedDiff("a", "b", []byte("x"), []byte("x\n")))
}

func TestFenceIsLongerThanAnyBacktickRun(t *testing.T) {
	require.Equal(t, "```yaml\na: b\n```\n", fence("a: b\n", "yaml"))
	require.Equal(t, "`````diff\n+````\n`````\n", fence("+````", "diff"))
	require.Equal(t, `a \| b &lt;script&gt; \[x\](y) &#96;z&#96;`, cell("a | b <script> [x](y) `z`"))
}

func TestSetOutputUsesARandomDelimiterAndRefusesValuesHoldingIt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out")
	env := map[string]string{"GITHUB_OUTPUT": file}
	var log bytes.Buffer
	h := NewHost(func(k string) string { return env[k] }, &log).(*ghHost)
	require.NoError(t, h.SetOutput("iso-url", "https://x/a.iso\nEOF\nextra=1"))
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	require.Regexp(t, `^iso-url<<ghadelimiter_[0-9a-f]{32}$`, lines[0])
	require.Equal(t, strings.TrimPrefix(lines[0], "iso-url<<"), lines[4])

	h.token = func() string { return "0123456789abcdef0123456789abcdef" } // as if an attacker guessed it
	err = h.SetOutput("iso-url", "x\nghadelimiter_0123456789abcdef0123456789abcdef\npublished=true")
	require.ErrorIs(t, err, ErrDelimiterInValue)
	b2, _ := os.ReadFile(file)
	require.Equal(t, b, b2, "nothing written")
	require.Error(t, h.SetOutput("a=b", "x"))
	require.Empty(t, log.String())
}

func TestStopCommandsWrapsUntrustedText(t *testing.T) {
	var log bytes.Buffer
	h := NewHost(func(string) string { return "" }, &log).(*ghHost)
	h.token = func() string { return "tok" }
	h.StopCommands("::set-output name=a::b\n::tok-not::")
	require.Equal(t, "::stop-commands::tok\n::set-output name=a::b\n::tok-not::\n::tok::\n", log.String())
}

// The action names inputs, never CLI flags, in what the pipeline refused:
// each problem its own annotation, titled with its input, with its fix.
func TestReportNamesInputsNotFlags(t *testing.T) {
	var log bytes.Buffer
	h := NewHost(func(string) string { return "" }, &log)
	o := pipeline.Options{Input: "http://x/a.iso", Output: "o.iso", ServiceOut: "o.yml", S3Prefix: "p", PublicURLPrefix: "https://h"}
	require.Equal(t, ExitFailure, report(h, &pipeline.InvalidError{Err: o.Validate()}))
	out := log.String()
	require.Contains(t, out, "::error title=input iso::input iso: http://x/a.iso: plain http is not accepted (fix: use https://, or s3://bucket/key)\n")
	require.Contains(t, out, "::error title=input public-url-prefix::input public-url-prefix: needs s3-bucket or publish-dir (without them, use image-url-prefix)\n")
	require.Contains(t, out, "::error title=input s3-prefix::input s3-prefix: needs s3-bucket\n")
	require.NotRegexp(t, `(^|[\s(])--?[a-z]`, out, "no flag text in the action's log")
}
