package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
)

// `build --register --health` end to end: the ISO is remastered, published
// to the versitygw rig over TLS, verified, and the YAML registered in the
// FAKE portal (portaltest: no real portal can run in a test; it checks every
// request and answer against the spec in HPE's client module), whose
// controllers then report on it.

// caBundle writes one PEM bundle trusting both the S3 rig and the fake portal,
// as --ca-file takes one file for every endpoint.
func caBundle(t *testing.T, files ...string) string {
	t.Helper()
	var b []byte
	for _, f := range files {
		pem, err := os.ReadFile(f)
		require.NoError(t, err)
		b = append(b, pem...)
	}
	p := filepath.Join(t.TempDir(), "bundle.pem")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// portalBuild runs build with the password and the portal's HPEGL_* settings
// in its environment (env, when not nil, replaces the latter), and checks
// that no secret or token reached a stream or a file of dir.
func portalBuild(t *testing.T, f *portaltest.Fake, env map[string]string, dir string, args ...string) (int, string, string) {
	t.Helper()
	if env == nil {
		env = f.Env()
	}
	env["ESXI_ROOT_PASSWORD"], env["SOURCE_DATE_EPOCH"] = testPassword, "1767225600"
	var out, errb bytes.Buffer
	code := cli.Main(t.Context(), args, &out, &errb, func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k) // the AWS chain of the rig (srv.SetEnv)
	})
	for _, s := range []string{f.Secret, "fake-token-", testPassword} {
		require.NotContains(t, out.String(), s)
		require.NotContains(t, errb.String(), s)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			require.False(t, bytes.Contains(b, []byte(s)), "%s holds a secret", e.Name())
		}
	}
	return code, out.String(), errb.String()
}

func TestBuildRegistersAndChecksHealth(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	f := portaltest.New(t)
	f.SetControllers(
		portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK", Delay: 30 * time.Millisecond},
		portaltest.Controller{DataCenter: "GVA1", Region: "West", Country: "CHE", Summary: "OK", Delay: 60 * time.Millisecond})
	ca := caBundle(t, srv.CAFile, f.CAFile)
	dir := t.TempDir()
	iso, yml := filepath.Join(dir, "ESXi-8.0U3-BareMetal.iso"), filepath.Join(dir, "ESXi-8.0U3-BareMetal.yml")
	args := []string{"build", "-i", smallSample(t), "-o", iso, "-s", yml, "--s3-bucket", srv.Bucket, "--s3-prefix", "public/esxi",
		"--s3-endpoint", srv.Endpoint, "--s3-path-style", "--ca-file", ca,
		"--register", "--health", "--health-poll-interval", "20ms", "--health-timeout", "20s"}

	code, out, errOut := portalBuild(t, f, nil, dir, args...)
	require.Equal(t, 0, code, errOut)
	ids := f.ServiceIDs()
	require.Len(t, ids, 1)
	require.Contains(t, out, "verified: "+srv.PublicURL("public/esxi/ESXi-8.0U3-BareMetal.iso"))
	require.Contains(t, out, "registered: created "+ids[0])
	require.Contains(t, out, "download health: OK (2 controller(s))")
	require.Contains(t, out, "FTC1, Central, USA: OK")
	require.Contains(t, out, "GVA1, West, CHE: OK")
	require.Contains(t, out, "The HPE Bare Metal portal has the service")
	local, err := os.ReadFile(yml)
	require.NoError(t, err)
	require.Equal(t, local, f.ServiceYAML(ids[0]), "the portal holds the YAML the build wrote")
	require.Contains(t, errOut, "• registering service in the HPE Bare Metal portal")

	t.Run("a second build updates the service in place", func(t *testing.T) {
		code, out, errOut := portalBuild(t, f, nil, dir, args...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "registered: updated "+ids[0])
		require.Equal(t, ids, f.ServiceIDs())
		require.Equal(t, 1, f.Calls("Service_add"), "no second POST")
	})

	t.Run("--json carries the registration and every controller's verdict", func(t *testing.T) {
		code, out, errOut := portalBuild(t, f, nil, dir, append(args, "--json")...)
		require.Equal(t, 0, code, errOut)
		var r struct {
			ISOPath        string `json:"iso_path"`
			ISOSHA256      string `json:"iso_sha256"`
			ISOURL         string `json:"iso_url"`
			ServiceYML     string `json:"service_yml"`
			Published      string `json:"published"`
			Verified       bool   `json:"verified"`
			ServiceID      string `json:"service_id"`
			DownloadHealth string `json:"download_health"`
			Registration   struct {
				ID, Action string
			} `json:"registration"`
			Health struct {
				Controllers []struct {
					Site, Summary string
				} `json:"controllers"`
			} `json:"health"`
			Lint []any `json:"lint"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &r), out)
		require.Equal(t, iso, r.ISOPath)
		require.Len(t, r.ISOSHA256, 64)
		require.Equal(t, srv.PublicURL("public/esxi/ESXi-8.0U3-BareMetal.iso"), r.ISOURL)
		require.Equal(t, yml, r.ServiceYML)
		require.Equal(t, "skipped-identical", r.Published, "the same bytes are there from the first build")
		require.True(t, r.Verified)
		require.Equal(t, ids[0], r.ServiceID)
		require.Equal(t, ids[0], r.Registration.ID)
		require.Equal(t, "updated", r.Registration.Action)
		require.Equal(t, "OK", r.DownloadHealth)
		require.Len(t, r.Health.Controllers, 2)
		require.NotNil(t, r.Lint, "lint is a list, empty when clean")
	})

	t.Run("a Critical controller fails the build after the ISO and YAML were written", func(t *testing.T) {
		cs := f.Controllers()
		cs[1].Summary, cs[1].Reason = "Critical", "TLS handshake failed"
		f.SetControllers(cs...)
		dir := t.TempDir()
		iso, yml := filepath.Join(dir, "ESXi-8.0U3-BareMetal.iso"), filepath.Join(dir, "ESXi-8.0U3-BareMetal.yml")
		a := append([]string{}, args...)
		a[4], a[6] = iso, yml
		code, out, errOut := portalBuild(t, f, nil, dir, a...)
		require.Equal(t, 1, code, errOut)
		require.Contains(t, errOut, "GVA1, West, CHE: Critical (TLS handshake failed)")
		require.NotContains(t, errOut, "FTC1, Central, USA: Critical")
		require.FileExists(t, iso)
		require.FileExists(t, yml)
		require.Contains(t, out, "download health: Critical", "the verdicts are printed with the result")
	})
}

// Missing portal settings are a usage error (exit 2) naming each variable,
// found before anything is fetched or written; so is --health alone.
func TestBuildRegisterWithoutPortalSettingsWritesNothing(t *testing.T) {
	f := portaltest.New(t)
	dir := t.TempDir()
	base := []string{"build", "-i", smallSample(t), "-p", "https://images.example.com/esxi",
		"-o", filepath.Join(dir, "o.iso"), "-s", filepath.Join(dir, "o.yml")}

	env := f.Env()
	delete(env, "HPEGL_METAL_REST_URL")
	delete(env, "HPEGL_USER_SECRET")
	code, _, errOut := portalBuild(t, f, env, dir, append(base, "--register")...)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "HPEGL_METAL_REST_URL (--metal-rest-url): not set")
	require.Contains(t, errOut, "HPEGL_USER_SECRET")
	require.Contains(t, errOut, "usage: esxi-byoi build")
	requireEmptyDir(t, dir)

	code, _, errOut = portalBuild(t, f, nil, dir, append(base, "--health")...)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "--health: needs --register")
	requireEmptyDir(t, dir)

	// the flag wins over its variable: a bad URL given as a flag is refused
	code, _, errOut = portalBuild(t, f, nil, dir, append(base, "--register", "--metal-rest-url", "http://portal.example.com")...)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, `"http://portal.example.com": want an https:// URL`)
	require.Equal(t, 0, f.Calls("Services_list"))
	require.Equal(t, 0, f.TokensIssued())
	requireEmptyDir(t, dir)
	require.False(t, strings.Contains(errOut, f.Secret))
}
