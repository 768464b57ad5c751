package safefile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
)

func TestCommitReplacesAtomicallyAndAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.yml")
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o644))

	f, err := safefile.Create(target)
	require.NoError(t, err)
	_, err = f.Write([]byte("half"))
	require.NoError(t, err)
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, "old", string(got), "target untouched until Commit")
	f.Abort()
	ents, _ := os.ReadDir(dir)
	require.Len(t, ents, 1, "abort removes the temp file")

	require.NoError(t, safefile.WriteFile(target, []byte("new")))
	got, err = os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, "new", string(got))
	st, err := os.Stat(target)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	ents, _ = os.ReadDir(dir)
	require.Len(t, ents, 1)
}

func TestCreateNamesTheMissingDirectory(t *testing.T) {
	_, err := safefile.Create(filepath.Join(t.TempDir(), "nope", "x.iso"))
	require.ErrorContains(t, err, "output directory")
	require.ErrorContains(t, err, "does not exist")
}

func TestSame(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.iso")
	require.NoError(t, os.WriteFile(a, []byte("x"), 0o644))
	link := filepath.Join(dir, "hard.iso")
	require.NoError(t, os.Link(a, link))
	sym := filepath.Join(dir, "sym.iso")
	require.NoError(t, os.Symlink(a, sym))
	other := filepath.Join(dir, "b.iso")
	require.NoError(t, os.WriteFile(other, []byte("x"), 0o644))

	require.True(t, safefile.Same(a, a))
	require.True(t, safefile.Same(a, filepath.Join(dir, ".", "a.iso")), "by path")
	require.True(t, safefile.Same(a, link), "a hard link")
	require.True(t, safefile.Same(sym, a), "a symbolic link")
	require.False(t, safefile.Same(a, other), "same bytes, another file")
	require.False(t, safefile.Same(a, filepath.Join(dir, "absent.iso")))
	require.False(t, safefile.Same("", a))
}
