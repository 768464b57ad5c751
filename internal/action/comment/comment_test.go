package comment_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/comment"
	"github.com/esxi-byoi/esxi-byoi/internal/action/ghfake"
)

const pr = 42

func opts(gh *ghfake.Server, body string) comment.Options {
	return comment.Options{
		APIURL:   gh.URL,
		Token:    gh.Token,
		Repo:     gh.Repo,
		PR:       pr,
		Workflow: "PR preview",
		Job:      "preview",
		Body:     body,
		Pointer:  "Full result in the job summary and the artifact esxi-byoi-preview.",
	}
}

// marked returns a comment body carrying the marker of workflow/job for text.
func marked(workflow, job, text string) string {
	sum := sha256.Sum256([]byte(text))
	return comment.Marker(comment.Key(workflow, job), hex.EncodeToString(sum[:])) + "\n" + text
}

func TestCreateThenUpdate(t *testing.T) {
	gh := ghfake.New(t)

	r1, err := comment.Upsert(t.Context(), opts(gh, "## Preview\n\nfirst run\n"))
	require.NoError(t, err)
	require.Equal(t, comment.Created, r1.Action)
	require.NotZero(t, r1.ID)
	require.Equal(t, fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", gh.Repo, pr, r1.ID), r1.URL)

	r2, err := comment.Upsert(t.Context(), opts(gh, "## Preview\n\nsecond run\n"))
	require.NoError(t, err)
	require.Equal(t, comment.Updated, r2.Action)
	require.Equal(t, r1.ID, r2.ID, "the second run edits the same comment")

	cs := gh.Comments(pr)
	require.Len(t, cs, 1, "no duplicate comment")
	require.Equal(t, ghfake.Bot, cs[0].User)
	require.Equal(t, marked("PR preview", "preview", "## Preview\n\nsecond run\n"), cs[0].Body)
	require.Equal(t, 1, gh.Count(http.MethodPost))
	require.Equal(t, 1, gh.Count(http.MethodPatch))

	for _, req := range gh.Requests() {
		require.Equal(t, "Bearer "+gh.Token, req.Header.Get("Authorization"))
		require.True(t, strings.HasPrefix(req.Header.Get("User-Agent"), "esxi-byoi/"), req.Header.Get("User-Agent"))
	}
}

func TestUnchangedBodyMakesNoWrite(t *testing.T) {
	gh := ghfake.New(t)
	o := opts(gh, "## Preview\n\nsame\n")
	r1, err := comment.Upsert(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, 1, gh.Writes())

	r2, err := comment.Upsert(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, comment.Result{URL: r1.URL, ID: r1.ID, Action: comment.Unchanged}, *r2)
	require.Equal(t, 1, gh.Writes(), "an unchanged body costs no POST or PATCH")
	require.Equal(t, 2, gh.Count(http.MethodGet))
}

func filler(n int, u ghfake.User) []ghfake.Comment {
	cs := make([]ghfake.Comment, n)
	for i := range cs {
		cs[i] = ghfake.Comment{User: u, Body: fmt.Sprintf("comment %d", i)}
	}
	return cs
}

func TestFindsTheCommentOnALaterPage(t *testing.T) {
	cs := filler(250, ghfake.Octocat)
	cs[130] = ghfake.Comment{User: ghfake.Bot, Body: marked("PR preview", "preview", "old result\n")}
	gh := ghfake.New(t, ghfake.WithComments(pr, cs...))

	r, err := comment.Upsert(t.Context(), opts(gh, "new result\n"))
	require.NoError(t, err)
	require.Equal(t, comment.Updated, r.Action)
	require.Equal(t, gh.Comments(pr)[130].ID, r.ID)
	require.Len(t, gh.Comments(pr), 250)

	var queries []string
	for _, req := range gh.Requests() {
		if req.Method == http.MethodGet {
			queries = append(queries, req.RawQuery)
		}
	}
	require.Equal(t, []string{"per_page=100", "page=2&per_page=100"}, queries, "page 2 via rel=next; page 3 not needed")
}

func TestReadsEveryPageBeforeCreating(t *testing.T) {
	gh := ghfake.New(t, ghfake.WithComments(pr, filler(201, ghfake.Octocat)...))
	r, err := comment.Upsert(t.Context(), opts(gh, "result\n"))
	require.NoError(t, err)
	require.Equal(t, comment.Created, r.Action)
	require.Equal(t, 3, gh.Count(http.MethodGet))
	require.Len(t, gh.Comments(pr), 202)
}

func TestIgnoresTheMarkerFromOthers(t *testing.T) {
	impostor := ghfake.User{Login: "github-actions[bot]", ID: 7, Type: "User"}
	for name, tc := range map[string]struct {
		author ghfake.User
		body   string
	}{
		"human with our marker":         {ghfake.Octocat, marked("PR preview", "preview", "x\n")},
		"another bot with our marker":   {ghfake.Dependabot, marked("PR preview", "preview", "x\n")},
		"a User named like our bot":     {impostor, marked("PR preview", "preview", "x\n")},
		"our bot, another job's marker": {ghfake.Bot, marked("PR preview", "lint", "x\n")},
		"our bot, another workflow":     {ghfake.Bot, marked("CI", "preview", "x\n")},
		"our bot, marker not first":     {ghfake.Bot, "quoted:\n" + marked("PR preview", "preview", "x\n")},
		"our bot, job name prefix":      {ghfake.Bot, marked("PR preview", "preview-2", "x\n")},
	} {
		t.Run(name, func(t *testing.T) {
			gh := ghfake.New(t, ghfake.WithComments(pr, ghfake.Comment{User: tc.author, Body: tc.body}))
			r, err := comment.Upsert(t.Context(), opts(gh, "result\n"))
			require.NoError(t, err)
			require.Equal(t, comment.Created, r.Action)
			cs := gh.Comments(pr)
			require.Len(t, cs, 2)
			require.Equal(t, tc.body, cs[0].Body, "the other comment is untouched")
			require.Zero(t, gh.Count(http.MethodPatch))
		})
	}
}

func TestJobsKeepTheirOwnComments(t *testing.T) {
	gh := ghfake.New(t)
	lint := opts(gh, "lint result\n")
	lint.Job = "lint"
	for _, o := range []comment.Options{opts(gh, "preview v1\n"), lint, opts(gh, "preview v2\n")} {
		_, err := comment.Upsert(t.Context(), o)
		require.NoError(t, err)
	}
	cs := gh.Comments(pr)
	require.Len(t, cs, 2)
	require.Equal(t, marked("PR preview", "preview", "preview v2\n"), cs[0].Body)
	require.Equal(t, marked("PR preview", "lint", "lint result\n"), cs[1].Body)
}

func TestAuthorOverride(t *testing.T) {
	app := ghfake.User{Login: "esxi-builder[bot]", ID: 123456, Type: "Bot"}
	gh := ghfake.New(t, ghfake.WithIdentity(app), ghfake.WithComments(pr,
		ghfake.Comment{User: ghfake.Bot, Body: marked("PR preview", "preview", "by the default bot\n")},
		ghfake.Comment{User: app, Body: marked("PR preview", "preview", "by the app\n")}))
	o := opts(gh, "new\n")
	o.Author = app.Login
	r, err := comment.Upsert(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, comment.Updated, r.Action)
	require.Equal(t, gh.Comments(pr)[1].ID, r.ID)
}

func TestTruncatesUnderTheLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("## Kickstart diff\n\n<details><summary>esx-01</summary>\n\n```diff\n")
	for i := 0; b.Len() < 3*comment.MaxChars; i++ {
		fmt.Fprintf(&b, "+ network --bootproto=static --ip=10.0.%d.%d --device=vmnic0 # é\n", i/250, i%250)
	}
	b.WriteString("```\n\n</details>\n")
	gh := ghfake.New(t)
	o := opts(gh, b.String())

	r, err := comment.Upsert(t.Context(), o)
	require.NoError(t, err, "the fake answers 422 to a body over 65,536 characters")
	require.Equal(t, comment.Created, r.Action)
	got := gh.Comments(pr)[0].Body
	require.LessOrEqual(t, len(got), comment.MaxChars)
	require.LessOrEqual(t, utf8.RuneCountInString(got), comment.MaxChars)
	require.Greater(t, len(got), comment.MaxChars-200, "cut close to the limit")
	require.True(t, utf8.ValidString(got))
	require.True(t, strings.HasSuffix(got, "\n\n"+comment.TruncatedNote+" "+o.Pointer+"\n"))

	marker, text, _ := strings.Cut(got, "\n")
	sum := sha256.Sum256([]byte(text))
	require.Equal(t, comment.Marker(comment.Key(o.Workflow, o.Job), hex.EncodeToString(sum[:])), marker)
	lines := strings.Split(text, "\n")
	fences := 0
	for _, l := range lines {
		if l == "```diff" || l == "```" {
			fences++
		}
		require.True(t, l == "" || l == "```" || strings.Contains(b.String(), l+"\n") || strings.HasPrefix(l, comment.TruncatedNote),
			"cut on a line boundary: %q", l)
	}
	require.Equal(t, 2, fences, "the open fence is closed")
	require.Equal(t, 1, strings.Count(text, "</details>"), "the open <details> is closed")

	// The same over-long body again: unchanged, no write.
	r2, err := comment.Upsert(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, comment.Unchanged, r2.Action)
	require.Equal(t, 1, gh.Writes())
}

func TestForbiddenIsAResult(t *testing.T) {
	for name, methods := range map[string][]string{
		"fork PR: writes refused":   nil,
		"no access: reads refused":  {http.MethodGet},
		"update refused after find": {http.MethodPatch},
	} {
		t.Run(name, func(t *testing.T) {
			gh := ghfake.New(t, ghfake.WithForbidden(methods...), ghfake.WithComments(pr,
				ghfake.Comment{User: ghfake.Bot, Body: marked("PR preview", "preview", "old\n")}))
			r, err := comment.Upsert(t.Context(), opts(gh, "new\n"))
			require.NoError(t, err)
			require.Equal(t, comment.Result{Action: comment.Forbidden}, *r)
			require.Equal(t, marked("PR preview", "preview", "old\n"), gh.Comments(pr)[0].Body)
		})
	}
	t.Run("create refused", func(t *testing.T) {
		gh := ghfake.New(t, ghfake.WithForbidden())
		r, err := comment.Upsert(t.Context(), opts(gh, "new\n"))
		require.NoError(t, err)
		require.Equal(t, comment.Forbidden, r.Action)
		require.Empty(t, gh.Comments(pr))
		require.Equal(t, 1, gh.Count(http.MethodPost))
	})
}

func TestErrorsNeverHoldTheToken(t *testing.T) {
	const token = "ghs_SuperSecretToken0000000000000000000"
	closed := ghfake.New(t, ghfake.WithToken(token))
	closedURL := closed.URL
	for name, tc := range map[string]struct {
		opts   []ghfake.Option
		apiURL string
		status int
		hint   string
	}{
		"server echoes the token": {opts: []ghfake.Option{ghfake.WithError(http.MethodGet, http.StatusInternalServerError,
			`{"message":"boom for token `+token+`","status":"500"}`)}, status: 500, hint: "re-run"},
		"wrong token": {opts: []ghfake.Option{ghfake.WithToken("ghs_other")}, status: 401, hint: "github-token"},
		"403 other than integration": {opts: []ghfake.Option{ghfake.WithError(http.MethodPost, http.StatusForbidden,
			`{"message":"Must have admin rights to Repository.","documentation_url":"https://docs.github.com/rest","status":"403"}`)},
			status: 403, hint: "pull-requests: write"},
		"rejected body": {opts: []ghfake.Option{ghfake.WithError(http.MethodPost, http.StatusUnprocessableEntity,
			`{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"`+token+` is odd"}],"status":"422"}`)},
			status: 422, hint: "rejected"},
		"nobody listens":       {apiURL: closedURL, hint: "nothing listens"},
		"token in the API URL": {apiURL: "https://x-access-token:" + token + "@example.com", hint: "GITHUB_API_URL"},
		"token as the API URL": {apiURL: token, hint: "GITHUB_API_URL"},
	} {
		t.Run(name, func(t *testing.T) {
			gh := ghfake.New(t, append([]ghfake.Option{ghfake.WithToken(token)}, tc.opts...)...)
			o := opts(gh, "body\n")
			o.Token = token
			if tc.apiURL != "" {
				o.APIURL = tc.apiURL
			}
			if name == "nobody listens" {
				closed.Close()
			}
			r, err := comment.Upsert(t.Context(), o)
			require.Error(t, err)
			require.Nil(t, r)
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				require.NotContains(t, s, token)
			}
			var h interface{ Hint() string }
			require.True(t, errors.As(err, &h))
			require.NotEmpty(t, h.Hint())
			require.Contains(t, h.Hint(), tc.hint)
			if tc.status != 0 {
				var ce *comment.Error
				require.ErrorAs(t, err, &ce)
				require.Equal(t, tc.status, ce.Status)
			}
		})
	}
}

func TestOptionsErrors(t *testing.T) {
	gh := ghfake.New(t)
	for field, mutate := range map[string]func(*comment.Options){
		"token":        func(o *comment.Options) { o.Token = "" },
		"repo":         func(o *comment.Options) { o.Repo = "no-slash" },
		"pr":           func(o *comment.Options) { o.PR = 0 },
		"workflow/job": func(o *comment.Options) { o.Job = "" },
		"body":         func(o *comment.Options) { o.Body = " \n" },
		"api-url":      func(o *comment.Options) { o.APIURL = "api.github.com" },
	} {
		t.Run(field, func(t *testing.T) {
			o := opts(gh, "body\n")
			mutate(&o)
			_, err := comment.Upsert(t.Context(), o)
			var oe *comment.OptionsError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, field, oe.Field)
			require.NotEmpty(t, oe.Hint())
		})
	}
	require.Empty(t, gh.Requests(), "bad options make no call")
}

func TestKey(t *testing.T) {
	require.Equal(t, "PR preview/preview", comment.Key("PR preview", "preview"))
	require.Equal(t, "build-iso/x", comment.Key("build-iso", "x"))
	require.NotEqual(t, comment.Key("a/b", "c"), comment.Key("a", "b/c"))
	for _, evil := range []string{"a --> b", "x -->\n<script>", "w sha256=00 -->", "a--b"} {
		k := comment.Key(evil, "job")
		require.NotContains(t, k, "-->")
		require.NotContains(t, k, "--")
		require.NotContains(t, k, "\n")
		require.NotContains(t, k, "=")
	}
}

// With an app's installation token, the token's login comes from GraphQL's
// viewer ("my-app", no "[bot]"), and the app's earlier comment ("my-app[bot]"
// in REST) is edited, not duplicated; the default bot's comment and a human
// named like the app's slug are left alone.
func TestAppTokenFindsItsOwnCommentThroughGraphQL(t *testing.T) {
	slugUser := ghfake.User{Login: "my-app", ID: 77, Type: "User"}
	gh := ghfake.New(t, ghfake.WithIdentity(ghfake.App), ghfake.WithComments(pr,
		ghfake.Comment{User: ghfake.Bot, Body: marked("PR preview", "preview", "by GITHUB_TOKEN\n")},
		ghfake.Comment{User: slugUser, Body: marked("PR preview", "preview", "by a human named like the app\n")}))

	r1, err := comment.Upsert(t.Context(), opts(gh, "first\n"))
	require.NoError(t, err)
	require.Equal(t, comment.Created, r1.Action)
	require.Equal(t, 1, gh.Queries(), "the viewer was asked once")
	r2, err := comment.Upsert(t.Context(), opts(gh, "second\n"))
	require.NoError(t, err)
	require.Equal(t, comment.Updated, r2.Action)
	require.Equal(t, r1.ID, r2.ID)
	cs := gh.Comments(pr)
	require.Len(t, cs, 3)
	require.Equal(t, ghfake.App, cs[2].User)
	require.Equal(t, marked("PR preview", "preview", "second\n"), cs[2].Body)
	require.Contains(t, cs[0].Body, "by GITHUB_TOKEN")
	require.Contains(t, cs[1].Body, "by a human")
	for _, rq := range gh.Requests() {
		if rq.Path == "/graphql" {
			require.Equal(t, "Bearer "+gh.Token, rq.Header.Get("Authorization"))
		}
	}
}

// No comment carries the marker: nobody needs to be identified.
func TestNoViewerQueryWithoutACandidate(t *testing.T) {
	gh := ghfake.New(t, ghfake.WithComments(pr, ghfake.Comment{User: ghfake.Octocat, Body: "LGTM"}))
	_, err := comment.Upsert(t.Context(), opts(gh, "x\n"))
	require.NoError(t, err)
	require.Zero(t, gh.Queries())
}

// On GitHub Enterprise Server the GraphQL root is /api/graphql beside /api/v3.
func TestGraphQLURLIsDerivedForGHES(t *testing.T) {
	gh := ghfake.New(t, ghfake.WithComments(pr, ghfake.Comment{User: ghfake.Bot, Body: marked("PR preview", "preview", "old\n")}))
	r, err := comment.Upsert(t.Context(), opts(gh, "new\n")) // GraphQLURL "": derived from gh.URL
	require.NoError(t, err)
	require.Equal(t, comment.Updated, r.Action)
	require.Equal(t, 1, gh.Queries())
	require.Equal(t, "https://ghe.example.com/api/graphql", comment.GraphQLURL("https://ghe.example.com/api/v3/"))
	require.Equal(t, "https://api.github.com/graphql", comment.GraphQLURL("https://api.github.com"))
	require.Equal(t, "https://api.github.com/graphql", comment.GraphQLURL(""))
}

// A header keeps a comment of its own for each matrix job of one workflow job.
func TestHeadersKeepTheirOwnComments(t *testing.T) {
	gh := ghfake.New(t)
	for _, h := range []string{"site-a", "site-b", "site-a"} {
		o := opts(gh, "result of "+h+"\n")
		o.Header = h
		_, err := comment.Upsert(t.Context(), o)
		require.NoError(t, err)
	}
	cs := gh.Comments(pr)
	require.Len(t, cs, 2)
	require.True(t, strings.HasPrefix(cs[0].Body, "<!-- esxi-byoi:PR preview/preview/site-a sha256="), cs[0].Body)
	require.True(t, strings.HasPrefix(cs[1].Body, "<!-- esxi-byoi:PR preview/preview/site-b sha256="), cs[1].Body)
}
