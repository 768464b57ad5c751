package cli_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

const testPassword = "Zebra-Quokka-7731-Unlikely"

// buildOnce runs `build` with the password in ESXI_ROOT_PASSWORD and returns
// the YAML path and both streams.
func buildOnce(t *testing.T, dir string, extra ...string) (string, string, string) {
	t.Helper()
	iso := filepath.Join(dir, "ESXi-8.0U3-BareMetal.iso")
	yml := filepath.Join(dir, "ESXi-8.0U3-BareMetal.yml")
	args := append([]string{"build", "-i", smallSample(t), "-p", "https://host/images", "-o", iso, "-s", yml}, extra...)
	var out, errb bytes.Buffer
	env := map[string]string{"ESXI_ROOT_PASSWORD": testPassword, "SOURCE_DATE_EPOCH": "1767225600"}
	code := cli.Main(t.Context(), args, &out, &errb, func(k string) string { return env[k] })
	require.Equal(t, 0, code, errb.String())
	return yml, out.String(), errb.String()
}

var cryptRE = regexp.MustCompile(`rootpw --iscrypted (\$6\$([./0-9A-Za-z]+)\$[./0-9A-Za-z]{86})`)

func TestBuildWritesValidServiceMatchingTheISOAndNoPassword(t *testing.T) {
	dir := t.TempDir()
	yml, stdout, stderr := buildOnce(t, dir, "-x", "true")

	code, _, verr := run(t, "service", "validate", yml)
	require.Equal(t, 0, code, verr)

	b, err := os.ReadFile(yml)
	require.NoError(t, err)
	svc, err := service.Parse(b)
	require.NoError(t, err)
	iso, err := os.ReadFile(filepath.Join(dir, "ESXi-8.0U3-BareMetal.iso"))
	require.NoError(t, err)
	sum := sha256.Sum256(iso)
	f := svc.Files[0]
	require.EqualValues(t, len(iso), f.FileSize)
	require.Equal(t, hex.EncodeToString(sum[:]), f.Signature)
	require.Equal(t, "https://host/images/ESXi-8.0U3-BareMetal.iso", f.SecureURL)
	require.Equal(t, "8.0.3-20260101-BYOI", svc.SvcVer, "version detected, date from SOURCE_DATE_EPOCH")

	ks, err := svc.Info[0].Decode()
	require.NoError(t, err)
	m := cryptRE.FindSubmatch(ks)
	require.NotNil(t, m, "kickstart carries a $6$ hash")
	out, err := exec.Command("openssl", "passwd", "-6", "-salt", string(m[2]), testPassword).Output()
	require.NoError(t, err)
	require.Equal(t, string(m[1]), string(bytes.TrimSpace(out)), "openssl reproduces the hash")

	// The password appears nowhere: streams, YAML, any file written.
	require.NotContains(t, stdout+stderr, testPassword)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.False(t, bytes.Contains(data, []byte(testPassword)), e.Name())
	}
}

func TestBuildUsesAFreshSaltEachTime(t *testing.T) {
	salt := func() string {
		yml, _, _ := buildOnce(t, t.TempDir(), "-x", "true")
		b, err := os.ReadFile(yml)
		require.NoError(t, err)
		svc, err := service.Parse(b)
		require.NoError(t, err)
		ks, err := svc.Info[0].Decode()
		require.NoError(t, err)
		return string(cryptRE.FindSubmatch(ks)[2])
	}
	require.NotEqual(t, salt(), salt())
}

// Without -x the build verifies secure_url over real TLS (own CA) the way the
// controller will download it.
func TestBuildVerifiesPublishedISO(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "esxi-byoi test CA")
	srv := tlstest.NewServer(t, ca, http.StripPrefix("/images/", http.FileServer(http.Dir(dir))), "127.0.0.1")
	iso := filepath.Join(dir, "out.iso")
	yml := filepath.Join(t.TempDir(), "out.yml")
	var out, errb bytes.Buffer
	code := cli.Main(t.Context(), []string{"build", "-i", smallSample(t), "-p", srv.URL + "/images", "-o", iso, "-s", yml,
		"--ca-file", ca.WriteFile(t)}, &out, &errb, func(k string) string {
		return map[string]string{"ESXI_ROOT_PASSWORD": testPassword}[k]
	})
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "verified: "+srv.URL+"/images/out.iso serves the same")
}

func TestBuildWithoutPasswordIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "build", "-i", smallSample(t), "-p", "https://h/i", "-o", filepath.Join(dir, "o.iso"), "-s", filepath.Join(dir, "o.yml"))
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "no root password")
	requireEmptyDir(t, dir)
}

// build lints the kickstart against the sample hosts before anything else:
// an installer error fails it (exit 1) with each finding printed once and no
// file written; a warning is printed and the build goes on.
func TestBuildLintsTheKickstartFirst(t *testing.T) {
	tmpl, err := os.ReadFile("../../templates/kickstart.cfg.tmpl")
	require.NoError(t, err)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.cfg.tmpl")
	require.NoError(t, os.WriteFile(bad, bytes.Replace(tmpl, []byte("vmaccepteula\n"), []byte("vmaccepteula\nserialnum --esx=reboot-now\n"), 1), 0o644))
	iso, yml := filepath.Join(dir, "out.iso"), filepath.Join(dir, "out.yml")
	var out, errb bytes.Buffer
	env := map[string]string{"ESXI_ROOT_PASSWORD": testPassword}
	code := cli.Main(t.Context(), []string{"build", "-i", smallSample(t), "-p", "https://host/images", "-o", iso, "-s", yml, "-x", "true", "--kickstart", bad},
		&out, &errb, func(k string) string { return env[k] })
	require.Equal(t, 1, code, errb.String())
	require.Equal(t, 1, bytes.Count(errb.Bytes(), []byte("serialnum")), "the finding is printed once, its hosts listed:\n%s", errb.String())
	require.Regexp(t, `bad\.cfg\.tmpl:\d+: .*serialnum.*\(hosts `, errb.String())
	require.Contains(t, errb.String(), "error: linting kickstart: kickstart "+bad+": lint found 1 error, 0 warnings (listed above)")
	require.NotContains(t, errb.String(), "remastering ISO")
	for _, p := range []string{iso, yml} {
		_, err := os.Stat(p)
		require.ErrorIs(t, err, os.ErrNotExist, p)
	}

	warn := filepath.Join(dir, "warn.cfg.tmpl")
	require.NoError(t, os.WriteFile(warn, bytes.Replace(tmpl, []byte("vmaccepteula\n"), []byte("vmaccepteula\nkeyboard US\n"), 1), 0o644))
	_, _, stderr := buildOnce(t, dir, "-x", "true", "--kickstart", warn)
	require.Contains(t, stderr, "warn.cfg.tmpl:")
	require.Contains(t, stderr, "keyboard")
}
