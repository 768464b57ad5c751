package watch_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
	"github.com/esxi-byoi/esxi-byoi/internal/watch"
)

const kickstart = "vmaccepteula\nrootpw --iscrypted $6$abc$def\ninstall --firstdisk --overwritevmfs\nnetwork --hostname={{ .Name }}\n%post\n/bin/poweroff -n\n"

func writeYAML(t *testing.T, path, ver, url string, size int64, digest string) string {
	t.Helper()
	b, _, err := service.Render(service.Options{Version: ver, Date: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC),
		ISOSize: size, Digest: digest, SecureURL: url, Kickstart: []byte(kickstart)})
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// A directory contributes its service YAMLs in walk order; hidden
// directories are skipped, other YAMLs with a warning; a file is taken as
// given; a directory without any service YAML is an error.
func TestServiceFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeYAML(t, filepath.Join(dir, "a.yml"), "8.0U3", "https://h/a.iso", 1, strings.Repeat("a", 64))
	b := writeYAML(t, filepath.Join(dir, "sub", "b.yaml"), "8.0U2", "https://h/b.iso", 1, strings.Repeat("b", 64))
	writeYAML(t, filepath.Join(dir, ".github", "c.yml"), "7.0", "https://h/c.iso", 1, strings.Repeat("c", 64))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ci.yml"), []byte("on: push\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("# x\n"), 0o644))

	var warned []string
	got, err := watch.ServiceFiles([]string{dir}, func(f string, args ...any) { warned = append(warned, f) })
	require.NoError(t, err)
	require.Equal(t, []string{a, b}, got)
	require.Len(t, warned, 1, "ci.yml is skipped with a warning")

	got, err = watch.ServiceFiles([]string{b}, nil)
	require.NoError(t, err)
	require.Equal(t, []string{b}, got)

	_, err = watch.ServiceFiles([]string{filepath.Join(dir, ".github", "empty")}, nil)
	require.Error(t, err)
	empty := t.TempDir()
	_, err = watch.ServiceFiles([]string{empty}, nil)
	require.ErrorContains(t, err, "no service YAML")
}

// Verify gives one row per files[] entry, a failure as a row naming the YAML
// and the entry, and VerifyFailed counts them.
func TestVerifyRows(t *testing.T) {
	data := []byte(strings.Repeat("ESXi image bytes ", 5000))
	sum := sha256.Sum256(data)
	ca := tlstest.NewCA(t, "watch test CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	}))
	dir := t.TempDir()
	good := writeYAML(t, filepath.Join(dir, "good.yml"), "8.0U3", srv.URL+"/esxi.iso", int64(len(data)), hex.EncodeToString(sum[:]))
	bad := writeYAML(t, filepath.Join(dir, "bad.yml"), "8.0U2", srv.URL+"/esxi.iso", int64(len(data)), strings.Repeat("0", 64))
	broken := filepath.Join(dir, "broken.yml")
	require.NoError(t, os.WriteFile(broken, []byte("svc_flavor: ESXi\n"), 0o644))

	rows := watch.Verify(t.Context(), []string{good, bad, broken}, verify.Options{CAFile: ca.WriteFile(t), Retries: -1}, nil)
	require.Len(t, rows, 3)
	require.NoError(t, rows[0].Err)
	require.Equal(t, int64(len(data)), rows[0].Result.Size)
	require.Equal(t, "files[0]", rows[0].FileName())
	require.ErrorContains(t, rows[1].Err, bad+": files[0]: ")
	require.Equal(t, "-", rows[2].FileName())
	require.ErrorContains(t, rows[2].Err, "no files[] entry")
	err := watch.VerifyFailed(rows)
	require.ErrorContains(t, err, "2 of 3 service file(s) failed verification")
	require.NoError(t, watch.VerifyFailed(rows[:1]))
}
