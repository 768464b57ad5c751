package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// The portal cannot run in a test: these tests talk to portaltest's FAKE
// portal and IAM endpoint, which checks every request and answer against the
// spec in HPE's client module.

// portalRun runs the CLI against the fake and checks that neither the client
// secret nor any token reached stdout or stderr.
func portalRun(t *testing.T, f *portaltest.Fake, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	if env == nil {
		env = f.Env()
	}
	args = append([]string{args[0], "--ca-file", f.CAFile}, args[1:]...)
	code, out, errOut := runEnv(t, env, args...)
	for _, s := range []string{f.Secret, "fake-token-"} {
		require.NotContains(t, out, s, "secret or token on stdout")
		require.NotContains(t, errOut, s, "secret or token on stderr")
	}
	return code, out, errOut
}

// portalYAML writes a valid service YAML for ESXi version ver with an ISO of
// size bytes into dir.
func portalYAML(t *testing.T, dir, ver string, size int64) string {
	t.Helper()
	b, _, err := service.Render(service.Options{
		Version: ver, Date: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC), ISOSize: size, Digest: strings.Repeat("cd", 32),
		SecureURL: "https://images.example.com/esxi-" + ver + ".iso", Kickstart: []byte(cliKickstart),
	})
	require.NoError(t, err)
	p := filepath.Join(dir, "esxi-"+ver+".yml")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func TestRegister(t *testing.T) {
	f := portaltest.New(t)

	t.Run("create, then update in place", func(t *testing.T) {
		p := portalYAML(t, t.TempDir(), "8.0U3", 1000)
		code, out, errOut := portalRun(t, f, nil, "register", p)
		require.Equal(t, 0, code, errOut)
		ids := f.ServiceIDs()
		require.Len(t, ids, 1)
		require.True(t, strings.HasPrefix(out, "created "+ids[0]+"\n"), out)

		p2 := portalYAML(t, t.TempDir(), "8.0U3", 2000)
		code, out, errOut = portalRun(t, f, nil, "register", "--json", p2)
		require.Equal(t, 0, code, errOut)
		var got map[string]string
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		require.Equal(t, "updated", got["action"])
		require.Equal(t, ids[0], got["id"], "the same service is updated")
		require.Equal(t, "ESXi", got["flavor"])
		require.Contains(t, got["version"], "8.0U3")
		require.NotEmpty(t, got["name"])
		require.Equal(t, 1, f.Calls("Service_add"), "no second POST")
		require.Equal(t, ids, f.ServiceIDs())
	})
	t.Run("an invalid YAML never reaches the portal", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yml")
		require.NoError(t, os.WriteFile(bad, []byte("name: x\napproach: usb\n"), 0o644))
		before := f.Calls("Services_list")
		code, out, errOut := portalRun(t, f, nil, "register", bad)
		require.Equal(t, 1, code)
		require.Empty(t, out)
		require.Contains(t, errOut, "bad.yml")
		require.Contains(t, errOut, "approach")
		require.Equal(t, before, f.Calls("Services_list"))
	})
	t.Run("the portal's 400 message reaches the user", func(t *testing.T) {
		f.FailNext("Service_add", 400, "svc_ver 9.0-test: classifier rule 3 has no attribute")
		code, _, errOut := portalRun(t, f, nil, "register", portalYAML(t, t.TempDir(), "9.0", 1000))
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "create service: 400 Bad Request: svc_ver 9.0-test: classifier rule 3 has no attribute")
		require.Contains(t, errOut, "the portal's validator refused the service YAML")
	})
	t.Run("409 on update", func(t *testing.T) {
		f.FailNext("Service_update", 409, "service was modified by another request")
		code, _, errOut := portalRun(t, f, nil, "register", portalYAML(t, t.TempDir(), "8.0U3", 3000))
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "update service "+f.ServiceIDs()[0]+": 409 Conflict: service was modified by another request")
		require.Contains(t, errOut, "run register again")
	})
	t.Run("wrong client secret", func(t *testing.T) {
		env := f.Env()
		env["HPEGL_USER_SECRET"] = "wrong-" + f.Secret
		code, out, errOut := portalRun(t, f, env, "register", portalYAML(t, t.TempDir(), "8.0U3", 1000))
		require.Equal(t, 1, code)
		require.Empty(t, out)
		require.Contains(t, errOut, "IAM endpoint "+f.IAMURL+"/v1/token refused the API client id/secret")
		require.Contains(t, errOut, "401 Unauthorized")
		require.Contains(t, errOut, "check HPEGL_USER_ID and HPEGL_USER_SECRET")
		require.NotContains(t, errOut, "wrong-")
	})
	t.Run("missing configuration exits 2 and names the variable", func(t *testing.T) {
		env := f.Env()
		delete(env, "HPEGL_METAL_REST_URL")
		delete(env, "HPEGL_USER_SECRET")
		code, _, errOut := portalRun(t, f, env, "register", portalYAML(t, t.TempDir(), "8.0U3", 1000))
		require.Equal(t, 2, code, errOut)
		require.Contains(t, errOut, "HPEGL_METAL_REST_URL (--metal-rest-url)")
		require.Contains(t, errOut, "HPEGL_USER_SECRET")
	})
	t.Run("unknown CA", func(t *testing.T) {
		code, _, errOut := runEnv(t, f.Env(), "register", portalYAML(t, t.TempDir(), "8.0U3", 1000))
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "unknown authority")
		require.Contains(t, errOut, "pass --ca-file with the CA that signed the portal's and IAM endpoint's certificates")
	})
	t.Run("space scope", func(t *testing.T) {
		env := f.Env()
		delete(env, "HPEGL_METAL_PROJECT_ID")
		code, _, errOut := portalRun(t, f, env, "register", "--metal-space-name", f.SpaceName, portalYAML(t, t.TempDir(), "8.0U3", 1000))
		require.Equal(t, 0, code, errOut)
	})
}
