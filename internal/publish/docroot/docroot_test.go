package docroot_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/publish/docroot"
)

// iso is a local file standing in for a remastered ISO.
type iso struct {
	path   string
	data   []byte
	sha256 string
}

func newISO(t *testing.T, size int) iso {
	t.Helper()
	b := make([]byte, size)
	_, err := rand.Read(b)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "ESXi-8.0U3-BareMetal.iso")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	sum := sha256.Sum256(b)
	return iso{path: p, data: b, sha256: hex.EncodeToString(sum[:])}
}

func dirOpts(dir string, f iso) docroot.Options {
	return docroot.Options{Dir: dir, File: f.path, Size: int64(len(f.data)), SHA256: f.sha256,
		URL: "https://images.example.com/esxi/" + filepath.Base(f.path)}
}

func TestPublishDirCopiesOnceSkipsIdenticalRefusesDifferent(t *testing.T) {
	dir := t.TempDir()
	f := newISO(t, 3<<20)
	obj, err := docroot.Publish(t.Context(), dirOpts(dir, f))
	require.NoError(t, err)
	require.Equal(t, publish.Published, obj.Outcome)
	target := filepath.Join(dir, filepath.Base(f.path))
	require.Equal(t, target, obj.Path)
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, f.data, b)
	st, err := os.Stat(target)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "readable by the web server")
	onlyFile(t, dir, filepath.Base(f.path))

	// identical: nothing written (mtime unchanged)
	time.Sleep(20 * time.Millisecond)
	obj, err = docroot.Publish(t.Context(), dirOpts(dir, f))
	require.NoError(t, err)
	require.Equal(t, publish.SkippedIdentical, obj.Outcome)
	st2, err := os.Stat(target)
	require.NoError(t, err)
	require.Equal(t, st.ModTime(), st2.ModTime())

	// different bytes, same name: refused, file unchanged
	other := newISO(t, 3<<20)
	o := dirOpts(dir, other)
	o.Name = filepath.Base(f.path)
	_, err = docroot.Publish(t.Context(), o)
	var ce *publish.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, f.sha256, ce.SHA256)
	b, _ = os.ReadFile(target)
	require.Equal(t, f.data, b)
	onlyFile(t, dir, filepath.Base(f.path))

	// --replace
	o.Replace = true
	obj, err = docroot.Publish(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, publish.Published, obj.Outcome)
	b, _ = os.ReadFile(target)
	require.Equal(t, other.data, b)
	onlyFile(t, dir, filepath.Base(f.path))
}

// -o straight into the served directory: already there, nothing to copy.
func TestPublishDirSameFileIsIdentical(t *testing.T) {
	f := newISO(t, 1<<20)
	obj, err := docroot.Publish(t.Context(), dirOpts(filepath.Dir(f.path), f))
	require.NoError(t, err)
	require.Equal(t, publish.SkippedIdentical, obj.Outcome)
}

func TestPublishDirMissingDirectory(t *testing.T) {
	f := newISO(t, 1<<20)
	_, err := docroot.Publish(t.Context(), dirOpts(filepath.Join(t.TempDir(), "nope"), f))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), "--publish-dir")
}

// onlyFile asserts dir holds exactly name: no temp file left behind.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{name}, names, strings.Join(names, ", "))
}

// A missing or wrong directory is an error about the publish-dir option,
// which each surface names its own way.
func TestMissingDirectoryNamesTheOption(t *testing.T) {
	f := newISO(t, 1<<10)
	for name, dir := range map[string]string{"missing": filepath.Join(t.TempDir(), "absent"), "a file": f.path} {
		t.Run(name, func(t *testing.T) {
			_, err := docroot.Publish(t.Context(), dirOpts(dir, f))
			var oe *option.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, "publish-dir", oe.Option)
			require.Contains(t, oe.Render(option.CLI), "--publish-dir")
			require.NotContains(t, oe.Render(option.Action), "--publish-dir")
		})
	}
}
