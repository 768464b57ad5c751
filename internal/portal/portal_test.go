package portal_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
