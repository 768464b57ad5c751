package portaltest_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
)

// recorder keeps the fake's test failures instead of failing this test, so
// the test can assert that the fake is strict.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

func client(t *testing.T, f *portaltest.Fake) *http.Client {
	pem, err := os.ReadFile(f.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func TestFakeIsStrict(t *testing.T) {
	rec := &recorder{TB: t}
	f := portaltest.New(rec)
	hc := client(t, f)
	tok := f.IssueToken(60_000_000_000)
	do := func(method, path, ct, body string, hdr map[string]string) *http.Response {
		req, err := http.NewRequest(method, f.RestURL+"/rest/v1"+path, strings.NewReader(body))
		require.NoError(t, err)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	auth := map[string]string{"Authorization": "Bearer " + tok, "Project": f.ProjectID}

	t.Run("a valid request passes", func(t *testing.T) {
		resp := do("GET", "/services", "", "", auth)
		require.Equal(t, 200, resp.StatusCode)
		require.Empty(t, rec.failures())
	})
	t.Run("no token is a 401, not a test failure", func(t *testing.T) {
		resp := do("GET", "/services", "", "", map[string]string{"Project": f.ProjectID})
		require.Equal(t, 401, resp.StatusCode)
		require.Empty(t, rec.failures())
	})
	t.Run("an unknown route fails the test", func(t *testing.T) {
		do("GET", "/no-such-thing", "", "", auth)
		require.Contains(t, rec.failures(), "fake portal: unknown route", "the failure says the fake found it")
	})
	t.Run("an upload whose part is not named fileName fails the test", func(t *testing.T) {
		rec.errs = nil
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, err := mw.CreateFormFile("file", "esxi.yml")
		require.NoError(t, err)
		_, _ = part.Write([]byte("name: x\n"))
		require.NoError(t, mw.Close())
		do("POST", "/services", mw.FormDataContentType(), body.String(), auth)
		require.Contains(t, rec.failures(), "fake portal: POST /api/metal/rest/v1/services violates the spec")
		require.Contains(t, rec.failures(), "part file: undefined", "the spec knows only the part fileName")
	})
	t.Run("a body the spec does not allow fails the test", func(t *testing.T) {
		rec.errs = nil
		do("POST", "/services", "application/json", `{"name":"x"}`, auth)
		require.Contains(t, rec.failures(), "fake portal: POST /api/metal/rest/v1/services violates the spec")
	})
}
