package action_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action"
	"github.com/esxi-byoi/esxi-byoi/internal/sample/sampletest"
)

// Secrets the tests pass in; none may show up anywhere but in ::add-mask::.
const (
	rootPassword = "Tr0ub4dor&3-esxi-SECRET-6f1d"
	githubToken  = "ghs_FakeInstallationToken0123456789abcdef" // ghfake.DefaultToken
	awsSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// runner is one in-process run of the action with the runner's env contract.
type runner struct {
	t         *testing.T
	env       map[string]string
	secrets   []string         // more values that must not leak (e.g. the S3 rig's key)
	created   []map[string]any // CreateArtifact requests (see withArtifacts)
	workspace string
	outFile   string
	sumFile   string
}

func newRunner(t *testing.T, eventName, eventFile string) *runner {
	t.Helper()
	dir := t.TempDir()
	r := &runner{t: t, workspace: filepath.Join(dir, "workspace"),
		outFile: filepath.Join(dir, "github_output"), sumFile: filepath.Join(dir, "step_summary")}
	require.NoError(t, os.MkdirAll(r.workspace, 0o755))
	r.env = map[string]string{
		"GITHUB_ACTIONS": "true", "CI": "true",
		"GITHUB_OUTPUT": r.outFile, "GITHUB_STEP_SUMMARY": r.sumFile, "GITHUB_WORKSPACE": r.workspace,
		"GITHUB_REPOSITORY": "octo-org/hello-esxi", "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_WORKFLOW": "esxi", "GITHUB_JOB": "image", "GITHUB_RUN_ID": "9876543210",
		"GITHUB_EVENT_NAME": eventName, "AWS_SECRET_ACCESS_KEY": awsSecret,
		"SOURCE_DATE_EPOCH": "1764201600",
	}
	if eventFile != "" {
		r.env["GITHUB_EVENT_PATH"] = filepath.Join("testdata", "events", eventFile)
	}
	return r
}

// input sets INPUT_<NAME> the way the runner does: upper case, hyphens kept.
func (r *runner) input(name, value string) *runner {
	r.env["INPUT_"+strings.ToUpper(name)] = value
	return r
}

// event writes a copy of a recorded payload with edits applied.
func (r *runner) event(file string, edit func(map[string]any)) {
	b, err := os.ReadFile(filepath.Join("testdata", "events", file))
	require.NoError(r.t, err)
	var m map[string]any
	require.NoError(r.t, json.Unmarshal(b, &m))
	edit(m)
	b, err = json.Marshal(m)
	require.NoError(r.t, err)
	p := filepath.Join(filepath.Dir(r.workspace), "event.json")
	require.NoError(r.t, os.WriteFile(p, b, 0o644))
	r.env["GITHUB_EVENT_PATH"] = p
}

// write puts a file into the workspace.
func (r *runner) write(rel, content string) string {
	p := filepath.Join(r.workspace, rel)
	require.NoError(r.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(r.t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

type result struct {
	code     int
	stdout   string
	stderr   string
	outputs  map[string]string
	summary  string
	commands []command // workflow commands the runner would act on
}

type command struct{ name, props, msg string }

func (r *runner) run() *result {
	r.t.Helper()
	_ = os.Remove(r.outFile)
	_ = os.Remove(r.sumFile)
	var out, errb bytes.Buffer
	code := action.Main(context.Background(), func(k string) string { return r.env[k] }, &out, &errb)
	res := &result{code: code, stdout: out.String(), stderr: errb.String()}
	if b, err := os.ReadFile(r.sumFile); err == nil {
		res.summary = string(b)
	}
	res.outputs = parseOutputs(r.t, r.outFile)
	res.commands = parseLog(r.t, res.stdout)
	r.checkNoSecrets(res)
	return res
}

var knownOutputs = func() map[string]bool {
	m := map[string]bool{}
	for _, o := range action.Outputs {
		m[o.Name] = true
	}
	return m
}()

// parseOutputs parses $GITHUB_OUTPUT as the runner does (name=value lines and
// name<<DELIMITER heredocs) but strictly: anything else fails the test, and
// only the outputs of action.yml may appear.
func parseOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	out := map[string]string{}
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return out
	}
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	require.Equal(t, "", lines[len(lines)-1], "GITHUB_OUTPUT must end with a newline")
	lines = lines[:len(lines)-1]
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		var name, value string
		if n, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(n, "=") {
			name = n
			var body []string
			for i++; ; i++ {
				require.Less(t, i, len(lines), "heredoc %s of %s is not closed", delim, name)
				if lines[i] == delim {
					break
				}
				body = append(body, lines[i])
			}
			value = strings.Join(body, "\n")
		} else {
			n, v, ok := strings.Cut(l, "=")
			require.True(t, ok, "GITHUB_OUTPUT line %q is neither name=value nor a heredoc", l)
			name, value = n, v
		}
		require.True(t, knownOutputs[name], "unknown output %q in GITHUB_OUTPUT", name)
		_, dup := out[name]
		require.False(t, dup, "output %s written twice", name)
		out[name] = value
	}
	return out
}

var cmdRE = regexp.MustCompile(`^::([a-z-]+)(?: ([^:]*))?::(.*)$`)

// parseLog reads stdout as the runner does: it honours ::stop-commands::,
// requires every ::add-mask:: before any other line, and returns the commands.
func parseLog(t *testing.T, log string) []command {
	t.Helper()
	var cmds []command
	stop := ""
	other := false
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if stop != "" {
			if l == "::"+stop+"::" {
				stop = ""
			}
			continue
		}
		m := cmdRE.FindStringSubmatch(l)
		if m == nil {
			other = true
			continue
		}
		c := command{m[1], m[2], m[3]}
		switch c.name {
		case "add-mask":
			require.False(t, other, "::add-mask:: after other output: %q", l)
			continue
		case "stop-commands":
			require.Regexp(t, `^[0-9a-f]{32}$`, c.msg, "stop-commands token must be random")
			stop = c.msg
		case "group", "endgroup", "error", "warning", "notice", "debug":
		default:
			t.Errorf("unexpected workflow command in the log: %q", l)
		}
		other = true
		cmds = append(cmds, c)
	}
	require.Empty(t, stop, "::stop-commands:: never resumed")
	return cmds
}

// checkNoSecrets: no secret in the log (but in its ::add-mask:: line), the
// outputs, the summary or any file the run wrote.
func (r *runner) checkNoSecrets(res *result) {
	r.t.Helper()
	secrets := append([]string{rootPassword, githubToken, awsSecret}, r.secrets...)
	for _, s := range secrets {
		for _, l := range strings.Split(res.stdout, "\n") {
			if !strings.HasPrefix(l, "::add-mask::") {
				require.NotContains(r.t, l, s, "secret in the log")
			}
		}
		require.NotContains(r.t, res.stderr, s)
		require.NotContains(r.t, res.summary, s)
		for k, v := range res.outputs {
			require.NotContains(r.t, v, s, "secret in output %s", k)
		}
		_ = filepath.WalkDir(r.workspace, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.Contains(p, "/.git/") || strings.HasSuffix(p, ".iso") {
				return nil
			}
			b, _ := os.ReadFile(p)
			require.NotContains(r.t, string(b), s, "secret in %s", p)
			return nil
		})
	}
}

func (res *result) annotations(level string) []command {
	var out []command
	for _, c := range res.commands {
		if c.name == level {
			out = append(out, c)
		}
	}
	return out
}

func (res *result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s\n--- stderr\n%s", res.code, res.stdout, res.stderr)
}

func TestMain(m *testing.M) {
	code := m.Run()
	sampletest.Cleanup()
	os.Exit(code)
}

// smallSample returns the shared 8 MiB ESXi-like ISO (read-only).
func smallSample(t testing.TB) string { return sampletest.Small(t) }
