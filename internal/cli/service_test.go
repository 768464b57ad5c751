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
		nope := filepath.Join(dir, "nope.yml")
		code, out, _ := runEnv(t, nil, "service", "validate", nope)
		require.Equal(t, 1, code)
		require.Equal(t, nope+": (file): cannot read it: no such file or directory (fix: check the path)\n", out)
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

// Warnings print with "warning:" and do not fail; --json carries every
// finding with file, line, severity, field, message and fix.
func TestServiceValidateWarningsAndJSON(t *testing.T) {
	dir := t.TempDir()
	good := writeService(t, dir, "https://images.example.com/esxi.iso", 1234, strings.Repeat("ab", 32), false)
	y, err := os.ReadFile(good)
	require.NoError(t, err)
	warnY := strings.Replace(string(y), "assumed_boot_method: na", "assumed_boot: na", 1)
	warnY = strings.Replace(warnY, "schema_version: v2\n", "", 1)
	warn := filepath.Join(dir, "warn.yml")
	require.NoError(t, os.WriteFile(warn, []byte(warnY), 0o644))
	bad := filepath.Join(dir, "bad.yml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(string(y), `secure_url: "https://`, `secure_url: "http://`, 1)), 0o644))

	code, out, errOut := runEnv(t, nil, "service", "validate", warn)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.Regexp(t, `^`+regexpQuote(warn)+`:\d+: warning: assumed_boot: unknown field: .* \(fix: did you mean assumed_boot_method\?\)$`, lines[0])
	require.Equal(t, warn+": warning: schema_version: is not set; HPE's ESXi recipe writes v2 (fix: add schema_version: v2)", lines[1])
	require.Equal(t, warn+": valid (2 warnings)", lines[2])

	code, out, errOut = runEnv(t, nil, "service", "validate", warn, bad, "--json")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "error: 1 of 2 service files are not valid")
	var report struct {
		Findings []struct {
			File, Severity, Field, Message, Fix string
			Line                                int
		}
		Files []struct {
			File             string
			Valid            bool
			Errors, Warnings int
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &report), out)
	require.Len(t, report.Findings, 3)
	require.Equal(t, warn, report.Findings[0].File)
	require.Equal(t, "warning", report.Findings[0].Severity)
	require.Equal(t, "assumed_boot", report.Findings[0].Field)
	require.Positive(t, report.Findings[0].Line)
	require.Equal(t, "did you mean assumed_boot_method?", report.Findings[0].Fix)
	require.Zero(t, report.Findings[1].Line, "schema_version is absent")
	f := report.Findings[2]
	require.Equal(t, bad, f.File)
	require.Equal(t, "error", f.Severity)
	require.Equal(t, "files[0].secure_url", f.Field)
	require.Contains(t, f.Message, "must be an https:// URL unless skip_ssl_verify is true")
	lines = strings.Split(string(y), "\n")
	require.Contains(t, lines[f.Line-1], "secure_url:")
	require.Len(t, report.Files, 2)
	require.True(t, report.Files[0].Valid)
	require.Equal(t, 2, report.Files[0].Warnings)
	require.False(t, report.Files[1].Valid)
	require.Equal(t, 1, report.Files[1].Errors)

	code, out, _ = runEnv(t, nil, "service", "validate", "--json", good)
	require.Equal(t, 0, code)
	require.Contains(t, out, `"findings": []`)
}

// A directory stands for every *.yml and *.yaml below it (a broken one
// included, hidden directories skipped), as verify takes the services
// directory of watch mode.
func TestServiceValidateDirectory(t *testing.T) {
	dir := t.TempDir()
	good := writeService(t, dir, "https://images.example.com/esxi.iso", 1234, strings.Repeat("ab", 32), false)
	sub := filepath.Join(dir, "site-b")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".git"), 0o755))
	require.NoError(t, os.MkdirAll(sub, 0o755))
	broken := filepath.Join(sub, "esxi.yaml")
	require.NoError(t, os.WriteFile(broken, []byte("name: [\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".git", "x.yml"), []byte("name: [\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not yaml"), 0o644))

	code, out, errOut := runEnv(t, nil, "service", "validate", dir)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, out, good+": valid\n")
	require.Contains(t, out, broken+":1: (document): ")
	require.NotContains(t, out, ".git")
	require.NotContains(t, out, "notes.txt")
	require.Contains(t, errOut, "error: 1 of 2 service files are not valid")

	empty := t.TempDir()
	code, _, errOut = runEnv(t, nil, "service", "validate", empty)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no *.yml or *.yaml file in the directory "+empty)
}
