package portal_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

const testKickstart = "vmaccepteula\nrootpw --iscrypted $6$abc$def\ninstall --firstdisk --overwritevmfs\nnetwork --hostname={{ .Name }}\n%post\n/bin/poweroff -n\n"

// writeYAML renders a valid service YAML for version ver and size.
func writeYAML(t *testing.T, dir, ver string, size int64) string {
	t.Helper()
	b, _, err := service.Render(service.Options{
		Version: ver, Date: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC), ISOSize: size, Digest: strings.Repeat("ab", 32),
		SecureURL: "https://images.example.com/esxi-" + ver + ".iso", Kickstart: []byte(testKickstart),
	})
	require.NoError(t, err)
	p := filepath.Join(dir, ver+".yml")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func config(f *portaltest.Fake) portal.Config {
	env := f.Env()
	c := portal.ConfigFromEnv(func(k string) string { return env[k] })
	c.CAFile = f.CAFile
	return c
}

// The fake is HPE's spec in action: every request and answer below was
// validated against the client module's openapi.yaml.
func TestRegisterCreatesThenUpdatesInPlace(t *testing.T) {
	f := portaltest.New(t)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	dir := t.TempDir()
	p := writeYAML(t, dir, "8.0U3", 1000)

	r1, err := c.Register(t.Context(), p)
	require.NoError(t, err)
	require.Equal(t, portal.ActionCreated, r1.Action)
	require.Equal(t, "ESXi", r1.Flavor)
	require.Equal(t, []string{r1.ID}, f.ServiceIDs())

	p2 := writeYAML(t, t.TempDir(), "8.0U3", 2000) // same flavor and version, new bytes
	r2, err := c.Register(t.Context(), p2)
	require.NoError(t, err)
	require.Equal(t, portal.ActionUpdated, r2.Action)
	require.Equal(t, r1.ID, r2.ID)
	require.Equal(t, 1, f.Calls("Service_add"), "an update must not POST a second service")
	require.Equal(t, 1, f.Calls("Service_update"))
	require.Contains(t, string(f.ServiceYAML(r1.ID)), "file_size: 2000")
}

func TestHealthAllOK(t *testing.T) {
	f := portaltest.New(t)
	cs := f.Controllers()
	for i := range cs {
		cs[i].Delay = time.Duration(i*30) * time.Millisecond
	}
	f.SetControllers(cs...)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	var changes []portal.ControllerReport
	res, err := c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: 5 * time.Second, PollInterval: 20 * time.Millisecond,
		OnChange: func(r portal.ControllerReport) { changes = append(changes, r) }})
	require.NoError(t, err)
	require.True(t, res.OK())
	require.Len(t, res.Controllers, 3)
	require.Equal(t, "BLR2, South, IND", res.Controllers[0].Site)
	require.Len(t, changes, 3, "one progress line per controller answer, not per poll")
}

func TestHealthStaleReportsAreNotSuccess(t *testing.T) {
	f := portaltest.New(t)
	cs := f.Controllers()
	for i := range cs {
		cs[i].Silent = true // keeps the day-old OK it had before the trigger
	}
	f.SetControllers(cs...)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	start := time.Now()
	res, err := c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: 300 * time.Millisecond, PollInterval: 50 * time.Millisecond})
	var he *portal.HealthError
	require.ErrorAs(t, err, &he)
	require.Empty(t, he.NotOK)
	require.Contains(t, err.Error(), "no controller reported")
	require.False(t, res.OK())
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "waits until the deadline")
	for _, r := range res.Controllers {
		require.Equal(t, "OK", r.Summary, "the stale report says OK")
		require.False(t, r.Fresh)
	}
}

func TestWrongSecret(t *testing.T) {
	f := portaltest.New(t)
	cfg := config(f)
	cfg.UserSecret = secretOf("not-the-secret")
	c, err := portal.New(cfg)
	require.NoError(t, err)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	var ie *portal.IAMError
	require.ErrorAs(t, err, &ie)
	require.True(t, ie.Refused())
	require.Equal(t, http.StatusUnauthorized, ie.Status)
	require.Contains(t, err.Error(), f.IAMURL+"/v1/token")
	require.NotContains(t, err.Error(), "not-the-secret")
}

// A token that reaches the end of its life during a long wait is replaced
// before the portal would refuse it.
func TestTokenRenewedBeforeExpiry(t *testing.T) {
	f := portaltest.New(t)
	f.SetTokenLifetime(61 * time.Second) // within a minute of expiry after 1s
	cs := f.Controllers()
	cs[0].Delay = 1500 * time.Millisecond
	f.SetControllers(cs...)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	res, err := c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: 10 * time.Second, PollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	require.True(t, res.OK())
	require.GreaterOrEqual(t, f.TokensIssued(), 2)
}

// A ready HPEGL_IAM_TOKEN past its "exp" is reported as such, without asking
// the portal.
func TestExpiredReadyToken(t *testing.T) {
	f := portaltest.New(t)
	cfg := config(f)
	cfg.UserSecret = secretOf("")
	cfg.Token = secretOf(jwt(time.Now().Add(-time.Minute)))
	c, err := portal.New(cfg)
	require.NoError(t, err)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	var te *portal.TokenExpiredError
	require.ErrorAs(t, err, &te)
	require.Contains(t, err.Error(), "HPEGL_IAM_TOKEN has expired and cannot be renewed")
	require.Zero(t, f.Calls("Services_list"))
}

func TestConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"nothing": {env: map[string]string{}, want: []string{"HPEGL_METAL_REST_URL (--metal-rest-url): not set",
			"HPEGL_METAL_PROJECT_ID or HPEGL_METAL_SPACE_NAME", "HPEGL_IAM_SERVICE_URL, HPEGL_USER_ID, HPEGL_USER_SECRET: not set"}},
		"http URL": {env: map[string]string{"HPEGL_METAL_REST_URL": "http://p.example.com", "HPEGL_METAL_PROJECT_ID": "p",
			"HPEGL_IAM_TOKEN": "t"}, want: []string{"want an https:// URL"}},
		"secret missing": {env: map[string]string{"HPEGL_METAL_REST_URL": "https://p.example.com/api/metal", "HPEGL_METAL_PROJECT_ID": "p",
			"HPEGL_IAM_SERVICE_URL": "https://iam.example.com", "HPEGL_USER_ID": "id"}, want: []string{"HPEGL_USER_SECRET: not set"}},
	} {
		t.Run(name, func(t *testing.T) {
			c := portal.ConfigFromEnv(func(k string) string { return tc.env[k] })
			err := c.Validate()
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			var ce *portal.ConfigError
			require.ErrorAs(t, err, &ce)
		})
	}
	ok := portal.ConfigFromEnv(func(k string) string {
		return map[string]string{"HPEGL_METAL_REST_URL": "https://p.example.com/api/metal", "HPEGL_METAL_SPACE_NAME": "s", "HPEGL_IAM_TOKEN": "t"}[k]
	})
	require.NoError(t, ok.Validate())
}

// jwt returns an unsigned JWT-shaped token expiring at exp.
func jwt(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(fmt.Sprintf(`{"exp":%d}`, exp.Unix()))) + ".sig"
}

// A failing poll does not end a long wait: the next one may succeed.
func TestHealthSurvivesAFailedPoll(t *testing.T) {
	f := portaltest.New(t)
	cs := f.Controllers()
	cs[0].Delay = time.Second // polls go on after the others answered
	f.SetControllers(cs...)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	var problems []error
	res, err := c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: 10 * time.Second, PollInterval: 20 * time.Millisecond,
		OnChange: func(portal.ControllerReport) {
			f.FailNext("Service_getByID", http.StatusInternalServerError, "database unavailable")
		},
		OnProblem: func(err error) { problems = append(problems, err) }})
	require.NoError(t, err)
	require.True(t, res.OK())
	require.Len(t, problems, 1)
	require.ErrorContains(t, problems[0], "500 Internal Server Error: database unavailable")
}

// A portal that never answers is a timeout with its fix, not a hang.
func TestPortalTimeout(t *testing.T) {
	ca := tlstest.NewCA(t, "silent portal CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	c, err := portal.New(portal.Config{RestURL: srv.URL + "/api/metal", ProjectID: "p", Token: secretOf("t"),
		CAFile: ca.WriteFile(t), RequestTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	var te *portal.TransportError
	require.ErrorAs(t, err, &te)
	require.ErrorContains(t, err, "list services")
	require.ErrorContains(t, err, "timed out")
	require.Contains(t, te.Hint(), "did not answer in time")
}

// Register compares the stored files[0] with the YAML it sent.
func TestRegisterChecksTheStoredFile(t *testing.T) {
	f := portaltest.New(t)
	f.SkewStoredSize(1)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	var me *portal.MismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, "files[0].file_size", me.Field)
	require.ErrorContains(t, err, `stores files[0].file_size "1001", the YAML says "1000"`)
}

// A controller that had a report before the trigger and then drops out of
// DetailedDownloadHealth has not answered: the others' fresh OKs are not
// success.
func TestHealthVanishedControllerIsNotSuccess(t *testing.T) {
	f := portaltest.New(t)
	cs := f.Controllers()
	cs[2].Delay = time.Hour // never answers within the test
	f.SetControllers(cs...)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	dropped := false
	res, err := c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: 500 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		OnChange: func(portal.ControllerReport) {
			if !dropped { // after the baseline: the portal forgets the slow controller
				dropped = true
				f.SetControllers(cs[:2]...)
			}
		}})
	var he *portal.HealthError
	require.ErrorAs(t, err, &he, "two fresh OKs out of three controllers")
	require.False(t, res.OK())
	require.Len(t, he.NotOK, 1)
	require.Equal(t, cs[2].ID, he.NotOK[0].ControllerID)
	require.ErrorContains(t, err, "GVA1, West, CHE: no fresh report")
}

// A controller of one of the project's sites that never reports (no entry in
// DetailedDownloadHealth, before or after the trigger) is not left out of
// "every controller".
func TestHealthSilentNewControllerIsNotSuccess(t *testing.T) {
	f := portaltest.New(t)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	// A site added after the service was registered, whose controller stays silent.
	f.SetControllers(append(f.Controllers(), portaltest.Controller{DataCenter: "NEW1", Region: "North", Country: "SWE", Silent: true})...)
	res, err := c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: 300 * time.Millisecond, PollInterval: 20 * time.Millisecond})
	var he *portal.HealthError
	require.ErrorAs(t, err, &he, "three fresh OKs out of four controllers")
	require.False(t, res.OK())
	require.Len(t, res.Controllers, 4)
	require.Len(t, he.NotOK, 1)
	require.Equal(t, "NEW1, North, SWE", he.NotOK[0].Site)
	require.True(t, he.NotOK[0].Changed.IsZero())
	require.ErrorContains(t, err, "NEW1, North, SWE: no fresh report")
}

// The IAM endpoint down for a moment while a token is renewed during the
// wait does not end it: the next poll renews the token and goes on.
func TestHealthSurvivesAnIAMOutageDuringRenewal(t *testing.T) {
	f := portaltest.New(t)
	cs := f.Controllers()
	cs[0].Delay = 500 * time.Millisecond
	f.SetControllers(cs...)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	issued := f.TokensIssued()
	var problems []error
	once := false
	res, err := c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: 10 * time.Second, PollInterval: 20 * time.Millisecond,
		OnChange: func(portal.ControllerReport) {
			if !once {
				once = true
				f.FailNextToken(http.StatusServiceUnavailable)
				f.ExpireTokens() // the portal refuses the token; its renewal meets the outage
			}
		},
		OnProblem: func(err error) { problems = append(problems, err) }})
	require.NoError(t, err)
	require.True(t, res.OK())
	require.Len(t, problems, 1)
	require.ErrorContains(t, problems[0], "503")
	require.Greater(t, f.TokensIssued(), issued, "renewed after the outage")
}
