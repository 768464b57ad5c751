package action_test

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action"
	"github.com/esxi-byoi/esxi-byoi/internal/action/ghfake"
)

// With a GitHub App's installation token the comment's author is
// "my-app[bot]", which GraphQL's viewer calls "my-app": the second run finds
// the app's comment and edits it, and leaves GITHUB_TOKEN's comment with the
// same marker alone.
func TestPreviewWithAnAppTokenEditsItsOwnComment(t *testing.T) {
	gh := ghfake.New(t, ghfake.WithIdentity(ghfake.App), ghfake.WithComments(prNumber,
		ghfake.Comment{User: ghfake.Bot, Body: "<!-- esxi-byoi:esxi/image sha256=" + strings.Repeat("0", 64) + " -->\nby GITHUB_TOKEN"}))
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"], r.env["GITHUB_GRAPHQL_URL"] = gh.URL, gh.URL+"/graphql"
	previewRepo(t, r, true, longerFirstboot)

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Equal(t, 1, gh.Count(http.MethodPost), "the app's first comment")
	r.write(ksPath, strings.Replace(embedded(t, "kickstart.cfg.tmpl"), "sleep 30", "sleep 50", 1))
	res = r.run()
	require.Equal(t, 0, res.code, res)
	require.Equal(t, 1, gh.Count(http.MethodPost), "no second comment")
	require.Equal(t, 1, gh.Count(http.MethodPatch), "the app's comment was edited")
	cs := gh.Comments(prNumber)
	require.Len(t, cs, 2)
	require.Equal(t, ghfake.App, cs[1].User)
	require.Contains(t, cs[1].Body, "+sleep 50")
	require.Contains(t, cs[0].Body, "by GITHUB_TOKEN")
	require.Equal(t, 2, gh.Queries(), "each run asked who the token is")
}

// Two comment-headers on one workflow job (a matrix) keep two comments.
func TestCommentHeadersKeepTheirOwnComments(t *testing.T) {
	gh := ghfake.New(t)
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	previewRepo(t, r, true, longerFirstboot)
	for _, h := range []string{"site-a", "site-b", "site-a"} {
		r.input("comment-header", h)
		r.write(ksPath, strings.Replace(embedded(t, "kickstart.cfg.tmpl"), "sleep 30", "sleep 4"+strconv.Itoa(len(h)), 1))
		res := r.run()
		require.Equal(t, 0, res.code, res)
	}
	cs := gh.Comments(prNumber)
	require.Len(t, cs, 2)
	require.True(t, strings.HasPrefix(cs[0].Body, "<!-- esxi-byoi:esxi/image/site-a sha256="), cs[0].Body[:80])
	require.True(t, strings.HasPrefix(cs[1].Body, "<!-- esxi-byoi:esxi/image/site-b sha256="), cs[1].Body[:80])
}

// An API that accepts connections and never answers costs one short
// timeout: the contents API times out, the comment is not tried, the
// preview succeeds with a warning.
func TestUnreachableGitHubAPIFailsFast(t *testing.T) {
	action.SetGitHubTimeout(t, 300*time.Millisecond)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns atomic.Int32
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			held = append(held, c) // read nothing, answer nothing
		}
	}()
	t.Cleanup(func() { ln.Close() })
	r := newRunner(t, "pull_request", "")
	previewRepo(t, r, false, longerFirstboot) // no checkout of the base: the contents API is asked
	r.env["GITHUB_API_URL"] = "http://" + ln.Addr().String()

	start := time.Now()
	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Less(t, time.Since(start), 20*time.Second)
	require.Equal(t, int32(1), conns.Load(), "one call to the dead API, then no more")
	require.True(t, hasAnnotation(res, "warning", "no diff against the base"), res)
	timedOut := false
	for _, a := range res.annotations("warning") {
		timedOut = timedOut || regexp.MustCompile(`timeout awaiting response headers|deadline exceeded|Timeout exceeded`).MatchString(a.msg)
	}
	require.True(t, timedOut, "the warning says the API timed out\n%s", res)
	require.Len(t, res.annotations("warning"), 2, "the diff's warning and the artifact's, no third for the comment\n%s", res)
	require.Contains(t, res.stdout, "no pull request comment: GitHub's API did not answer earlier in this run")
}

// A template that does not parse renders for no host: the summary says
// "render failed" instead of diffs that delete every line.
func TestPreviewOfABrokenTemplateSaysRenderFailed(t *testing.T) {
	r := newRunner(t, "pull_request", "")
	previewRepo(t, r, true, func(base string) string { return strings.Replace(base, "{{- end }}", "{{- end", 1) })
	r.input("comment", "never")
	res := r.run()
	require.Equal(t, 1, res.code, res)
	require.Contains(t, res.summary, "Render failed (see the lint problems above), so there is no diff for: host esx-raid04 (ks/hosts/esx-raid-naa.yaml); host esx-single01")
	require.NotContains(t, res.summary, "a/rendered/")
	require.Contains(t, res.summary, "| esx-single01 | <code>ks/hosts/esx-single-static.yaml</code> | render failed |")
}

// Unchanged hosts are one line, not a section each.
func TestPreviewCollapsesUnchangedHosts(t *testing.T) {
	r := newRunner(t, "pull_request", "")
	previewRepo(t, r, true, func(base string) string { return "{{/* a template comment: renders nothing */}}" + base })
	r.input("comment", "never")
	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Contains(t, res.summary, "Unchanged: host esx-raid04 (ks/hosts/esx-raid-naa.yaml); host esx-single01 (ks/hosts/esx-single-static.yaml).\n")
	require.Contains(t, res.summary, "+{{/* a template comment: renders nothing */}}")
}

// The artifact outputs match actions/upload-artifact v4's, and
// retention-days is checked up front.
func TestArtifactURLDigestAndRetention(t *testing.T) {
	r := buildRunner(t)
	download := withArtifacts(t, r)
	r.input("retention-days", "5")
	start := time.Now()
	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Len(t, r.created, 1)
	require.Contains(t, r.created[0], "expires_at", "retention-days reaches the artifact API")
	expires, err := time.Parse(time.RFC3339Nano, r.created[0]["expires_at"].(string))
	require.NoError(t, err, "retention-days sets expires_at")
	require.WithinRange(t, expires, start.Add(5*24*time.Hour-time.Minute), time.Now().Add(5*24*time.Hour+time.Minute))
	id, _ := download("esxi-byoi")
	require.Equal(t, fmt.Sprintf("https://github.com/octo-org/hello-esxi/actions/runs/9876543210/artifacts/%d", id), res.outputs["artifact-url"])
	require.Regexp(t, `^[0-9a-f]{64}$`, res.outputs["artifact-digest"])
	require.Contains(t, res.summary, "The files are in the artifact [esxi-byoi]("+res.outputs["artifact-url"]+") (zip sha256 <code>"+res.outputs["artifact-digest"]+"</code>)")

	for _, bad := range []string{"0", "91", "five"} {
		r := buildRunner(t)
		r.input("retention-days", bad)
		res := r.run()
		require.Equal(t, action.ExitFailure, res.code, res)
		require.True(t, hasAnnotation(res, "error", "input retention-days: \""+bad+"\" is not a number of days from 1 to 90"), res)
	}
}

// A failed build's summary names inputs, not CLI flags or container paths,
// and does not tell the user to copy an ISO that was never made.
func TestFailedBuildSummarySpeaksInInputs(t *testing.T) {
	r := buildRunner(t)
	r.input("iso", "missing/esxi.iso")
	res := r.run()
	require.Equal(t, action.ExitFailure, res.code, res)
	require.Contains(t, res.summary, "The build failed.")
	require.Contains(t, res.summary, "missing/esxi.iso")
	require.NotContains(t, res.summary, r.workspace)
	require.NotContains(t, res.summary, "copy the ISO")
	require.NotRegexp(t, `(^|\s)(-x|-i|--iso|--publish-dir|--skip-test)(\s|$)`, res.summary)
	require.Contains(t, res.summary, "| published | no |")
}
