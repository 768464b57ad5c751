package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
)

// Ctrl-C mid-upload: exit 130, one error line, the multipart upload aborted.
// A proxy in front of versitygw cancels the run's context when the first
// part arrives, which is what SIGINT does through signal.NotifyContext.
func TestCtrlCMidUploadExits130WithOneLine(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	proxy := srv.Proxy(t, func(_ http.ResponseWriter, r *http.Request) bool {
		if !r.URL.Query().Has("partNumber") {
			return false
		}
		cancel()
		<-r.Context().Done() // the client gives up on this part
		return true
	})
	b := make([]byte, 12<<20) // two 8 MiB parts: a multipart upload
	_, err := rand.Read(b)
	require.NoError(t, err)
	iso := filepath.Join(t.TempDir(), "ESXi-8.0U3-BareMetal.iso")
	require.NoError(t, os.WriteFile(iso, b, 0o644))

	var out, errb bytes.Buffer
	code := cli.Main(ctx, []string{"publish", iso, "--s3-bucket", srv.Bucket, "--s3-prefix", srv.PublicPrefix,
		"--s3-endpoint", proxy.Endpoint, "--s3-path-style", "--ca-file", proxy.CAFile}, &out, &errb, os.Getenv)
	require.Equal(t, cli.ExitInterrupted, code, errb.String())
	var errLines []string
	for _, l := range strings.Split(errb.String(), "\n") {
		if strings.HasPrefix(l, "error:") {
			errLines = append(errLines, l)
		}
		require.NotContains(t, l, "operation error", "no SDK text")
		require.NotContains(t, l, "WARN")
	}
	require.Len(t, errLines, 1, errb.String())
	ups, err := srv.Uploads(t.Context())
	require.NoError(t, err)
	require.Empty(t, ups, "the multipart upload was aborted")
}
