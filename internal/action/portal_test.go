package action_test

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
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// These tests talk to portaltest's FAKE HPE Bare Metal portal and IAM
// endpoint (no real portal can run in a test); it checks every request and
// answer against the spec in HPE's client module.

// withPortal gives the run the fake's HPEGL_* settings in its environment, as
// a workflow's step `env:` does from secrets, and makes the client secret and
// every token issued secrets the run must not leak.
func withPortal(r *runner, f *portaltest.Fake) {
	for k, v := range f.Env() {
		r.env[k] = v
	}
	r.secrets = append(r.secrets, f.Secret, "fake-token-")
	r.input("ca-file", f.CAFile).input("health-poll-interval", "20ms").input("health-timeout", "20s")
}

// Build mode with register and health: the YAML lands in the portal, the
// outputs carry its ID and the verdict, the summary has one row per
// controller, and the client secret is masked and found nowhere: log,
// summary, outputs, workspace files, artifact.
func TestBuildRegistersAndReportsDownloadHealth(t *testing.T) {
	f := portaltest.New(t)
	f.SetControllers(
		portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK", Delay: 30 * time.Millisecond},
		portaltest.Controller{DataCenter: "GVA1", Region: "West", Country: "CHE", Summary: "OK", Delay: 60 * time.Millisecond})
	r := buildRunner(t)
	withPortal(r, f)
	r.input("register", "true").input("health", "true")
	download := withArtifacts(t, r)

	res := r.run()
	require.Equal(t, 0, res.code, res)
	ids := f.ServiceIDs()
	require.Len(t, ids, 1)
	require.Equal(t, ids[0], res.outputs["service-id"])
	require.Equal(t, "OK", res.outputs["download-health"])
	require.Contains(t, res.stdout, "::add-mask::"+f.Secret+"\n", "the client secret is masked first")
	require.Equal(t, 1, strings.Count(res.stdout+res.stderr+res.summary, f.Secret), "the secret is in its mask line only")
	require.Contains(t, res.summary, "| portal service | created <code>"+ids[0]+"</code>")
	require.Contains(t, res.summary, "| download health | OK (2 controllers) |")
	require.Contains(t, res.summary, "#### Download health at the on-prem controllers")
	require.Regexp(t, `\| FTC1, Central, USA \| OK \| - \| \d{4}-`, res.summary)
	require.Regexp(t, `\| GVA1, West, CHE \| OK \| - \| \d{4}-`, res.summary)
	var groups []string
	for _, c := range res.commands {
		if c.name == "group" {
			groups = append(groups, c.msg)
		}
	}
	require.Contains(t, groups, "registering service in the HPE Bare Metal portal")
	require.Contains(t, groups, "checking download health at every on-prem controller")
	y, err := os.ReadFile(filepath.Join(r.workspace, res.outputs["service-yml"]))
	require.NoError(t, err)
	require.Equal(t, y, f.ServiceYAML(ids[0]))
	_, files := download("esxi-byoi")
	require.NotEmpty(t, files)
	requireNoSecretIn(t, r, files)

	t.Run("a Critical controller fails the step, with the outputs and summary it has", func(t *testing.T) {
		cs := f.Controllers()
		cs[1].Summary, cs[1].Reason = "Critical", "TLS handshake failed"
		f.SetControllers(cs...)
		res := r.run()
		require.Equal(t, 1, res.code, res)
		require.Equal(t, ids[0], res.outputs["service-id"], "updated in place")
		require.Equal(t, 1, f.Calls("Service_add"), "no second POST")
		require.Equal(t, "Critical", res.outputs["download-health"])
		require.NotEmpty(t, res.outputs["service-yml"])
		require.Contains(t, res.summary, "The build failed")
		require.Contains(t, res.summary, "| GVA1, West, CHE | **Critical** | TLS handshake failed |")
		errs := res.annotations("error")
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].msg, "GVA1, West, CHE: Critical (TLS handshake failed)")
	})
}

// Missing portal settings fail the step before anything is built, naming the
// variable and the input (never a flag).
func TestBuildRegisterWithoutPortalSettings(t *testing.T) {
	r := buildRunner(t)
	r.input("register", "true").input("metal-project-id", "p")
	res := r.run()
	require.Equal(t, 1, res.code, res)
	var msgs []string
	titled := false
	for _, a := range res.annotations("error") {
		msgs = append(msgs, a.msg)
		if strings.Contains(a.msg, "HPEGL_METAL_REST_URL") {
			titled = strings.Contains(a.props, "title=input metal-rest-url")
		}
	}
	all := strings.Join(msgs, "\n")
	require.True(t, titled, "the annotation names the input that sets it")
	require.Contains(t, all, "HPEGL_METAL_REST_URL (metal-rest-url): not set")
	require.Contains(t, all, "HPEGL_IAM_SERVICE_URL, HPEGL_USER_ID, HPEGL_USER_SECRET: not set")
	require.NotContains(t, all, "--metal")
	require.NoDirExists(t, filepath.Join(r.workspace, "esxi-byoi-out"))
}

// watchRig serves one ISO-like file over TLS with a private CA and writes
// into the workspace one YAML that matches it and one whose digest has
// drifted (the file was replaced after the YAML was made).
func watchRig(t *testing.T, r *runner) (caFile, good, drifted string) {
	data := []byte(strings.Repeat("ESXi image bytes ", 20000))
	sum := sha256.Sum256(data)
	ca := tlstest.NewCA(t, "watch test CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/images/esxi.iso" {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	}))
	write := func(rel, ver, digest string) string {
		b, _, err := service.Render(service.Options{
			Version: ver, Date: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC), ISOSize: int64(len(data)), Digest: digest,
			SecureURL: srv.URL + "/images/esxi.iso", Kickstart: []byte(watchKickstart),
		})
		require.NoError(t, err)
		return r.write(rel, string(b))
	}
	good = write("services/esxi-8.0U3.yml", "8.0U3", hex.EncodeToString(sum[:]))
	drifted = write("services/old/esxi-8.0U2.yml", "8.0U2", strings.Repeat("ab", 32))
	r.write("services/notes.yml", "just: notes\n")
	return ca.WriteFile(t), good, drifted
}

const watchKickstart = "vmaccepteula\nrootpw --iscrypted $6$abc$def\ninstall --firstdisk --overwritevmfs\nnetwork --hostname={{ .Name }}\n%post\n/bin/poweroff -n\n"

// mode: watch on a schedule: every service YAML under `services` is
// verified; one that drifted fails the step, named in an annotation and in
// the summary table, after the summary is written.
func TestWatchFailsOnADriftedServiceAndNamesIt(t *testing.T) {
	r := newRunner(t, "schedule", "schedule.json")
	caFile, _, _ := watchRig(t, r)
	r.input("mode", "watch").input("services", "services").input("ca-file", caFile)

	res := r.run()
	require.Equal(t, 1, res.code, res)
	errs := res.annotations("error")
	require.Len(t, errs, 1, res)
	require.Contains(t, errs[0].msg, "services/old/esxi-8.0U2.yml: files[0]")
	require.NotContains(t, errs[0].msg, r.workspace, "paths relative to the workspace")
	require.Contains(t, res.summary, "### esxi-byoi watch: <code>services</code>")
	require.Contains(t, res.summary, "Drift: 1 of 2 file(s) no longer match their service YAML")
	require.Regexp(t, `\| <code>services/esxi-8.0U3.yml</code> \| files\[0\] \| https://[^|]+ \| verified \|`, res.summary)
	require.Regexp(t, `\| <code>services/old/esxi-8.0U2.yml</code> \| files\[0\] \| https://[^|]+ \| \*\*FAILED\*\* \|`, res.summary)
	require.NotContains(t, res.summary, "#### Download health", "no health without the health input")
	require.Len(t, res.annotations("warning"), 1, "notes.yml is skipped with a warning")
	require.NoDirExists(t, filepath.Join(r.workspace, "esxi-byoi-out"), "a watch writes nothing into the workspace")

	t.Run("without drift the step succeeds", func(t *testing.T) {
		require.NoError(t, os.RemoveAll(filepath.Join(r.workspace, "services/old")))
		res := r.run()
		require.Equal(t, 0, res.code, res)
		require.Contains(t, res.summary, "No drift: 1 file(s) verified.")
	})
}

// With health, a watch also asks every controller about the registered
// service of each YAML; a controller that says no fails it.
func TestWatchChecksDownloadHealth(t *testing.T) {
	f := portaltest.New(t)
	r := newRunner(t, "schedule", "schedule.json")
	caFile, good, drifted := watchRig(t, r)
	require.NoError(t, os.Remove(drifted))
	withPortal(r, f)
	bundle := filepath.Join(t.TempDir(), "bundle.pem")
	a, err := os.ReadFile(caFile)
	require.NoError(t, err)
	b, err := os.ReadFile(f.CAFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bundle, append(a, b...), 0o644))
	r.input("mode", "watch").input("services", "services").input("ca-file", bundle).input("health", "true")

	env := f.Env()
	cfg := portal.ConfigFromEnv(func(k string) string { return env[k] })
	cfg.CAFile = f.CAFile
	c, err := portal.New(cfg)
	require.NoError(t, err)
	_, err = c.Register(t.Context(), good)
	require.NoError(t, err)

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Contains(t, res.summary, "No drift: 1 file(s) verified, 1 service(s) OK at every controller.")
	require.Regexp(t, `\| <code>services/esxi-8.0U3.yml</code> \| FTC1, Central, USA \| OK \|`, res.summary)
	require.Equal(t, map[string]string{"download-health": "OK"}, res.outputs, "a watch publishes nothing")

	cs := f.Controllers()
	cs[2].Summary, cs[2].Reason = "Critical", "404 Not Found"
	f.SetControllers(cs...)
	res = r.run()
	require.Equal(t, 1, res.code, res)
	require.Contains(t, res.summary, "1 of 1 service(s) are not downloadable at every controller")
	require.Equal(t, "Critical", res.outputs["download-health"])
	require.Contains(t, res.summary, "| GVA1, West, CHE | **Critical** | 404 Not Found |")
	require.Contains(t, res.annotations("error")[0].msg, "services/esxi-8.0U3.yml: service ")
	require.Contains(t, res.annotations("error")[0].msg, "GVA1, West, CHE: Critical (404 Not Found)")
}

// A ready HPEGL_IAM_TOKEN in the step's env is masked before anything else
// and appears nowhere else, as the client secret.
func TestBuildWithAReadyTokenMasksIt(t *testing.T) {
	f := portaltest.New(t)
	r := buildRunner(t)
	withPortal(r, f)
	tok := f.IssueToken(time.Hour)
	delete(r.env, "HPEGL_USER_SECRET")
	r.env["HPEGL_IAM_TOKEN"] = tok
	r.secrets = append(r.secrets, tok)
	r.input("register", "true")
	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Equal(t, f.ServiceIDs()[0], res.outputs["service-id"])
	require.NotContains(t, res.outputs, "download-health", "no health without the input")
	require.Contains(t, res.stdout, "::add-mask::"+tok+"\n")
	require.Equal(t, 1, strings.Count(res.stdout, tok), "only in its mask")
	require.Contains(t, res.stdout, "• checking download health at every on-prem controller: skipped (no health)")
}

// The inputs metal-rest-url and metal-space-name stand in for their
// variables (the step's env then holds only the credentials), and a client
// secret the IAM endpoint refuses fails the step naming the endpoint, with
// the secret masked and found nowhere else.
func TestRegisterWithPortalInputsAndAWrongSecret(t *testing.T) {
	f := portaltest.New(t)
	r := buildRunner(t)
	withPortal(r, f)
	delete(r.env, "HPEGL_METAL_REST_URL")
	delete(r.env, "HPEGL_METAL_PROJECT_ID")
	r.input("register", "true").input("metal-rest-url", f.RestURL).input("metal-space-name", f.SpaceName)
	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Equal(t, f.ServiceIDs()[0], res.outputs["service-id"])

	t.Run("wrong secret", func(t *testing.T) {
		r := buildRunner(t)
		withPortal(r, f)
		wrong := "wrong-" + f.Secret
		r.env["HPEGL_USER_SECRET"] = wrong
		r.secrets = append(r.secrets, wrong)
		r.input("register", "true")
		res := r.run()
		require.Equal(t, 1, res.code, res)
		require.Contains(t, res.stdout, "::add-mask::"+wrong+"\n")
		errs := res.annotations("error")
		require.NotEmpty(t, errs)
		require.Contains(t, errs[0].msg, "IAM endpoint "+f.IAMURL+"/v1/token refused the API client id/secret")
		require.NotContains(t, res.outputs, "service-id")
	})
}
