package preview

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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

// mergeSame compares hunks without the file labels, keeps unchanged and
// failed entries apart, and counts the hosts it merged (a host name with a
// comma in it is still one host).
func TestMergeSameMergesEqualHunksOnly(t *testing.T) {
	d := func(title, label, body string) Diff {
		return Diff{Title: title, Diff: "--- a/" + label + "\n+++ b/" + label + "\n" + body}
	}
	got := mergeSame([]Diff{
		d("host a (ks/a.yaml)", "rendered/a.cfg", "@@ -1 +1 @@\n-x\n+y\n"),
		{Title: "host u (ks/u.yaml)"},
		d("host b, c (ks/b.yaml)", "rendered/b_c.cfg", "@@ -1 +1 @@\n-x\n+y\n"),
		d("host d (ks/d.yaml)", "rendered/d.cfg", "@@ -1 +1 @@\n-x\n+z\n"),
		{Title: "host f (ks/f.yaml)", Failed: true},
		d("host e, (ks/e.yaml)", "rendered/e.cfg", "@@ -1 +1 @@\n-x\n+z\n"),
	})
	require.Equal(t, []Diff{
		{Title: "hosts a (ks/a.yaml), b, c (ks/b.yaml) (the same change)", Diff: "--- a/rendered/a.cfg\n+++ b/rendered/a.cfg\n@@ -1 +1 @@\n-x\n+y\n"},
		{Title: "host u (ks/u.yaml)"},
		{Title: "hosts d (ks/d.yaml), e, (ks/e.yaml) (the same change)", Diff: "--- a/rendered/d.cfg\n+++ b/rendered/d.cfg\n@@ -1 +1 @@\n-x\n+z\n"},
		{Title: "host f (ks/f.yaml)", Failed: true},
	}, got)

	one := []Diff{d("host b, c (ks/b.yaml)", "rendered/b_c.cfg", "@@ -1 +1 @@\n-x\n+y\n")}
	require.Equal(t, one, mergeSame(one), "a single host with a comma in its name keeps its title")
}
