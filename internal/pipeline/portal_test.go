package pipeline_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/version"
)

// portalState is the state RenderService leaves behind, with the portal
// settings of a FAKE portal (portaltest: no real portal runs in a test).
func portalState(t *testing.T, f *portaltest.Fake, log *bytes.Buffer) *pipeline.State {
	t.Helper()
	b, svc, err := service.Render(service.Options{
		Version: "8.0U3", Date: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC), ISOSize: 4096, Digest: strings.Repeat("ef", 32),
		SecureURL: "https://images.example.com/esxi.iso",
		Kickstart: []byte("vmaccepteula\nrootpw --iscrypted $6$abc$def\ninstall --firstdisk --overwritevmfs\nnetwork --hostname={{ .Name }}\n%post\n/bin/poweroff -n\n"),
	})
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "svc.yml")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	env := f.Env()
	cfg := portal.ConfigFromEnv(func(k string) string { return env[k] })
	return &pipeline.State{Log: log, YAML: b, Service: svc, Opts: pipeline.Options{
		ServiceOut: p, Register: true, Health: true, Portal: cfg, CAFile: f.CAFile,
		HealthTimeout: 5 * time.Second, HealthPollInterval: 20 * time.Millisecond,
	}}
}

func TestRegisterAndHealthStages(t *testing.T) {
	f := portaltest.New(t)
	var log bytes.Buffer
	st := portalState(t, f, &log)
	require.NoError(t, st.Opts.ValidatePortal())
	require.NoError(t, pipeline.Run(t.Context(), st, []pipeline.Stage{pipeline.Register{}, pipeline.Health{}}))
	require.Equal(t, portal.ActionCreated, st.Registration.Action)
	require.Equal(t, f.ServiceIDs(), []string{st.Registration.ID})
	require.True(t, st.Health.OK())
	require.Len(t, st.Health.Controllers, 3)
	require.Contains(t, log.String(), "created service "+st.Registration.ID)
	require.Equal(t, 1, f.TokensIssued(), "Register and Health share one client and token")

	t.Run("a controller not OK fails the stage and keeps the result", func(t *testing.T) {
		cs := f.Controllers()
		cs[0].Summary, cs[0].Reason = "Critical", "connection refused"
		f.SetControllers(cs...)
		st := portalState(t, f, &log)
		err := pipeline.Run(t.Context(), st, []pipeline.Stage{pipeline.Register{}, pipeline.Health{}})
		var he *portal.HealthError
		require.ErrorAs(t, err, &he)
		require.Equal(t, portal.ActionUpdated, st.Registration.Action)
		require.NotNil(t, st.Health)
		require.False(t, st.Health.OK())
	})
}

func TestPortalStagesSkipAndNeeds(t *testing.T) {
	var log bytes.Buffer
	st := &pipeline.State{Log: &log}
	require.NoError(t, pipeline.Run(t.Context(), st, []pipeline.Stage{pipeline.Register{}, pipeline.Health{}}))
	require.Contains(t, log.String(), "skipped (no --register)")
	require.Contains(t, log.String(), "skipped (no --health)")

	for _, s := range []pipeline.Stage{pipeline.Register{}, pipeline.Health{}} {
		var bug *pipeline.BugError
		require.ErrorAs(t, s.Run(t.Context(), &pipeline.State{}), &bug, s.String())
	}

	o := pipeline.Options{Health: true}
	err := o.ValidatePortal()
	require.ErrorContains(t, err, "--health: needs --register")
	require.ErrorContains(t, err, "HPEGL_METAL_REST_URL (--metal-rest-url)")
	require.Contains(t, option.Action.Message(err), "HPEGL_METAL_REST_URL (metal-rest-url)", "the action names its input")
	require.Contains(t, option.Action.Message(err), "input health: needs register")
}

// NewBuild fills the portal settings only for register or health: the
// HPEGL_* environment with the option values over it, and refuses missing
// ones before anything runs, naming each variable.
func TestNewBuildReadsThePortalSettings(t *testing.T) {
	base := func() option.Values {
		return option.Values{"iso": "in.iso", "output": "out.iso", "service": "out.yml", "image-url-prefix": "https://h/i", "root-password-hash": testHash}
	}
	env := map[string]string{"HPEGL_METAL_REST_URL": "https://env.example.com/api/metal", "HPEGL_METAL_SPACE_NAME": "env-space",
		"HPEGL_IAM_SERVICE_URL": "https://iam.example.com", "HPEGL_USER_ID": "id", "HPEGL_USER_SECRET": "s3cr3t"}
	getenv := func(k string) string { return env[k] }

	o, err := pipeline.NewBuild(base(), func(string) string { return "" })
	require.NoError(t, err)
	require.False(t, o.Register)
	require.Empty(t, o.Portal.RestURL, "no portal settings without register or health")

	v := base()
	v["register"], v["health"], v["metal-project-id"], v["health-timeout"] = "true", "true", "flag-project", "2m"
	o, err = pipeline.NewBuild(v, getenv)
	require.NoError(t, err)
	require.True(t, o.Register && o.Health)
	require.Equal(t, "https://env.example.com/api/metal", o.Portal.RestURL)
	require.Equal(t, "flag-project", o.Portal.ProjectID, "the flag wins")
	require.Empty(t, o.Portal.SpaceName, "a flag's scope drops the environment's other one")
	require.Equal(t, "s3cr3t", o.Portal.UserSecret.Reveal())
	require.Equal(t, 2*time.Minute, o.HealthTimeout)
	require.Equal(t, 15*time.Second, o.HealthPollInterval, "the table's default")
	require.Equal(t, version.UserAgent(), o.Portal.UserAgent)

	v = base()
	v["register"] = "true"
	_, err = pipeline.NewBuild(v, func(string) string { return "" })
	var ie *pipeline.InvalidError
	require.ErrorAs(t, err, &ie)
	var ce *portal.ConfigError
	require.ErrorAs(t, err, &ce)
	for _, name := range []string{"HPEGL_METAL_REST_URL", "HPEGL_METAL_PROJECT_ID", "HPEGL_USER_SECRET"} {
		require.ErrorContains(t, err, name)
	}

	v = base()
	v["health"] = "true"
	_, err = pipeline.NewBuild(v, getenv)
	require.ErrorAs(t, err, &ie)
	require.ErrorContains(t, err, "--health: needs --register")
}
