package action_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/julienschmidt/httprouter"
	"github.com/nektos/act/pkg/artifacts"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/artifact"
	"github.com/esxi-byoi/esxi-byoi/internal/action/ghfake"
)

// actServer is nektos/act's v4 artifact service in process, on a directory.
type actStore struct{ root string }

func (d actStore) open(name string, flag int) (artifacts.WritableFile, error) {
	p := filepath.Join(d.root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(p, flag, 0o644)
}
func (d actStore) OpenWritable(n string) (artifacts.WritableFile, error) {
	return d.open(n, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
}
func (d actStore) OpenAppendable(n string) (artifacts.WritableFile, error) {
	return d.open(n, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
}

// withArtifacts points the run at an act artifact server and returns a
// function that downloads the named artifact's files.
func withArtifacts(t *testing.T, r *runner) func(name string) (id int64, files map[string]string) {
	root := t.TempDir()
	router := httprouter.New()
	artifacts.RoutesV4(router, "artifacts", actStore{root}, os.DirFS(root))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasSuffix(req.URL.Path, "/CreateArtifact") { // what the action asked for, as sent
			b, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			r.created = append(r.created, m)
			req.Body = io.NopCloser(bytes.NewReader(b))
		}
		router.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	// an unsigned JWT with the scp claim the runner puts in ACTIONS_RUNTIME_TOKEN (act wants numeric ids)
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"scp": "Actions.GenericRead:1 Actions.Results:4711:99 Actions.UploadArtifacts:4711:99"})
	tok := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(claims) + "." + enc([]byte("runtime-token-signature-SECRET"))
	r.env["ACTIONS_RUNTIME_TOKEN"], r.env["ACTIONS_RESULTS_URL"] = tok, srv.URL+"/"
	r.secrets = append(r.secrets, tok)

	twirp := func(method string, in map[string]any, out any) {
		b, _ := json.Marshal(in)
		resp, err := http.Post(srv.URL+artifact.Service+method, "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return func(name string) (int64, map[string]string) {
		ids := map[string]any{"workflow_run_backend_id": "4711", "workflow_job_run_backend_id": "99"}
		var list struct {
			Artifacts []struct{ Name, DatabaseID string } `json:"artifacts"`
		}
		twirp("ListArtifacts", map[string]any{"workflow_run_backend_id": "4711", "workflow_job_run_backend_id": "99", "name_filter": name}, &list)
		require.Len(t, list.Artifacts, 1)
		id, err := strconv.ParseInt(list.Artifacts[0].DatabaseID, 10, 64)
		require.NoError(t, err)
		var signed struct {
			SignedURL string `json:"signedUrl"`
		}
		ids["name"] = name
		twirp("GetSignedArtifactURL", ids, &signed)
		resp, err := http.Get(signed.SignedURL)
		require.NoError(t, err)
		defer resp.Body.Close()
		z, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
		require.NoError(t, err)
		files := map[string]string{}
		for _, f := range zr.File {
			rc, err := f.Open()
			require.NoError(t, err)
			b, err := io.ReadAll(rc)
			require.NoError(t, err)
			rc.Close()
			files[f.Name] = string(b)
		}
		return id, files
	}
}

func requireNoSecretIn(t *testing.T, r *runner, files map[string]string) {
	for name, body := range files {
		for _, s := range append([]string{rootPassword, githubToken, awsSecret}, r.secrets...) {
			require.NotContains(t, body, s, "secret in artifact file %s", name)
		}
	}
}

// A build uploads the service YAML as the artifact, and says its id.
func TestBuildUploadsTheServiceYAMLArtifact(t *testing.T) {
	r := buildRunner(t)
	download := withArtifacts(t, r)
	res := r.run()
	require.Equal(t, 0, res.code, res)
	id, files := download("esxi-byoi")
	require.Equal(t, strconv.FormatInt(id, 10), res.outputs["artifact-id"])
	y, err := os.ReadFile(filepath.Join(r.workspace, res.outputs["service-yml"]))
	require.NoError(t, err)
	require.Equal(t, map[string]string{filepath.Base(res.outputs["service-yml"]): string(y)}, files)
	requireNoSecretIn(t, r, files)
}

// A preview uploads the rendered kickstarts, the comment body and the pull
// request number (for the workflow_run pattern).
func TestPreviewUploadsRenderedKickstartsArtifact(t *testing.T) {
	gh := ghfake.New(t, ghfake.WithForbidden())
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	previewRepo(t, r, true, longerFirstboot)
	r.input("artifact-name", "esxi-byoi-preview")
	download := withArtifacts(t, r)
	res := r.run()
	require.Equal(t, 0, res.code, res)
	id, files := download("esxi-byoi-preview")
	require.Equal(t, strconv.FormatInt(id, 10), res.outputs["artifact-id"])
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	require.Equal(t, []string{"kickstart/esx-raid-naa.cfg", "kickstart/esx-single-static.cfg", "pr-number", "preview.md"}, names)
	require.Equal(t, "42\n", files["pr-number"])
	require.Contains(t, files["preview.md"], "-sleep 30\n+sleep 45\n")
	require.Contains(t, files["kickstart/esx-single-static.cfg"], "rootpw --iscrypted %ROOTPW_HASH%")
	requireNoSecretIn(t, r, files)
}
