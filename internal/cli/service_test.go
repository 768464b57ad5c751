package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// runEnv runs the CLI in-process with env as its environment.
func runEnv(t testing.TB, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(t.Context(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

const cliKickstart = "vmaccepteula\nrootpw --iscrypted $6$abc$def\ninstall --firstdisk --overwritevmfs\nnetwork --hostname={{ .Name }}\n%post\n/bin/poweroff -n\n"

// writeService renders a service YAML for a published file and writes it.
func writeService(t *testing.T, dir, url string, size int64, digest string, skip bool) string {
	t.Helper()
	out, _, err := service.Render(service.Options{
		Version: "8.0U3", Date: time.Date(2024, 6, 25, 0, 0, 0, 0, time.UTC), ISOSize: size, Digest: digest,
		SecureURL: url, SkipSSLVerify: skip, Kickstart: []byte(cliKickstart),
	})
	require.NoError(t, err)
	p := filepath.Join(dir, "svc.yml")
	require.NoError(t, os.WriteFile(p, out, 0o644))
	return p
}

func TestServiceValidate(t *testing.T) {
	dir := t.TempDir()
	good := writeService(t, dir, "https://images.example.com/esxi.iso", 1234, strings.Repeat("ab", 32), false)
	y, err := os.ReadFile(good)
	require.NoError(t, err)
	badY := strings.Replace(string(y), "algorithm: sha256sum", "algorithm: sha512sum", 1)
	badY = strings.Replace(badY, "approach: vmedia", "approach: usb", 1)
	bad := filepath.Join(dir, "bad.yml")
	require.NoError(t, os.WriteFile(bad, []byte(badY), 0o644))

	t.Run("valid", func(t *testing.T) {
		code, out, errOut := runEnv(t, nil, "service", "validate", good)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, good+": valid\n", out)
	})
	t.Run("problems", func(t *testing.T) {
		code, out, errOut := runEnv(t, nil, "service", "validate", good, bad)
		require.Equal(t, 1, code)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Equal(t, good+": valid", lines[0])
		require.Len(t, lines, 3, out)
		require.Regexp(t, `^`+regexpQuote(bad)+`:\d+: approach: "usb" is not allowed \(fix: use one of: vmedia, svc-client\)$`, lines[1])
		require.Regexp(t, `^`+regexpQuote(bad)+`:\d+: files\[0\]\.signature: has 64 hex digits, sha512sum gives 128`, lines[2])
		require.Contains(t, errOut, "error: 1 of 2 service files are not valid")
	})
	t.Run("missing file", func(t *testing.T) {
		code, out, _ := runEnv(t, nil, "service", "validate", filepath.Join(dir, "nope.yml"))
		require.Equal(t, 1, code)
		require.Contains(t, out, "nope.yml")
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"service"}, {"service", "validate"}, {"service", "frobnicate"}} {
			code, _, errOut := runEnv(t, nil, args...)
			require.Equal(t, 2, code, args)
			require.Contains(t, errOut, "usage: esxi-byoi service validate FILE.yml")
		}
		code, _, _ := runEnv(t, nil, "service", "--help")
		require.Equal(t, 0, code)
	})
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
