package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/iso"
	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/sample/sampletest"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// runCmd runs one command as Main does and returns its error (the whole
// chain, before report flattens it), its exit code and stderr.
func runCmd(t *testing.T, ctx context.Context, env map[string]string, args ...string) (int, string, error) {
	t.Helper()
	var stderr bytes.Buffer
	e := &Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(k string) string { return env[k] }, Progress: progress.Discard}
	for _, c := range commands() {
		if c.name == args[0] {
			err := runProtected(ctx, &c, e, args[1:])
			code := report(&stderr, &c, err, false)
			return code, stderr.String(), err
		}
	}
	t.Fatalf("no command %s", args[0])
	return 0, "", nil
}

// Every user-facing error class keeps its typed cause through the whole
// chain (stage, usage error, joined problems), and the exit code and the
// printed fix come from it.
func TestErrorsReachTheirTypedCause(t *testing.T) {
	dir := t.TempDir()
	sampleISO := sampletest.Small(t)
	junk := filepath.Join(dir, "junk.bin")
	require.NoError(t, os.WriteFile(junk, bytes.Repeat([]byte{1}, 64<<10), 0o644))
	corrupt := filepath.Join(dir, "corrupt.iso")
	b, err := os.ReadFile(sampleISO)
	require.NoError(t, err)
	copy(b[17*iso.SectorSize+1:], "XXXXX") // the descriptor after the PVD is no descriptor
	require.NoError(t, os.WriteFile(corrupt, b, 0o644))
	pw := map[string]string{"ESXI_ROOT_PASSWORD": "secret-pw"}
	build := func(extra ...string) []string {
		return append([]string{"build", "-p", "https://h/esxi", "-o", filepath.Join(dir, "o.iso"), "-s", filepath.Join(dir, "o.yml"), "-x", "true"}, extra...)
	}
	lintKS := filepath.Join(dir, "lint.cfg.tmpl")
	ks, err := templates.FS.ReadFile("kickstart.cfg.tmpl")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(lintKS, bytes.Replace(ks, []byte("vmaccepteula\n"), []byte("vmaccepteula\nserialnum --esx=reboot-now\n"), 1), 0o644))
	noRootpw := filepath.Join(dir, "norootpw.cfg.tmpl")
	require.NoError(t, os.WriteFile(noRootpw, bytes.ReplaceAll(ks, []byte(kickstart.RootpwPlaceholder), []byte("x")), 0o644))
	// the web server the ISO is published on, as the controller reaches it
	ca := tlstest.NewCA(t, "errors test CA")
	caFile := ca.WriteFile(t)
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/wrong-size/") {
			_, _ = w.Write([]byte("not the ISO"))
			return
		}
		http.NotFound(w, r)
	}))
	verifyBuild := func(dirURL string) []string {
		return []string{"build", "-i", sampleISO, "-p", srv.URL + dirURL, "-o", filepath.Join(dir, "v.iso"), "-s", filepath.Join(dir, "v.yml"), "--ca-file", caFile}
	}
	asOption := func(name string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var oe *option.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, name, oe.Option)
		}
	}
	for name, tc := range map[string]struct {
		env   map[string]string
		args  []string
		check func(*testing.T, error)
		code  int
		line  string
	}{
		"plain http source keeps its fix": {pw, build("-i", "http://media.example.com/esxi.iso"), asOption("iso"), ExitUsage,
			"error: -i/--iso: http://media.example.com/esxi.iso: plain http is not accepted (fix: use https://, or s3://bucket/key)"},
		"no root password": {nil, build("-i", sampleISO), func(t *testing.T, err error) {
			asOption("root-password")(t, err)
			require.ErrorAs(t, err, new(*pipeline.InvalidError))
			require.ErrorAs(t, err, new(*UsageError))
		}, ExitUsage, "no root password (fix: set ESXI_ROOT_PASSWORD, or give --root-password-hash"},
		"unreadable kickstart": {pw, build("-i", sampleISO, "--kickstart", filepath.Join(dir, "none.cfg")), func(t *testing.T, err error) {
			asOption("kickstart")(t, err)
			require.ErrorIs(t, err, fs.ErrNotExist)
		}, ExitError, "error: --kickstart: open "},
		"not an ISO": {nil, []string{"remaster", "-i", junk, "-o", filepath.Join(dir, "r.iso")}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, iso.ErrNotISO9660)
		}, ExitError, "(fix: pass the VMware ESXi installer ISO"},
		"corrupt ISO": {nil, []string{"remaster", "-i", corrupt, "-o", filepath.Join(dir, "r.iso")}, func(t *testing.T, err error) {
			require.ErrorAs(t, err, new(*iso.FormatError))
		}, ExitError, "(fix: the ISO is damaged: download it again)"},
		"same file": {nil, []string{"remaster", "-i", sampleISO, "-o", sampleISO}, func(t *testing.T, err error) {
			require.ErrorIs(t, err, remaster.ErrSameFile)
			require.ErrorAs(t, err, new(*UsageError))
		}, ExitUsage, "(fix: write the output to a new file name"},
		"bad kernelopt token": {nil, []string{"remaster", "-i", sampleISO, "-o", filepath.Join(dir, "r.iso"), "--kernelopt-add", "a b"}, func(t *testing.T, err error) {
			require.ErrorAs(t, err, new(*bootcfg.TokenError))
		}, ExitError, "(fix: give kernelopt tokens as KEY=VALUE"},
		"unreachable source": {pw, build("-i", "https://127.0.0.1:1/VMware.iso"), func(t *testing.T, err error) {
			require.ErrorAs(t, err, new(*httpclient.Error))
		}, ExitError, "(fix: nothing listens there"},
		"kickstart lint error": {pw, build("-i", sampleISO, "--kickstart", lintKS), func(t *testing.T, err error) {
			var le *pipeline.LintFailedError
			require.ErrorAs(t, err, &le)
			require.Equal(t, 1, le.Errors)
		}, ExitError, "(fix: fix each lint error listed"},
		"kickstart without the rootpw placeholder": {pw, build("-i", sampleISO, "--kickstart", noRootpw), func(t *testing.T, err error) {
			require.ErrorIs(t, err, kickstart.ErrNoRootpwPlaceholder)
		}, ExitError, "error: --kickstart: "},
		"published ISO differs": {pw, verifyBuild("/wrong-size"), func(t *testing.T, err error) {
			var me *verify.MismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, "size", me.What)
		}, ExitError, "(fix: the object at secure_url is not the ISO this YAML describes"},
		"published ISO missing": {pw, verifyBuild("/missing"), func(t *testing.T, err error) {
			var he *verify.HTTPError
			require.ErrorAs(t, err, &he)
			require.Equal(t, http.StatusNotFound, he.StatusCode)
		}, ExitError, "(fix: wrong key or not uploaded yet"},
		"unreadable CA file, found before the remaster": {pw, append(build("-i", sampleISO), "--ca-file", filepath.Join(dir, "none.pem")), func(t *testing.T, err error) {
			asOption("ca-file")(t, err)
			require.ErrorAs(t, err, new(*httpclient.CAFileError))
			require.ErrorIs(t, err, fs.ErrNotExist)
			require.NoFileExists(t, filepath.Join(dir, "o.iso"))
		}, ExitUsage, "error: --ca-file: CA file " + filepath.Join(dir, "none.pem") + ": open "},
		"CA file without a certificate": {nil, []string{"publish", "--publish-dir", dir, "--public-url-prefix", "https://h/x", "--ca-file", lintKS, sampleISO}, func(t *testing.T, err error) {
			asOption("ca-file")(t, err)
			require.ErrorAs(t, err, new(*httpclient.CAFileError))
		}, ExitUsage, "no PEM certificate found (fix: pass a readable PEM file"},
		"build output that is the input, found before any work": {pw, []string{"build", "-i", sampleISO, "-o", sampleISO, "-s", filepath.Join(dir, "same.yml"), "-p", "https://h/esxi", "-x", "true"}, func(t *testing.T, err error) {
			asOption("output")(t, err)
			require.ErrorIs(t, err, remaster.ErrSameFile)
			require.ErrorAs(t, err, new(*UsageError))
		}, ExitUsage, "error: -o/--output: " + sampleISO + ": output is the input file (fix: write the output to a new file name; the input is never modified)\nusage:"},
		"unknown flag, said once": {nil, []string{"publish", "--bogus", "x.iso"}, func(t *testing.T, err error) {
			require.ErrorAs(t, err, new(*UsageError))
		}, ExitUsage, "error: flag provided but not defined: -bogus\nusage: esxi-byoi publish "},
		"bad duration, said once": {nil, []string{"build", "--health-timeout", "soon"}, func(t *testing.T, err error) {
			require.ErrorAs(t, err, new(*UsageError))
		}, ExitUsage, `error: invalid value "soon" for flag -health-timeout: want a duration such as 30s` + "\nusage: esxi-byoi build "},
		"bad flag value": {nil, []string{"publish", "--s3-bucket", "b", "--s3-region", "r", "-x", "maybe", "x.iso"}, asOption("skip-verify"), ExitUsage,
			`error: -x/--skip-test: "maybe" is not true or false (fix: write true or false)`},
	} {
		t.Run(name, func(t *testing.T) {
			code, stderr, err := runCmd(t, t.Context(), tc.env, tc.args...)
			require.Error(t, err)
			tc.check(t, err)
			require.Equal(t, tc.code, code, stderr)
			require.Contains(t, stderr, tc.line)
			if code == ExitUsage {
				require.True(t, strings.HasPrefix(stderr, "error: "), "the error line comes first, once, without the flag list: %s", stderr)
				require.Equal(t, 1, strings.Count(stderr, "\nusage: "), stderr)
			}
		})
	}
}

// Ctrl-C (a cancelled context) exits 130 with one clear line.
func TestInterruptExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out := filepath.Join(t.TempDir(), "r.iso")
	code, stderr, err := runCmd(t, ctx, nil, "remaster", "-i", sampletest.Small(t), "-o", out)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, ExitInterrupted, code)
	require.Equal(t, "error: interrupted\n", stderr)
	_, statErr := os.Stat(out)
	require.True(t, errors.Is(statErr, fs.ErrNotExist), "no output left")
}

// A bug (a panic under a command) exits 70 with one line and the way to the
// stack trace; the stack itself only with ESXI_BYOI_DEBUG.
func TestBugExits70(t *testing.T) {
	cmd := &command{name: "boom", run: func(context.Context, *Env, []string) error { panic("boom") }}
	var stderr bytes.Buffer
	e := &Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }, Progress: progress.Discard}
	err := runProtected(t.Context(), cmd, e, nil)
	require.ErrorAs(t, err, new(*pipeline.BugError))
	require.Equal(t, ExitBug, report(&stderr, cmd, err, false))
	require.Equal(t, "error: internal error (bug, please report): boom\n(set ESXI_BYOI_DEBUG=1 for the stack trace)\n", stderr.String())
	stderr.Reset()
	require.Equal(t, ExitBug, report(&stderr, cmd, err, true))
	require.Contains(t, stderr.String(), "goroutine ")
}
