package source_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
	"github.com/esxi-byoi/esxi-byoi/internal/source"
)

func payload(t *testing.T, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func requireOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	got := []string{}
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if names == nil {
		names = []string{}
	}
	require.Equal(t, names, got)
}

func TestLocalPathIsUsedAsIs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "in.iso")
	require.NoError(t, os.WriteFile(p, []byte("iso"), 0o644))
	f, err := source.Fetch(t.Context(), source.Options{Input: p})
	require.NoError(t, err)
	require.Equal(t, p, f.Path)
	require.False(t, f.Temp)
	f.Remove()
	require.FileExists(t, p, "a local input is never removed")
}

func TestHTTPSDownloadIsStreamedBesideTheOutputAndRemoved(t *testing.T) {
	data := payload(t, 3<<20+17)
	ca := tlstest.NewCA(t, "vendor CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/VMware-VMvisor-Installer-8.0U3.iso":
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data)
		case "/short.iso": // announces more than it sends
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:1000])
		default:
			http.NotFound(w, r)
		}
	}), "127.0.0.1")
	caFile := ca.WriteFile(t)
	dir := t.TempDir()

	in := srv.URL + "/VMware-VMvisor-Installer-8.0U3.iso?X-Amz-Signature=s3cr3t"
	f, err := source.Fetch(t.Context(), source.Options{Input: in, Dir: dir, CAFile: caFile})
	require.NoError(t, err)
	require.True(t, f.Temp)
	require.Equal(t, "VMware-VMvisor-Installer-8.0U3.iso", f.Name)
	require.Equal(t, dir, filepath.Dir(f.Path))
	got, err := os.ReadFile(f.Path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
	f.Remove()
	requireOnly(t, dir)

	t.Run("cut short", func(t *testing.T) {
		_, err := source.Fetch(t.Context(), source.Options{Input: srv.URL + "/short.iso", Dir: dir, CAFile: caFile})
		require.ErrorContains(t, err, "broke off")
		requireOnly(t, dir)
	})
	t.Run("404, and the presigned query is never printed", func(t *testing.T) {
		_, err := source.Fetch(t.Context(), source.Options{Input: srv.URL + "/nope.iso?X-Amz-Signature=s3cr3t", Dir: dir, CAFile: caFile})
		var he *source.HTTPError
		require.ErrorAs(t, err, &he)
		require.Equal(t, 404, he.StatusCode)
		require.NotContains(t, err.Error(), "s3cr3t")
		requireOnly(t, dir)
	})
	t.Run("unknown CA", func(t *testing.T) {
		_, err := source.Fetch(t.Context(), source.Options{Input: in, Dir: dir})
		var he *httpclient.Error
		require.ErrorAs(t, err, &he)
		require.Equal(t, httpclient.KindUnknownAuthority, he.Kind)
		require.NotContains(t, err.Error(), "s3cr3t")
		requireOnly(t, dir)
	})
}

func TestS3SourceUsesTheAWSChainAndTheCAFile(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	data := payload(t, 2<<20)
	key := srv.PrivatePrefix + "vendor/VMware-VMvisor-Installer-8.0U3.iso" // not public: credentials needed
	_, err := srv.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	require.NoError(t, err)
	c, err := publish.NewS3(t.Context(), publish.S3Config{Endpoint: srv.Endpoint, PathStyle: true, CAFile: srv.CAFile})
	require.NoError(t, err)
	dir := t.TempDir()

	f, err := source.Fetch(t.Context(), source.Options{Input: "s3://" + srv.Bucket + "/" + key, Dir: dir, S3: c})
	require.NoError(t, err)
	got, err := os.ReadFile(f.Path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
	require.Equal(t, int64(len(data)), f.Size)
	f.Remove()
	requireOnly(t, dir)

	_, err = source.Fetch(t.Context(), source.Options{Input: "s3://" + srv.Bucket + "/missing.iso", Dir: dir, S3: c})
	require.ErrorContains(t, err, "no such object")
	requireOnly(t, dir)
}

func TestCheckRefusesWhatItCannotFetch(t *testing.T) {
	for in, want := range map[string]string{
		"http://vendor/x.iso":          "plain http",
		"s3://bucket":                  "s3://bucket/key",
		"s3://bucket/dir/":             "s3://bucket/key",
		"https://vendor/":              "not a URL of a file",
		"https://user:pw@vendor/a.iso": "user:password",
	} {
		require.ErrorContains(t, source.Check(in), want, in)
	}
	require.NoError(t, source.Check("/local/file.iso"))
	require.NoError(t, source.Check("s3://b/k.iso"))
	require.Equal(t, "a.iso", source.Name("https://h/x/a.iso?sig=1"))
}
