package artifact_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/julienschmidt/httprouter"
	"github.com/nektos/act/pkg/artifacts"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/artifact"
)

// dirFS is the storage of act's artifact server: a directory, read through
// os.DirFS and written with plain files (act's own implementation is
// unexported).
type dirFS struct {
	root string
}

func (d dirFS) open(name string, flag int) (artifacts.WritableFile, error) {
	p := filepath.Join(d.root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(p, flag, 0o644)
}

func (d dirFS) OpenWritable(name string) (artifacts.WritableFile, error) {
	return d.open(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
}

func (d dirFS) OpenAppendable(name string) (artifacts.WritableFile, error) {
	return d.open(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
}

// actTwirp calls one of act's v4 routes the way a downloader does.
func actTwirp(t *testing.T, base, method string, in any, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	resp, err := http.Post(base+artifact.Service+method, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}

// TestUploadToActServer uploads to nektos/act's implementation of the v4
// artifact service (the server side `act` runs for local workflows), in
// process, then downloads the artifact back through its routes.
func TestUploadToActServer(t *testing.T) {
	artifact.SetBlockSize(t, 4096) // act appends blocks in arrival order: several blocks test the order
	root := t.TempDir()
	fsys := dirFS{root: root}
	router := httprouter.New()
	artifacts.RoutesV4(router, "artifacts", fsys, os.DirFS(root))
	srv := httptest.NewServer(router)
	defer srv.Close()

	// act parses the backend ids as integers.
	tok := runtimeToken(t, "Actions.GenericRead:1 Actions.Results:4711:99 Actions.UploadArtifacts:4711:99")
	res, err := artifact.Upload(t.Context(), artifact.Options{
		RuntimeToken: tok, ResultsURL: srv.URL + "/", Name: "esxi-byoi-preview", Files: files,
	})
	require.NoError(t, err)
	want, err := artifact.Zip(files)
	require.NoError(t, err)
	require.Greater(t, len(want), 4096, "more than one block")
	sum := sha256.Sum256(want)
	require.Equal(t, int64(len(want)), res.Size)
	require.Equal(t, hex.EncodeToString(sum[:]), res.SHA256)
	require.NotZero(t, res.ID)

	ids := map[string]any{"workflow_run_backend_id": "4711", "workflow_job_run_backend_id": "99"}
	var list struct {
		Artifacts []struct {
			Name       string `json:"name"`
			DatabaseID string `json:"databaseId"`
		} `json:"artifacts"`
	}
	actTwirp(t, srv.URL, "ListArtifacts", map[string]any{
		"workflow_run_backend_id": "4711", "workflow_job_run_backend_id": "99", "name_filter": "esxi-byoi-preview",
	}, &list)
	require.Len(t, list.Artifacts, 1)
	require.Equal(t, "esxi-byoi-preview", list.Artifacts[0].Name)
	require.Equal(t, res.ID, mustInt(t, list.Artifacts[0].DatabaseID), "FinalizeArtifact's id is the listed one")

	var signed struct {
		SignedURL string `json:"signedUrl"`
	}
	ids["name"] = "esxi-byoi-preview"
	actTwirp(t, srv.URL, "GetSignedArtifactURL", ids, &signed)
	require.NotEmpty(t, signed.SignedURL)
	resp, err := http.Get(signed.SignedURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, want, got, "the downloaded zip is the uploaded one, byte for byte")
	requireZipHolds(t, got, files)
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return n
}
