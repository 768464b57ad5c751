package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
)

func TestVerify(t *testing.T) {
	data := []byte(strings.Repeat("ESXi image bytes ", 40000))
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	ca := tlstest.NewCA(t, "cli test CA")
	caFile := ca.WriteFile(t)
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/images/esxi.iso":
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			_, _ = w.Write(data)
		case "/private/esxi.iso":
			http.Error(w, "AccessDenied", http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	good := srv.URL + "/images/esxi.iso"

	for name, tc := range map[string]struct {
		url    string
		size   int64
		skip   bool
		ca     bool
		code   int
		stdout []string
		stderr []string
		noWarn bool
	}{
		"good with CA": {url: good, size: int64(len(data)), ca: true, code: 0,
			stdout: []string{"verified " + good, "size:      " + strconv.Itoa(len(data)) + " bytes", "sha256sum: " + digest, "tls:       verified"}, noWarn: true},
		"unknown CA": {url: good, size: int64(len(data)), code: 1,
			stderr: []string{"error: ", "files[0]: ", "unknown authority", "fix: pass --ca-file with the CA that signed the server certificate, or set skip_ssl_verify: true"}},
		"skip_ssl_verify": {url: good, size: int64(len(data)), skip: true, code: 0,
			stdout: []string{"tls:       NOT verified (skip_ssl_verify: true)"}, stderr: []string{"warning: ", "skip_ssl_verify: true", "NOT checked"}},
		"size mismatch": {url: good, size: int64(len(data)) + 1, ca: true, code: 1,
			stderr: []string{"size mismatch", "upload the ISO again"}},
		"403": {url: srv.URL + "/private/esxi.iso", size: int64(len(data)), ca: true, code: 1,
			stderr: []string{"403 Forbidden", "object is not publicly readable"}},
		"404": {url: srv.URL + "/images/other.iso", size: int64(len(data)), ca: true, code: 1,
			stderr: []string{"404 Not Found", "wrong key or not uploaded yet"}},
	} {
		t.Run(name, func(t *testing.T) {
			yml := writeService(t, t.TempDir(), tc.url, tc.size, digest, tc.skip)
			args := []string{"verify"}
			if tc.ca {
				args = append(args, "--ca-file", caFile)
			}
			code, out, errOut := runEnv(t, nil, append(args, yml)...)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			for _, s := range tc.stdout {
				require.Contains(t, out, s)
			}
			for _, s := range tc.stderr {
				require.Contains(t, errOut, s)
			}
			if tc.noWarn {
				require.NotContains(t, errOut, "warning:")
			}
			if code != 0 {
				require.Empty(t, out)
			}
		})
	}
}

func TestVerifyUsage(t *testing.T) {
	code, _, errOut := runEnv(t, nil, "verify")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "usage: esxi-byoi verify [--ca-file CA.pem] SERVICE.yml")
	code, _, _ = runEnv(t, nil, "verify", "--retries", "-1", "x.yml")
	require.Equal(t, 2, code)
	code, _, errOut = runEnv(t, nil, "verify", "/nonexistent/svc.yml")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "/nonexistent/svc.yml")
}

// Several YAMLs (here a directory, as a scheduled watch passes it) print one
// table and fail when any file drifted.
func TestVerifySeveral(t *testing.T) {
	data := []byte(strings.Repeat("ESXi image bytes ", 1000))
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	ca := tlstest.NewCA(t, "cli test CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/images/esxi.iso" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	url := srv.URL + "/images/esxi.iso"
	root := t.TempDir()
	good := writeService(t, mkdir(t, root, "good"), url, int64(len(data)), digest, false)
	drifted := writeService(t, mkdir(t, root, "drifted"), url, int64(len(data))+1, digest, false)
	// Not service YAMLs: skipped with a warning, or not looked at.
	require.NoError(t, os.WriteFile(filepath.Join(root, "other.yml"), []byte("jobs: {}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(mkdir(t, root, ".github"), "w.yml"), []byte("on: push\n"), 0o644))

	code, out, errOut := runEnv(t, nil, "verify", "--ca-file", ca.WriteFile(t), root)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.Regexp(t, `^SERVICE\s+FILE\s+URL\s+RESULT`, lines[0])
	require.Regexp(t, `^`+drifted+`\s+files\[0\]\s+`+url+`\s+FAILED\s+.*size mismatch`, lines[1])
	require.Regexp(t, `^`+good+`\s+files\[0\]\s+`+url+`\s+verified\s+`, lines[2])
	require.Contains(t, errOut, "1 of 2 service file(s) failed verification")
	require.Contains(t, errOut, "other.yml: skipped: not a service YAML")
	require.NotContains(t, errOut, ".github")

	code, out, errOut = runEnv(t, nil, "verify", "--ca-file", ca.WriteFile(t), good, good)
	require.Equal(t, 0, code, errOut)
	require.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 3)
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	p := filepath.Join(parent, name)
	require.NoError(t, os.MkdirAll(p, 0o755))
	return p
}
