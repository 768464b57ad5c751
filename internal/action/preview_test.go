package action_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action"
	"github.com/esxi-byoi/esxi-byoi/internal/action/ghfake"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

const (
	ksPath    = "ks/kickstart.cfg.tmpl"
	hostsPath = "ks/hosts"
	prNumber  = 42
)

func embedded(t *testing.T, name string) string {
	b, err := templates.FS.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

// commitWorkspace makes dir a git repository with one commit of all its
// files, as actions/checkout leaves it, and returns the commit.
func commitWorkspace(t *testing.T, dir string) string {
	t.Helper()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "base"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// previewRepo lays out a repository in the workspace: the built-in kickstart
// and two sample hosts at the base commit, then head applies its edits (not
// committed: the checkout of a pull request is its merge commit). It returns
// the base commit and the base template.
func previewRepo(t *testing.T, r *runner, git bool, head func(base string) string) (sha, base string) {
	t.Helper()
	base = embedded(t, "kickstart.cfg.tmpl")
	r.write(ksPath, base)
	for _, h := range []string{"esx-single-static.yaml", "esx-raid-naa.yaml"} {
		r.write(hostsPath+"/"+h, embedded(t, "hosts/"+h))
	}
	if git {
		sha = commitWorkspace(t, r.workspace)
	} else {
		sha = "b0a2c4e6f8d0b2a4c6e8f0a2b4c6d8e0f2a4b6c8" // as recorded in pull_request.json
	}
	r.write(ksPath, head(base))
	r.event("pull_request.json", func(m map[string]any) {
		m["pull_request"].(map[string]any)["base"].(map[string]any)["sha"] = sha
	})
	r.input("kickstart", ksPath).input("hosts", hostsPath).input("github-token", githubToken)
	return sha, base
}

func longerFirstboot(base string) string {
	return strings.Replace(base, "sleep 30", "sleep 45", 1)
}

func requireNoSecretInComments(t *testing.T, gh *ghfake.Server) {
	t.Helper()
	for _, rq := range gh.Requests() {
		for _, s := range []string{rootPassword, githubToken, awsSecret} {
			require.NotContains(t, string(rq.Body), s)
		}
	}
}

// A preview of a same-repository pull request lints, renders, diffs against
// the base from the checkout, and keeps ONE sticky comment: created on the
// first run, untouched when nothing changed, edited when the result changed.
func TestPreviewCommentIsCreatedThenUpdatedNeverDuplicated(t *testing.T) {
	gh := ghfake.New(t)
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	r.env["GITHUB_REF"] = "refs/pull/42/merge"
	previewRepo(t, r, true, longerFirstboot)

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Len(t, gh.Comments(prNumber), 1)
	c := gh.Comments(prNumber)[0]
	require.Equal(t, ghfake.Bot, c.User)
	require.Contains(t, c.Body, "<!-- esxi-byoi:esxi/image sha256=")
	require.Contains(t, c.Body, "-sleep 30\n+sleep 45\n", "template diff in the comment")
	require.Contains(t, c.Body, "hosts esx-raid04 (ks/hosts/esx-raid-naa.yaml), esx-single01 (ks/hosts/esx-single-static.yaml) (the same change)",
		"the two hosts' identical diffs are one")
	require.Equal(t, 2, strings.Count(c.Body, "+sleep 45\n"), "one template diff and one merged host diff")
	require.Contains(t, res.outputs["comment-url"], "#issuecomment-")
	require.NotContains(t, res.outputs, "published", "a preview publishes nothing")
	for _, rq := range gh.Requests() {
		require.NotContains(t, rq.Path, "/contents/", "the checkout had the base: no contents API call")
	}
	require.Contains(t, res.summary, "Changes against the base")
	require.Contains(t, res.summary, "rendered/esx-raid04.cfg")
	// the rendered kickstarts are written for later steps, placeholder kept
	b, err := os.ReadFile(filepath.Join(r.workspace, "esxi-byoi-out/kickstart/esx-single-static.cfg"))
	require.NoError(t, err)
	require.Contains(t, string(b), "rootpw --iscrypted %ROOTPW_HASH%")
	require.Contains(t, string(b), "sleep 45")
	// no runtime token here: the artifact is skipped with a warning, the run succeeds
	require.NotContains(t, res.outputs, "artifact-id")
	require.True(t, hasAnnotation(res, "warning", "no artifact"), res)
	requireGroups(t, res, "linting ks/kickstart.cfg.tmpl", "rendering the kickstart for each sample host", "diffing against the base of the pull request")
	posts := gh.Count(http.MethodPost)

	res = r.run() // same result: no write at all
	require.Equal(t, 0, res.code, res)
	require.Equal(t, posts, gh.Count(http.MethodPost))
	require.Zero(t, gh.Count(http.MethodPatch), "PATCH of an unchanged comment")
	require.Len(t, gh.Comments(prNumber), 1)
	require.Equal(t, c.Body, gh.Comments(prNumber)[0].Body)

	r.write(ksPath, strings.Replace(longerFirstboot(embedded(t, "kickstart.cfg.tmpl")), "sleep 45", "sleep 60", 1))
	res = r.run() // changed result: the same comment is edited
	require.Equal(t, 0, res.code, res)
	require.Equal(t, posts, gh.Count(http.MethodPost), "a second comment was created")
	require.Equal(t, 1, gh.Count(http.MethodPatch))
	require.Len(t, gh.Comments(prNumber), 1)
	require.Contains(t, gh.Comments(prNumber)[0].Body, "+sleep 60\n")
	requireNoSecretInComments(t, gh)
}

// A pull request from a fork gets a read-only token: the 403 on the comment
// is a warning and the preview still succeeds with its summary.
func TestPreviewFromForkWarnsOn403AndSucceeds(t *testing.T) {
	gh := ghfake.New(t, ghfake.WithForbidden())
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	previewRepo(t, r, true, longerFirstboot)
	r.event("pull_request_fork.json", func(m map[string]any) {
		base := m["pull_request"].(map[string]any)["base"].(map[string]any)
		out, err := exec.Command("git", "-C", r.workspace, "rev-parse", "HEAD").Output()
		require.NoError(t, err)
		base["sha"] = strings.TrimSpace(string(out))
	})

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.True(t, hasAnnotation(res, "warning", "no pull request comment: the token may not comment"), res)
	require.Empty(t, gh.Comments(43))
	require.NotContains(t, res.outputs, "comment-url")
	require.Contains(t, res.summary, "-sleep 30")
	requireNoSecretInComments(t, gh)
}

// Without a checkout of the base, the base files come from the contents API
// with the read-only token.
func TestPreviewDiffsAgainstBaseFromContentsAPI(t *testing.T) {
	r := newRunner(t, "pull_request", "")
	sha, base := previewRepo(t, r, false, longerFirstboot)
	gh := ghfake.New(t,
		ghfake.WithFile(sha, ksPath, []byte(base)),
		ghfake.WithFile(sha, hostsPath+"/esx-single-static.yaml", []byte(embedded(t, "hosts/esx-single-static.yaml"))),
		// esx-raid-naa.yaml is new in this pull request: its base renders nothing
	)
	r.env["GITHUB_API_URL"] = gh.URL

	res := r.run()
	require.Equal(t, 0, res.code, res)
	var paths []string
	for _, rq := range gh.Requests() {
		if strings.Contains(rq.Path, "/contents/") {
			paths = append(paths, rq.Path+"?"+rq.RawQuery)
			require.Equal(t, "Bearer "+githubToken, rq.Header.Get("Authorization"))
		}
	}
	require.Contains(t, paths, "/repos/octo-org/hello-esxi/contents/ks/kickstart.cfg.tmpl?ref="+sha)
	require.Contains(t, res.summary, "-sleep 30\n+sleep 45\n")
	require.Contains(t, res.summary, "--- a/rendered/esx-raid04.cfg\n+++ b/rendered/esx-raid04.cfg\n@@ -0,0 +1,")
}

// When the base can be had from neither the checkout nor the API, the
// preview still lints and renders, and says why the diff is missing.
func TestPreviewWithoutBaseSaysWhy(t *testing.T) {
	r := newRunner(t, "pull_request", "")
	previewRepo(t, r, false, longerFirstboot)
	r.input("github-token", "")
	r.input("comment", "never")

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Contains(t, res.summary, "No diff against the base")
	require.Contains(t, res.summary, "fetch-depth: 0")
	require.Contains(t, res.summary, "github-token is empty")
	require.True(t, hasAnnotation(res, "warning", "no diff against the base"), res)
	require.Contains(t, res.summary, "| esx-single01 | <code>ks/hosts/esx-single-static.yaml</code> | rendered |")
}

// A shallow checkout lacks the base commit and the token may not read the
// repository: the summary names both reasons, each with its fix, and the
// preview still succeeds.
func TestPreviewWithShallowCheckoutAndForbiddenContentsSaysBoth(t *testing.T) {
	gh := ghfake.New(t, ghfake.WithForbidden(http.MethodGet))
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	previewRepo(t, r, true, longerFirstboot)
	foreign := "0123456789abcdef0123456789abcdef01234567" // not a commit of the checkout
	r.event("pull_request.json", func(m map[string]any) {
		m["pull_request"].(map[string]any)["base"].(map[string]any)["sha"] = foreign
	})

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Contains(t, res.summary, "base commit 0123456789ab is not in the checkout (check out with fetch-depth: 0)")
	require.Contains(t, res.summary, "contents API: comment: read ks/kickstart.cfg.tmpl at 0123456789ab on octo-org/hello-esxi: 403 Forbidden")
	require.Contains(t, res.summary, "(fix: give the job &#96;permissions: contents: read&#96;")
	require.NotContains(t, res.summary, "Changes against the base")
	require.True(t, hasAnnotation(res, "warning", "no diff against the base"), res)
	require.Contains(t, res.summary, "| esx-single01 | <code>ks/hosts/esx-single-static.yaml</code> | rendered |")
	var contents int
	for _, rq := range gh.Requests() {
		if strings.Contains(rq.Path, "/contents/") {
			contents++
			require.Equal(t, "ref="+foreign, rq.RawQuery)
		}
	}
	require.Equal(t, 1, contents, "the first refusal ends the reading of the base")
}

// Lint errors become ::error file=..,line=..:: annotations on the template,
// one per finding with the hosts it applies to, and fail the step after the
// summary and comment are written.
func TestPreviewLintErrorsAreAnnotatedAndFail(t *testing.T) {
	gh := ghfake.New(t)
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	previewRepo(t, r, true, func(base string) string {
		return strings.Replace(base, "vmaccepteula\n", "vmaccepteula\nserialnum --esx=reboot-now\n", 1)
	})
	line := 0
	for i, l := range strings.Split(strings.Replace(embedded(t, "kickstart.cfg.tmpl"), "vmaccepteula\n", "vmaccepteula\nserialnum --esx=reboot-now\n", 1), "\n") {
		if l == "serialnum --esx=reboot-now" {
			line = i + 1
		}
	}

	res := r.run()
	require.Equal(t, 1, res.code, res)
	found := 0
	for _, a := range res.annotations("error") {
		if strings.Contains(a.props, "file=ks/kickstart.cfg.tmpl") && strings.Contains(a.props, "line="+strconv.Itoa(line)) {
			found++
			require.Contains(t, a.msg, "reboot-now")
			require.Contains(t, a.msg, "(hosts ")
		}
	}
	require.Equal(t, 1, found, "no ::error file=ks/kickstart.cfg.tmpl,line=%d:: in\n%s", line, res)
	require.True(t, hasAnnotation(res, "error", "kickstart lint found errors"), res)
	require.Contains(t, res.summary, "#### Lint problems")
	require.Len(t, gh.Comments(prNumber), 1, "the comment is written before the step fails")
}

// A pull request controls the kickstart. Lines in it that look like workflow
// commands or heredoc delimiters reach the log only inside
// ::stop-commands:: and cannot add outputs.
func TestPreviewKickstartCannotInjectCommandsOrOutputs(t *testing.T) {
	gh := ghfake.New(t)
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	evil := strings.Join([]string{
		"::set-output name=iso-url::https://evil.example.com/x.iso",
		"::add-mask::esxi",
		"::stop-commands::",
		"::endgroup::",
		"ghadelimiter_0123456789abcdef0123456789abcdef",
		"_GitHubActionsFileCommandDelimeter_",
		"published<<EOF",
		"true",
		"EOF",
		"iso-url=https://evil.example.com/y.iso",
		"```",
		"</details>",
	}, "\n") + "\n"
	previewRepo(t, r, true, func(base string) string {
		// in %post (script text: valid kickstart) and as an unknown command
		// before it (a lint error that quotes the line)
		base = strings.Replace(base, "/bin/poweroff -n\n", evil+"/bin/poweroff -n\n", 1)
		return strings.Replace(base, "vmaccepteula\n", "vmaccepteula\n"+evil, 1)
	})

	res := r.run()
	require.Equal(t, 0, res.code, "the lines outside %%post are installer warnings (unknown commands)\n%s", res)
	quoted := false
	for _, a := range res.annotations("warning") {
		quoted = quoted || strings.Contains(a.msg, "set-output")
	}
	require.True(t, quoted, "a lint warning quotes an injected line (escaped in the annotation)\n%s", res)
	// parseLog failed the test on any command outside a stop-commands block;
	// parseOutputs on any output line that is not one of action.yml's.
	for k := range res.outputs {
		require.Contains(t, []string{"published", "comment-url", "artifact-id"}, k)
	}
	require.NotContains(t, res.outputs["comment-url"], "evil")
	require.Contains(t, res.stdout, "::stop-commands::")
	// every fence in the summary and comment is longer than the ``` inside
	require.Contains(t, res.summary, "````diff\n")
	require.Contains(t, gh.Comments(prNumber)[0].Body, "````diff\n")
}

func hasAnnotation(res *result, level, substr string) bool {
	for _, a := range res.annotations(level) {
		if strings.Contains(a.msg, substr) {
			return true
		}
	}
	return false
}

func requireGroups(t *testing.T, res *result, titles ...string) {
	t.Helper()
	var got []string
	for _, c := range res.commands {
		if c.name == "group" {
			got = append(got, c.msg)
		}
	}
	for _, title := range titles {
		require.Contains(t, got, title)
	}
}

// A huge change stays within GitHub's limits: the summary under 1 MiB, the
// comment under 65,536 characters, each saying where the rest is.
func TestPreviewOfAHugeChangeFitsTheLimits(t *testing.T) {
	gh := ghfake.New(t)
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	previewRepo(t, r, true, func(base string) string {
		var b strings.Builder
		for i := range 12000 {
			fmt.Fprintf(&b, "echo 'line %05d of a long %%firstboot script, padded to be long enough'\n", i)
		}
		return strings.Replace(base, "sleep 30\n", "sleep 30\n"+b.String(), 1)
	})

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.LessOrEqual(t, len(res.summary), 1<<20)
	require.Contains(t, res.summary, "more sections were left out to stay under GitHub's size limit")
	body := gh.Comments(prNumber)[0].Body
	require.LessOrEqual(t, len(body), 65536)
	require.Contains(t, body, "left out to stay under GitHub's size limit")
	require.Contains(t, body, "[run 9876543210](https://github.com/octo-org/hello-esxi/actions/runs/9876543210)")
}

// The sticky comment is found past the first page of a busy pull request,
// and a human's comment that quotes the marker is never edited.
func TestPreviewFindsItsCommentOnALaterPage(t *testing.T) {
	var busy []ghfake.Comment
	for i := range 130 {
		busy = append(busy, ghfake.Comment{User: ghfake.Octocat, Body: fmt.Sprintf("review note %d", i)})
	}
	busy = append(busy, ghfake.Comment{User: ghfake.Octocat, Body: "<!-- esxi-byoi:esxi/image sha256=0000 -->\nquoted by a human"})
	gh := ghfake.New(t, ghfake.WithComments(prNumber, busy...))
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_API_URL"] = gh.URL
	previewRepo(t, r, true, longerFirstboot)

	require.Equal(t, 0, r.run().code)
	require.Equal(t, 1, gh.Count(http.MethodPost))
	r.write(ksPath, strings.Replace(embedded(t, "kickstart.cfg.tmpl"), "sleep 30", "sleep 50", 1))
	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Equal(t, 1, gh.Count(http.MethodPost), "the comment on page 2 was found, not duplicated")
	require.Equal(t, 1, gh.Count(http.MethodPatch))
	cs := gh.Comments(prNumber)
	require.Len(t, cs, 132)
	require.Equal(t, "<!-- esxi-byoi:esxi/image sha256=0000 -->\nquoted by a human", cs[130].Body)
	require.Contains(t, cs[131].Body, "+sleep 50")
}

// A preview whose kickstart or hosts input names nothing says which path,
// relative to the workspace, with the fix; the cause stays reachable.
func TestPreviewNamesAMissingInputPath(t *testing.T) {
	for name, tc := range map[string]struct{ input, value, want string }{
		"kickstart":  {"kickstart", "ks/none.cfg.tmpl", "input kickstart: open ks/none.cfg.tmpl: no such file or directory (fix: give a path relative to the workspace"},
		"hosts":      {"hosts", "ks/nohosts", "input hosts: stat ks/nohosts: no such file or directory (fix: point hosts at a directory of hostdef-v3 *.yaml files)"},
		"hosts file": {"hosts", ksPath, "input hosts: " + ksPath + " is not a directory (fix: point hosts"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRunner(t, "pull_request", "")
			previewRepo(t, r, false, longerFirstboot)
			r.input("comment", "never").input(tc.input, tc.value)
			res := r.run()
			require.Equal(t, action.ExitFailure, res.code, res)
			require.True(t, hasAnnotation(res, "error", tc.want), res)
			require.NotContains(t, res.stdout, r.workspace+"/")
		})
	}
}
