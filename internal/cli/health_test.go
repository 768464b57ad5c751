package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
)

// registered starts a fake portal holding one registered service and returns
// the fake, the YAML and the service ID.
func registered(t *testing.T, cs ...portaltest.Controller) (*portaltest.Fake, string, string) {
	t.Helper()
	f := portaltest.New(t)
	if len(cs) > 0 {
		f.SetControllers(cs...)
	}
	p := portalYAML(t, t.TempDir(), "8.0U3", 1000)
	code, _, errOut := portalRun(t, f, nil, "register", p)
	require.Equal(t, 0, code, errOut)
	return f, p, f.ServiceIDs()[0]
}

var fast = []string{"--poll-interval", "20ms"}

func health(t *testing.T, f *portaltest.Fake, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return portalRun(t, f, env, append(append([]string{"health"}, fast...), args...)...)
}

func TestHealthAllOK(t *testing.T) {
	f, p, id := registered(t,
		portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK", Delay: 50 * time.Millisecond},
		portaltest.Controller{DataCenter: "BLR2", Region: "South", Country: "IND", Summary: "OK", Delay: 120 * time.Millisecond})
	code, out, errOut := health(t, f, nil, "--timeout", "10s", p)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.Regexp(t, `^SERVICE\s+SITE\s+CONTROLLER\s+HEALTH`, lines[0])
	require.Contains(t, lines[1], "BLR2, South, IND")
	require.Contains(t, lines[2], "FTC1, Central, USA")
	for _, l := range lines[1:] {
		require.Regexp(t, `\sOK\s`, l)
	}
	// Progress: one line per controller's answer, not one per poll.
	require.Equal(t, 2, strings.Count(errOut, ": OK"), errOut)

	t.Run("by service ID, as JSON", func(t *testing.T) {
		code, out, errOut := health(t, f, nil, "--timeout", "10s", "--json", "--service-id", id)
		require.Equal(t, 0, code, errOut)
		var got struct {
			OK       bool
			Services []struct {
				Target  string
				OK      bool
				Summary string
				Result  struct {
					ServiceID   string `json:"service_id"`
					Controllers []struct {
						Site, Summary string
						Fresh         bool
					}
				}
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		require.True(t, got.OK)
		require.Equal(t, "OK", got.Services[0].Summary)
		require.Equal(t, id, got.Services[0].Result.ServiceID)
		require.Len(t, got.Services[0].Result.Controllers, 2)
		require.True(t, got.Services[0].Result.Controllers[0].Fresh)
	})
}

func TestHealthOneControllerCritical(t *testing.T) {
	f, p, _ := registered(t,
		portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK"},
		portaltest.Controller{DataCenter: "GVA1", Region: "West", Country: "CHE", Summary: "Critical",
			Reason: "download of https://images.example.com/esxi.iso failed: 403 Forbidden"})
	code, out, errOut := health(t, f, nil, "--timeout", "10s", p)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Regexp(t, `GVA1, West, CHE\s.*Critical\s.*download of https://images.example.com/esxi.iso failed: 403 Forbidden`, out)
	require.Contains(t, errOut, "download health not OK at 1 controller(s): GVA1, West, CHE: Critical (download of https://images.example.com/esxi.iso failed: 403 Forbidden)")
	require.NotContains(t, errOut, "FTC1, Central, USA: Critical")
}

func TestHealthOnlyStaleReports(t *testing.T) {
	// The controllers keep the day-old OK they had before the trigger.
	f, p, _ := registered(t,
		portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK", Silent: true},
		portaltest.Controller{DataCenter: "BLR2", Region: "South", Country: "IND", Summary: "OK", Silent: true})
	start := time.Now()
	code, out, errOut := health(t, f, nil, "--timeout", "400ms", p)
	require.Equal(t, 1, code, "an old OK is not an answer\nstdout:\n%s\nstderr:\n%s", out, errOut)
	require.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "waits until the deadline")
	require.Contains(t, errOut, "no controller reported its download health within 400ms")
	require.Contains(t, errOut, "check that the service's secure_url is reachable from the on-prem controllers")
	require.Contains(t, out, "no fresh report")
	require.NotRegexp(t, `\sOK\s`, out)
}

func TestHealthSomeStale(t *testing.T) {
	f, p, _ := registered(t,
		portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK"},
		portaltest.Controller{DataCenter: "BLR2", Region: "South", Country: "IND", Summary: "OK", Silent: true})
	code, _, errOut := health(t, f, nil, "--timeout", "300ms", p)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "BLR2, South, IND: no fresh report")
}

func TestHealthTokenExpiresDuringPoll(t *testing.T) {
	f, p, _ := registered(t,
		portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK", Delay: 400 * time.Millisecond})
	issued := f.TokensIssued()
	go func() {
		time.Sleep(150 * time.Millisecond)
		f.ExpireTokens() // the portal now refuses the token the CLI holds
	}()
	code, out, errOut := health(t, f, nil, "--timeout", "10s", p)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Greater(t, f.TokensIssued(), issued, "a new token was fetched")
	require.NotContains(t, errOut, "401")

	t.Run("a ready HPEGL_IAM_TOKEN cannot be renewed", func(t *testing.T) {
		env := f.Env()
		delete(env, "HPEGL_USER_SECRET")
		env["HPEGL_IAM_TOKEN"] = f.IssueToken(time.Hour)
		go func() {
			time.Sleep(150 * time.Millisecond)
			f.ExpireTokens()
		}()
		code, _, errOut := health(t, f, env, "--timeout", "10s", p)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "401 Unauthorized")
		require.Contains(t, errOut, "HPEGL_IAM_TOKEN is not valid for this portal (or expired)")
	})
}

func TestHealth403NamesTheOperation(t *testing.T) {
	f, p, id := registered(t)
	f.Forbid("Service_updatehealth")
	code, _, errOut := health(t, f, nil, "--timeout", "5s", p)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "trigger download health check of service "+id+": 403 Forbidden: the API client's role lacks the right to trigger download health check")
	require.Contains(t, errOut, "ask a GreenLake administrator for a role")
}

func TestHealthUnknownServiceID(t *testing.T) {
	f, _, _ := registered(t)
	code, _, errOut := health(t, f, nil, "--timeout", "5s", "--service-id", "00000000-0000-4000-8000-000000000000")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "404 Not Found")
	require.Contains(t, errOut, "no such service in this project or space")
}

func TestHealthSeveralYAMLs(t *testing.T) {
	f := portaltest.New(t)
	dir := t.TempDir()
	for _, v := range []string{"7.0U3", "8.0U3"} {
		code, _, errOut := portalRun(t, f, nil, "register", portalYAML(t, dir, v, 1000))
		require.Equal(t, 0, code, errOut)
	}
	code, out, errOut := health(t, f, nil, "--timeout", "10s", dir)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1+2*3, out)
	require.Contains(t, out, filepath.Join(dir, "esxi-7.0U3.yml"))
	require.Contains(t, out, filepath.Join(dir, "esxi-8.0U3.yml"))
}

func TestHealthUsage(t *testing.T) {
	code, _, errOut := runEnv(t, nil, "health")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--service-id")
	code, _, _ = runEnv(t, nil, "health", "--service-id", "x", "a.yml")
	require.Equal(t, 2, code)
}

func TestHealthUnregisteredYAML(t *testing.T) {
	f := portaltest.New(t)
	code, _, errOut := health(t, f, nil, "--timeout", "5s", portalYAML(t, t.TempDir(), "6.7", 1000))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `no service has svc_flavor "ESXi" and svc_ver "6.7-20240625-BYOI"`)
	require.Contains(t, errOut, "register it first")
	require.Zero(t, f.Calls("Service_updatehealth"))
}

// A site whose controller never reported is a row of its own, with no report
// time, and fails the check.
func TestHealthControllerThatNeverReported(t *testing.T) {
	f, p, _ := registered(t, portaltest.Controller{DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK"})
	f.SetControllers(append(f.Controllers(), portaltest.Controller{DataCenter: "NEW1", Region: "North", Country: "SWE", Silent: true})...)
	code, out, errOut := health(t, f, nil, "--timeout", "300ms", p)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Regexp(t, `NEW1, North, SWE\s+\S+\s+no fresh report\s+-\s+no download health report from this site's controller`, out)
	require.Contains(t, errOut, "download health not OK at 1 controller(s): NEW1, North, SWE: no fresh report")
}
