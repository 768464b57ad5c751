package artifact_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/artifact"
)

// runtimeToken mints an unsigned JWT shaped like ACTIONS_RUNTIME_TOKEN.
func runtimeToken(t *testing.T, scp any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	payload, err := json.Marshal(map[string]any{
		"nameid": "dddddddd-dddd-dddd-dddd-dddddddddddd",
		"scp":    scp,
		"iss":    "vstoken.actions.githubusercontent.com",
		"aud":    "vso:6f64a8c3-5f1b-4e7e-bd5b-6a1bde2e4c8a",
		"exp":    time.Now().Add(time.Hour).Unix(),
	})
	require.NoError(t, err)
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","x5t":"fake"}`)) + "." +
		enc.EncodeToString(payload) + ".ZmFrZS1zaWduYXR1cmU"
}

var files = []artifact.File{
	{Name: "service.yml", Data: []byte("name: ESXi 8.0U3\nversion: 8.0.3\n")},
	{Name: "kickstarts/esx-01.cfg", Data: kickstart(400)},
	{Name: "kickstarts/esx-02.cfg", Data: []byte("network --bootproto=dhcp\n")},
}

// kickstart returns n lines that deflate poorly, so the zip spans several blocks.
func kickstart(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		fmt.Fprintf(&b, "# host %d key %x\n", i, sum)
	}
	return b.Bytes()
}

func requireZipHolds(t *testing.T, z []byte, want []artifact.File) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	require.NoError(t, err)
	require.Len(t, zr.File, len(want))
	for i, f := range zr.File {
		require.Equal(t, want[i].Name, f.Name)
		require.True(t, f.Modified.Equal(artifact.ModTime), "fixed mtime, got %s", f.Modified)
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.Equal(t, want[i].Data, b)
	}
}

const sasSig = "c2VjcmV0LXNhcy1zaWduYXR1cmU%3D"

// results is a strict fake of the artifact service (Twirp) and of Azure
// blob storage: unknown routes, unexpected fields, a runtime token sent to
// blob storage, or a size/hash that does not match the committed blob fail
// the test.
type results struct {
	t        *testing.T
	srv      *httptest.Server
	token    string
	camel    bool // answer lowerCamelCase fields
	numberID bool // answer artifact_id as a JSON number
	run, job string
	// busy answers the named call 503 that many times before serving it.
	busy map[string]int
	// fail answers the named call ("CreateArtifact", "block", "FinalizeArtifact"...) with status and body.
	fail map[string]struct {
		status int
		body   string
	}

	mu        sync.Mutex
	calls     []string
	create    map[string]any
	blocks    map[string][]byte
	idLen     int
	committed []byte
	finalized bool
}

func newResults(t *testing.T, token string) *results {
	f := &results{t: t, token: token, run: "4711", job: "99", blocks: map[string][]byte{},
		fail: map[string]struct {
			status int
			body   string
		}{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *results) failWith(call string, status int, body string) {
	f.fail[call] = struct {
		status int
		body   string
	}{status, body}
}

func (f *results) serve(w http.ResponseWriter, r *http.Request) {
	// assert, not require: this runs on the server's goroutine, where
	// FailNow must not be called.
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.t
	body, _ := io.ReadAll(r.Body)
	call := strings.TrimPrefix(r.URL.Path, artifact.Service)
	if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/blob/") {
		call = r.URL.Query().Get("comp")
	}
	f.calls = append(f.calls, call)
	if f.busy[call] > 0 { // a load-shedding answer that passes on retry
		f.busy[call]--
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if fl, ok := f.fail[call]; ok {
		w.WriteHeader(fl.status)
		_, _ = io.WriteString(w, fl.body)
		return
	}
	twirp := func(want ...string) map[string]any {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "Bearer "+f.token, r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if !assert.NoError(t, d.Decode(&m)) {
			return nil
		}
		for k := range m {
			if !slices.Contains(want, k) {
				t.Errorf("results fake: unexpected field %q in %s", k, call)
			}
		}
		assert.Equal(t, f.run, m["workflow_run_backend_id"])
		assert.Equal(t, f.job, m["workflow_job_run_backend_id"])
		return m
	}
	reply := func(snake, camel string, v any) {
		k := snake
		if f.camel {
			k = camel
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, k: v})
	}
	switch {
	case call == "CreateArtifact":
		f.create = twirp("workflow_run_backend_id", "workflow_job_run_backend_id", "name", "version", "expires_at")
		assert.Equal(t, json.Number("4"), f.create["version"])
		reply("signed_upload_url", "signedUploadUrl", fmt.Sprintf("%s/blob/actions-results-abc/%s/%s.zip?sv=2023-11-03&sr=b&sp=cw&se=2030-01-01T00%%3A00%%3A00Z&sig=%s",
			f.srv.URL, f.run, f.create["name"], sasSig))
	case call == "FinalizeArtifact":
		m := twirp("workflow_run_backend_id", "workflow_job_run_backend_id", "name", "size", "hash")
		assert.NotNil(t, f.committed, "finalize before Put Block List")
		assert.Equal(t, f.create["name"], m["name"])
		assert.Equal(t, fmt.Sprint(len(f.committed)), fmt.Sprint(m["size"]))
		sum := sha256.Sum256(f.committed)
		assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), m["hash"])
		f.finalized = true
		var id any = "123456789"
		if f.numberID {
			id = 123456789
		}
		reply("artifact_id", "artifactId", id)
	case call == "block" || call == "blocklist":
		q := r.URL.Query()
		assert.Empty(t, r.Header.Get("Authorization"), "the runtime token must not go to blob storage")
		assert.Equal(t, "c2VjcmV0LXNhcy1zaWduYXR1cmU=", q.Get("sig"), "the SAS query is kept")
		assert.NotEmpty(t, r.Header.Get("x-ms-version"))
		if call == "block" {
			id := q.Get("blockid")
			_, err := base64.StdEncoding.DecodeString(id)
			assert.NoError(t, err, "block ids are base64")
			assert.True(t, f.idLen == 0 || f.idLen == len(id), "block ids have one length")
			f.idLen = len(id)
			f.blocks[id] = body
		} else {
			assert.Equal(t, "application/xml", r.Header.Get("Content-Type"))
			var list struct {
				Latest []string `xml:"Latest"`
			}
			if !assert.NoError(t, xml.Unmarshal(body, &list)) {
				return
			}
			assert.Len(t, list.Latest, len(f.blocks), "every block is committed")
			var all []byte
			for _, id := range list.Latest {
				b, ok := f.blocks[id]
				assert.True(t, ok, "block %s was put", id)
				all = append(all, b...)
			}
			f.committed = all
		}
		w.WriteHeader(http.StatusCreated)
	default:
		t.Errorf("results fake: unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestUploadToStrictFake(t *testing.T) {
	artifact.SetBlockSize(t, 1000)
	want, err := artifact.Zip(files)
	require.NoError(t, err)
	sum := sha256.Sum256(want)
	for name, tc := range map[string]struct{ camel, numberID bool }{
		"snake_case, id as string": {},
		"snake_case, id as number": {numberID: true},
		"camelCase, id as string":  {camel: true},
		"camelCase, id as number":  {camel: true, numberID: true},
	} {
		t.Run(name, func(t *testing.T) {
			tok := runtimeToken(t, "Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:4711:99 Actions.UploadArtifacts:x")
			f := newResults(t, tok)
			f.camel, f.numberID = tc.camel, tc.numberID
			res, err := artifact.Upload(t.Context(), artifact.Options{
				RuntimeToken: tok, ResultsURL: f.srv.URL + "/", Name: "esxi-byoi-preview", Files: files,
			})
			require.NoError(t, err)
			require.Equal(t, artifact.Result{ID: 123456789, Size: int64(len(want)), SHA256: hex.EncodeToString(sum[:])}, *res)
			require.Equal(t, want, f.committed)
			require.True(t, f.finalized)
			nblocks := (len(want) + 999) / 1000
			require.Greater(t, nblocks, 1)
			require.Equal(t, append(append([]string{"CreateArtifact"}, slices.Repeat([]string{"block"}, nblocks)...),
				"blocklist", "FinalizeArtifact"), f.calls)
			require.NotContains(t, f.create, "expires_at", "no retention: the repository default")
			require.NotContains(t, f.create, "mime_type")
			requireZipHolds(t, f.committed, files)
		})
	}
}

// 503s from the results service and from blob storage pass on retry, as
// with GitHub's own client; each retried call is sent again, nothing else.
func TestUploadRetriesLoadShedding(t *testing.T) {
	waits := artifact.RecordRetryWaits(t)
	tok := runtimeToken(t, "Actions.Results:4711:99")
	f := newResults(t, tok)
	f.busy = map[string]int{"CreateArtifact": 1, "block": 2, "FinalizeArtifact": 1}
	res, err := artifact.Upload(t.Context(), artifact.Options{RuntimeToken: tok, ResultsURL: f.srv.URL, Name: "a", Files: files[:1]})
	require.NoError(t, err)
	require.Positive(t, res.ID)
	require.Equal(t, []string{"CreateArtifact", "CreateArtifact", "block", "block", "block", "blocklist",
		"FinalizeArtifact", "FinalizeArtifact"}, f.calls)
	require.Equal(t, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}, *waits,
		"each retry waits what the server's Retry-After asks")
}

func TestRetentionSetsExpiresAt(t *testing.T) {
	tok := runtimeToken(t, "Actions.Results:4711:99")
	f := newResults(t, tok)
	now := time.Date(2025, 6, 2, 9, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	_, err := artifact.Upload(t.Context(), artifact.Options{RuntimeToken: tok, ResultsURL: f.srv.URL, Name: "a",
		Files: files[:1], RetentionDays: 7, Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.Equal(t, "2025-06-09T07:30:00Z", f.create["expires_at"])
}

func TestNoRuntime(t *testing.T) {
	f := newResults(t, "x")
	for name, o := range map[string]artifact.Options{
		"no token": {ResultsURL: f.srv.URL, Name: "a", Files: files},
		"no URL":   {RuntimeToken: runtimeToken(t, "Actions.Results:1:2"), Name: "a", Files: files},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := artifact.Upload(t.Context(), o)
			require.ErrorIs(t, err, artifact.ErrNoRuntime)
			require.Nil(t, res)
		})
	}
	require.Empty(t, f.calls)
}

func TestBackendIDs(t *testing.T) {
	run, job, err := artifact.BackendIDs(runtimeToken(t, "Actions.GenericRead:1 Actions.Results:ce7f54c7-61c7-4aae-887f-30da475f5f1a:ca395085-040a-526b-2ce8-bdc85f692774"))
	require.NoError(t, err)
	require.Equal(t, "ce7f54c7-61c7-4aae-887f-30da475f5f1a", run)
	require.Equal(t, "ca395085-040a-526b-2ce8-bdc85f692774", job)

	run, job, err = artifact.BackendIDs(runtimeToken(t, []string{"Actions.Results:1:2"}))
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2"}, []string{run, job})

	for name, tok := range map[string]string{
		"not a JWT":        "ghs_notajwt",
		"payload not b64":  "a.!!!.c",
		"payload not JSON": "a." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + ".c",
		"no scp":           runtimeToken(t, nil),
		"no Results scope": runtimeToken(t, "Actions.GenericRead:1 Actions.UploadArtifacts:1:2"),
		"Results, no job":  runtimeToken(t, "Actions.Results:1"),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := artifact.BackendIDs(tok)
			var te *artifact.TokenError
			require.ErrorAs(t, err, &te)
			require.NotEmpty(t, te.Hint())
			require.NotContains(t, err.Error(), tok)
		})
	}
}

func TestErrorsKeepSecretsOut(t *testing.T) {
	artifact.SetRetryDelay(t, 0) // a 500 and a refused connection are retried first
	tok := runtimeToken(t, "Actions.Results:4711:99")
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	for name, tc := range map[string]struct {
		setup  func(f *results, o *artifact.Options)
		op     string
		status int
		code   string
		hint   string
	}{
		"name taken": {setup: func(f *results, _ *artifact.Options) {
			f.failWith("CreateArtifact", http.StatusConflict, `{"code":"already_exists","msg":"an artifact with this name already exists on the workflow run"}`)
		}, op: "create artifact", status: 409, code: "already_exists", hint: "artifact-name"},
		"service echoes the token": {setup: func(f *results, _ *artifact.Options) {
			f.failWith("FinalizeArtifact", http.StatusInternalServerError, `{"code":"internal","msg":"bad token `+tok+`"}`)
		}, op: "finalize artifact", status: 500, code: "internal", hint: "re-run"},
		"not ok": {setup: func(f *results, _ *artifact.Options) {
			f.failWith("CreateArtifact", http.StatusOK, `{"ok":false}`)
		}, op: "create artifact", status: 200, hint: "report"},
		"blob refuses the SAS": {setup: func(f *results, _ *artifact.Options) {
			f.failWith("block", http.StatusForbidden, `<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>`+
				`<Message>Server failed to authenticate the request. sig=c2VjcmV0LXNhcy1zaWduYXR1cmU=
RequestId:0b4e</Message></Error>`)
		}, op: "upload blob", status: 403, code: "AuthenticationFailed", hint: "signed upload URL"},
		"results URL refuses connections": {setup: func(_ *results, o *artifact.Options) {
			o.ResultsURL = dead.URL
		}, op: "create artifact", hint: "nothing listens"},
		"token in the results URL": {setup: func(_ *results, o *artifact.Options) {
			o.ResultsURL = "https://u:" + tok + "@results.example"
		}, hint: "ACTIONS_RESULTS_URL"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newResults(t, tok)
			o := artifact.Options{RuntimeToken: tok, ResultsURL: f.srv.URL, Name: "a", Files: files}
			tc.setup(f, &o)
			_, err := artifact.Upload(t.Context(), o)
			require.Error(t, err)
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				require.NotContains(t, s, tok)
				require.NotContains(t, s, "c2VjcmV0LXNhcy1zaWduYXR1cmU")
			}
			var h interface{ Hint() string }
			require.True(t, errors.As(err, &h))
			require.Contains(t, h.Hint(), tc.hint)
			if tc.op != "" {
				var ae *artifact.Error
				require.ErrorAs(t, err, &ae)
				require.Equal(t, tc.op, ae.Op)
				require.Equal(t, tc.status, ae.Status)
				require.Equal(t, tc.code, ae.Code)
			}
			require.False(t, f.finalized)
		})
	}
}

func TestBlobUnreachableHidesTheSignature(t *testing.T) {
	artifact.SetRetryDelay(t, 0)
	tok := runtimeToken(t, "Actions.Results:4711:99")
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	twirp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintf(w, `{"ok":true,"signedUploadUrl":"%s/blob/a.zip?sv=2023-11-03&sig=%s"}`, dead.URL, sasSig)
	}))
	defer twirp.Close()
	_, err := artifact.Upload(t.Context(), artifact.Options{RuntimeToken: tok, ResultsURL: twirp.URL, Name: "a", Files: files})
	var ae *artifact.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "upload blob", ae.Op)
	require.Contains(t, err.Error(), "/blob/a.zip?") // the query redacted (by httpclient.Describe or scrub)
	require.NotContains(t, err.Error(), "c2VjcmV0LXNhcy1zaWduYXR1cmU")
	require.Contains(t, ae.Hint(), "nothing listens")
}

func TestOptionsErrors(t *testing.T) {
	tok := runtimeToken(t, "Actions.Results:4711:99")
	for name, tc := range map[string]struct {
		mutate func(*artifact.Options)
		field  string
	}{
		"slash in name":     {func(o *artifact.Options) { o.Name = "a/b" }, "name"},
		"no files":          {func(o *artifact.Options) { o.Files = nil }, "files"},
		"negative days":     {func(o *artifact.Options) { o.RetentionDays = -1 }, "retention-days"},
		"results URL":       {func(o *artifact.Options) { o.ResultsURL = "results.example" }, "results-url"},
		"absolute file":     {func(o *artifact.Options) { o.Files = []artifact.File{{Name: "/etc/x"}} }, "files"},
		"dot-dot file":      {func(o *artifact.Options) { o.Files = []artifact.File{{Name: "../x"}} }, "files"},
		"unclean file":      {func(o *artifact.Options) { o.Files = []artifact.File{{Name: "a//b"}} }, "files"},
		"backslash file":    {func(o *artifact.Options) { o.Files = []artifact.File{{Name: `a\b`}} }, "files"},
		"duplicate file":    {func(o *artifact.Options) { o.Files = []artifact.File{{Name: "a"}, {Name: "a"}} }, "files"},
		"empty file name":   {func(o *artifact.Options) { o.Files = []artifact.File{{Name: ""}} }, "files"},
		"trailing slash":    {func(o *artifact.Options) { o.Files = []artifact.File{{Name: "dir/"}} }, "files"},
		"dot file element":  {func(o *artifact.Options) { o.Files = []artifact.File{{Name: "./a"}} }, "files"},
		"colon in the name": {func(o *artifact.Options) { o.Name = "a:b" }, "name"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newResults(t, tok)
			o := artifact.Options{RuntimeToken: tok, ResultsURL: f.srv.URL, Name: "a", Files: files}
			tc.mutate(&o)
			_, err := artifact.Upload(t.Context(), o)
			var oe *artifact.OptionsError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, tc.field, oe.Field)
			require.NotEmpty(t, oe.Hint())
			require.Empty(t, f.calls)
		})
	}
}

func TestZipIsDeterministic(t *testing.T) {
	a, err := artifact.Zip(files)
	require.NoError(t, err)
	b, err := artifact.Zip(slices.Clone(files))
	require.NoError(t, err)
	require.Equal(t, a, b)
	requireZipHolds(t, a, files)
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	require.NoError(t, err)
	for _, f := range zr.File {
		require.Equal(t, zip.Deflate, f.Method)
		require.Equal(t, "-rw-r--r--", f.Mode().String())
	}
}
