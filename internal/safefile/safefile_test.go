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
