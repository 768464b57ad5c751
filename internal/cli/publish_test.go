package cli_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// runBuildEnv runs the CLI in-process with the password in its environment; the
// AWS SDK reads the process environment (t.Setenv) itself.
func runBuildEnv(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"ESXI_ROOT_PASSWORD": testPassword, "SOURCE_DATE_EPOCH": "1767225600"}
	code := cli.Main(t.Context(), args, &out, &errb, func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	})
	return code, out.String(), errb.String()
}

func s3Args(srv *s3test.Server, prefix string) []string {
	return []string{"--s3-bucket", srv.Bucket, "--s3-prefix", prefix, "--s3-endpoint", srv.Endpoint, "--s3-path-style", "--ca-file", srv.CAFile}
}

// requireNoSecrets checks that neither the S3 secret nor the root password
// appears in any stream or file written.
func requireNoSecrets(t *testing.T, srv *s3test.Server, dir string, streams ...string) {
	t.Helper()
	for _, s := range streams {
		require.NotContains(t, s, srv.SecretKey)
		require.NotContains(t, s, testPassword)
	}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.False(t, bytes.Contains(b, []byte(srv.SecretKey)), e.Name())
		require.False(t, bytes.Contains(b, []byte(testPassword)), e.Name())
	}
}

// writes counts the write requests the server has seen.
func writes(srv *s3test.Server) int {
	ops := srv.Ops()
	return ops["s3_PutObject"] + ops["s3_CreateMultipartUpload"] + ops["s3_UploadPart"] + ops["s3_CompleteMultipartUpload"]
}

func readService(t *testing.T, path string) *service.Service {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	svc, err := service.Parse(b)
	require.NoError(t, err)
	return svc
}

// build with S3: remaster → publish → YAML (secure_url = public URL) → verify;
// a rebuild publishes nothing; a changed ISO under the same key is refused
// (and no YAML is written for it) unless --replace.
func TestBuildPublishesToS3ThenRefusesAChangedISO(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	dir := t.TempDir()
	iso, yml := filepath.Join(dir, "ESXi-8.0U3-BareMetal.iso"), filepath.Join(dir, "ESXi-8.0U3-BareMetal.yml")
	build := append([]string{"build", "-i", smallSample(t), "-o", iso, "-s", yml}, s3Args(srv, "public/esxi")...)

	code, stdout, stderr := runBuildEnv(t, build...)
	require.Equal(t, 0, code, stderr)
	url := srv.PublicURL("public/esxi/ESXi-8.0U3-BareMetal.iso")
	f := readService(t, yml).Files[0]
	require.Equal(t, url, f.SecureURL)
	require.Contains(t, stdout, "published: s3://"+srv.Bucket+"/public/esxi/ESXi-8.0U3-BareMetal.iso (uploaded)")
	require.Contains(t, stdout, "verified: "+url+" serves the same")
	requireNoSecrets(t, srv, dir, stdout, stderr)
	puts := writes(srv)
	require.Positive(t, puts)

	// the same build again: nothing uploaded
	code, stdout, stderr = runBuildEnv(t, build...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "already there with the same bytes: nothing uploaded")
	require.Contains(t, stderr, "already published")
	require.Equal(t, puts, writes(srv), "no write request on a rebuild")

	// a different ISO under the same key: refused, no YAML for it
	dir2 := t.TempDir()
	iso2, yml2 := filepath.Join(dir2, "ESXi-8.0U3-BareMetal.iso"), filepath.Join(dir2, "ESXi-8.0U3-BareMetal.yml")
	changed := append([]string{"build", "-i", smallSample(t), "-o", iso2, "-s", yml2, "--kernelopt-add", "allowLegacyCPU=true"}, s3Args(srv, "public/esxi")...)
	code, _, stderr = runBuildEnv(t, changed...)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "refusing to overwrite")
	require.Contains(t, stderr, "(fix: a published ISO is referenced by live service YAMLs")
	require.NoFileExists(t, yml2)

	code, _, stderr = runBuildEnv(t, append(changed, "--replace")...)
	require.Equal(t, 0, code, stderr)
	require.NotEqual(t, f.Signature, readService(t, yml2).Files[0].Signature)
}

func TestBuildToAPrivatePrefixSaysNotPubliclyReadable(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	dir := t.TempDir()
	code, _, stderr := runBuildEnv(t, append([]string{"build", "-i", smallSample(t), "-o", filepath.Join(dir, "a.iso"), "-s", filepath.Join(dir, "a.yml")},
		s3Args(srv, "private")...)...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "is not publicly readable at "+srv.PublicURL("private/a.iso"))
	require.Contains(t, stderr, "bucket policy allowing anonymous s3:GetObject")
}

// The scheduled-rebuild path: the vendor ISO in the user's own (private) bucket.
func TestBuildFromS3SourceLeavesNoDownloadBehind(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	src, err := os.ReadFile(smallSample(t))
	require.NoError(t, err)
	_, err = srv.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket),
		Key: aws.String("private/vendor/VMware-VMvisor-Installer-8.0U3.iso"), Body: bytes.NewReader(src)})
	require.NoError(t, err)
	dir := t.TempDir()
	code, stdout, stderr := runBuildEnv(t, append([]string{"build", "-i", "s3://" + srv.Bucket + "/private/vendor/VMware-VMvisor-Installer-8.0U3.iso",
		"-o", filepath.Join(dir, "ESXi.iso"), "-s", filepath.Join(dir, "ESXi.yml")}, s3Args(srv, "public")...)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "verified:")
	requireOnlyFiles(t, dir, "ESXi.iso", "ESXi.yml")
	requireNoSecrets(t, srv, dir, stdout, stderr)
}

func TestBuildFromHTTPSSourceToPublishDir(t *testing.T) {
	src, err := os.ReadFile(smallSample(t))
	require.NoError(t, err)
	ca := tlstest.NewCA(t, "esxi-byoi test CA")
	www := t.TempDir()
	mux := http.NewServeMux()
	mux.HandleFunc("/vendor/VMware.iso", func(w http.ResponseWriter, _ *http.Request) { w.Write(src) })
	mux.Handle("/images/", http.StripPrefix("/images/", http.FileServer(http.Dir(www))))
	srv := tlstest.NewServer(t, ca, mux, "127.0.0.1")
	dir := t.TempDir()
	code, stdout, stderr := runBuildEnv(t, "build", "-i", srv.URL+"/vendor/VMware.iso", "-o", filepath.Join(dir, "ESXi.iso"), "-s", filepath.Join(dir, "ESXi.yml"),
		"--publish-dir", www, "--public-url-prefix", srv.URL+"/images", "--ca-file", ca.WriteFile(t))
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "published: "+filepath.Join(www, "ESXi.iso")+" (uploaded)")
	require.Contains(t, stdout, "verified: "+srv.URL+"/images/ESXi.iso serves the same")
	requireOnlyFiles(t, dir, "ESXi.iso", "ESXi.yml")
	requireOnlyFiles(t, www, "ESXi.iso")
}

func TestPublishCommandS3AndDir(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	iso := filepath.Join(t.TempDir(), "ESXi-8.0U3-BareMetal.iso")
	b, err := os.ReadFile(smallSample(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(iso, b, 0o644))

	// flags after the ISO, as the usage line shows
	code, stdout, stderr := runBuildEnv(t, append([]string{"publish", iso, "--json"}, s3Args(srv, "public/")...)...)
	require.Equal(t, 0, code, stderr)
	var res struct {
		URL      string `json:"url"`
		Key      string `json:"key"`
		Outcome  string `json:"outcome"`
		Verified bool   `json:"verified"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, srv.PublicURL("public/ESXi-8.0U3-BareMetal.iso"), res.URL)
	require.Equal(t, "published", res.Outcome)
	require.True(t, res.Verified)
	requireNoSecrets(t, srv, filepath.Dir(iso), stdout, stderr)

	code, stdout, stderr = runBuildEnv(t, append([]string{"publish", iso}, s3Args(srv, "public/")...)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "already there with the same bytes")

	// directory publishing; -x true since nothing serves it here
	www := t.TempDir()
	code, stdout, stderr = runBuildEnv(t, "publish", "--publish-dir", www, "-p", "https://images.example.com/esxi", "-x", "true", iso)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "url:      https://images.example.com/esxi/ESXi-8.0U3-BareMetal.iso")
	requireOnlyFiles(t, www, "ESXi-8.0U3-BareMetal.iso")

	code, _, stderr = runBuildEnv(t, "publish", iso)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--s3-bucket: required (or --publish-dir)")
}

// Credentials come from the AWS chain only: there is no flag for them, and a
// wrong secret in the environment is a clear access-denied error.
func TestNoCredentialFlagsAndWrongSecretIsAccessDenied(t *testing.T) {
	for _, cmd := range []string{"build", "publish"} {
		_, _, stderr := run(t, cmd, "-h")
		flagLine := regexp.MustCompile(`(?m)^\s+-(\S+)`)
		for _, m := range flagLine.FindAllStringSubmatch(stderr, -1) {
			require.NotRegexp(t, `(?i)secret|access|token|credential|profile|aws-`, m[1], "%s has a credential flag", cmd)
		}
	}
	srv := s3test.Start(t)
	srv.SetEnv(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "Wrong-Secret-7781")
	code, stdout, stderr := runBuildEnv(t, append([]string{"publish", smallSample(t)}, s3Args(srv, "public/")...)...)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "access denied")
	require.Contains(t, stderr, "(fix: the credentials from the AWS default chain")
	require.NotContains(t, stdout+stderr, "Wrong-Secret-7781")
}

// --ca-file works for the S3 client and the verifier whether the machine sets
// AWS_CA_BUNDLE and SSL_CERT_FILE (as this one does) or not. Child processes,
// since Go reads SSL_CERT_FILE once per process.
func TestCAFileWorksWithAndWithoutCABundleEnv(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	iso := smallSample(t)
	for name, env := range map[string]map[string]string{
		"bundles set":   {"AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"},
		"bundles unset": {"AWS_CA_BUNDLE": "", "SSL_CERT_FILE": ""},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := childCmd(t, append([]string{"publish", iso}, s3Args(srv, "public/"+strings.ReplaceAll(name, " ", "-"))...)...)
			cmd.Env = withEnv(cmd.Env, env)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			require.NoError(t, cmd.Run(), errb.String())
			require.Contains(t, out.String(), "verified: anonymous download")
		})
	}
	t.Run("no --ca-file", func(t *testing.T) {
		cmd := childCmd(t, "publish", iso, "--s3-bucket", srv.Bucket, "--s3-endpoint", srv.Endpoint, "--s3-path-style")
		cmd.Env = withEnv(cmd.Env, map[string]string{"AWS_MAX_ATTEMPTS": "1"})
		var errb bytes.Buffer
		cmd.Stderr = &errb
		var ee *exec.ExitError
		require.ErrorAs(t, cmd.Run(), &ee)
		require.Equal(t, 1, ee.ExitCode())
		require.Contains(t, errb.String(), "unknown authority")
		require.Contains(t, errb.String(), "(fix: pass --ca-file with the CA that signed the S3 endpoint's certificate")
	})
}

// withEnv returns env with keys set to values; an empty value removes the key.
func withEnv(env []string, set map[string]string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func requireOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	require.ElementsMatch(t, names, got)
}
