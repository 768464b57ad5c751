package action

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/watch"
)

func TestFenceIsLongerThanAnyBacktickRun(t *testing.T) {
	require.Equal(t, "```yaml\na: b\n```\n", fence("a: b\n", "yaml"))
	require.Equal(t, "`````diff\n+````\n`````\n", fence("+````", "diff"))
	require.Equal(t, `a \| b &lt;script&gt; \[x\](y) &#96;z&#96;`, cell("a | b <script> [x](y) `z`"))
}

func TestSetOutputUsesARandomDelimiterAndRefusesValuesHoldingIt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out")
	env := map[string]string{"GITHUB_OUTPUT": file}
	var log bytes.Buffer
	h := NewHost(func(k string) string { return env[k] }, &log).(*ghHost)
	require.NoError(t, h.SetOutput("iso-url", "https://x/a.iso\nEOF\nextra=1"))
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	require.Regexp(t, `^iso-url<<ghadelimiter_[0-9a-f]{32}$`, lines[0])
	require.Equal(t, strings.TrimPrefix(lines[0], "iso-url<<"), lines[4])

	h.token = func() string { return "0123456789abcdef0123456789abcdef" } // as if an attacker guessed it
	err = h.SetOutput("iso-url", "x\nghadelimiter_0123456789abcdef0123456789abcdef\npublished=true")
	require.ErrorIs(t, err, ErrDelimiterInValue)
	b2, _ := os.ReadFile(file)
	require.Equal(t, b, b2, "nothing written")
	require.Error(t, h.SetOutput("a=b", "x"))
	require.Empty(t, log.String())
}

func TestStopCommandsWrapsUntrustedText(t *testing.T) {
	var log bytes.Buffer
	h := NewHost(func(string) string { return "" }, &log).(*ghHost)
	h.token = func() string { return "tok" }
	h.StopCommands("::set-output name=a::b\n::tok-not::")
	require.Equal(t, "::stop-commands::tok\n::set-output name=a::b\n::tok-not::\n::tok::\n", log.String())
}

// The action names inputs, never CLI flags, in what the pipeline refused:
// each problem its own annotation, titled with its input, with its fix.
func TestReportNamesInputsNotFlags(t *testing.T) {
	var log bytes.Buffer
	h := NewHost(func(string) string { return "" }, &log)
	o := pipeline.Options{Input: "http://x/a.iso", Output: "o.iso", ServiceOut: "o.yml", S3Prefix: "p", PublicURLPrefix: "https://h"}
	require.Equal(t, ExitFailure, report(h, &pipeline.InvalidError{Err: o.Validate()}))
	out := log.String()
	require.Contains(t, out, "::error title=input iso::input iso: http://x/a.iso: plain http is not accepted (fix: use https://, or s3://bucket/key)\n")
	require.Contains(t, out, "::error title=input public-url-prefix::input public-url-prefix: needs s3-bucket or publish-dir (without them, use image-url-prefix)\n")
	require.Contains(t, out, "::error title=input s3-prefix::input s3-prefix: needs s3-bucket\n")
	require.NotRegexp(t, `(^|[\s(])--?[a-z]`, out, "no flag text in the action's log")
}

// A bug exits 70 (EX_SOFTWARE), not 1: a panic anywhere under Main, and a
// pipeline.Bug (a stage's missing input) as an error annotation.
func TestBugsExit70(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(t.Context(), func(string) string { panic("boom") }, &out, &errb)
	require.Equal(t, ExitBug, code)
	require.Contains(t, errb.String(), "internal error (bug, please report): boom")

	out.Reset()
	h := NewHost(func(string) string { return "" }, &out)
	require.Equal(t, ExitBug, report(h, pipeline.Bug("Verify needs the service")))
	require.Contains(t, out.String(), "::error::internal error (bug, please report): Verify needs the service\n")
	require.NotContains(t, out.String(), "goroutine ", "the stack only with ESXI_BYOI_DEBUG")
}

// An input file that cannot be read keeps its cause: errors.Is finds
// fs.ErrNotExist through the option.Error that names the input.
func TestInputErrorKeepsItsCause(t *testing.T) {
	j := &job{in: inputs{"kickstart": "none.cfg"}, workspace: t.TempDir()}
	_, err := j.readOr("kickstart", "kickstart.cfg.tmpl")
	var ie *option.Error
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "kickstart", ie.Option)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// The download-health output of a watch is the worst summary of all its
// services, not the first that is not OK.
func TestWorstHealthIsTheWorstOfAllServices(t *testing.T) {
	svc := func(summaries ...string) watch.HealthRow {
		r := &portal.HealthResult{}
		for _, s := range summaries {
			r.Controllers = append(r.Controllers, portal.ControllerReport{Summary: s, Fresh: true})
		}
		return watch.HealthRow{Result: r}
	}
	noReport := watch.HealthRow{}
	ok, warning, critical := svc(portal.HealthOK), svc(portal.HealthOK, portal.HealthWarning), svc(portal.HealthCritical)
	require.Equal(t, portal.HealthOK, worstHealth([]watch.HealthRow{ok, ok}))
	require.Equal(t, portal.HealthCritical, worstHealth([]watch.HealthRow{ok, warning, critical}))
	require.Equal(t, portal.HealthCritical, worstHealth([]watch.HealthRow{critical, warning}))
	require.Equal(t, portal.HealthWarning, worstHealth([]watch.HealthRow{noReport, warning, ok}))
	require.Equal(t, "no report", worstHealth([]watch.HealthRow{ok, noReport}))
}
