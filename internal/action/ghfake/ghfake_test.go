package ghfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v76/github"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/ghfake"
)

// recorder is a testing.TB whose Errorf is recorded instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func do(t *testing.T, method, u, auth, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func client(t *testing.T, s *ghfake.Server) *github.Client {
	gh := github.NewClient(nil).WithAuthToken(s.Token)
	base, err := url.Parse(s.URL + "/")
	require.NoError(t, err)
	gh.BaseURL = base
	return gh
}

func TestUnknownRoutesFailTheTest(t *testing.T) {
	for name, tc := range map[string]struct{ method, path string }{
		"unknown path":             {http.MethodGet, "/user"},
		"known path, wrong method": {http.MethodDelete, "/repos/octo-org/hello-esxi/issues/comments/1"},
		"PUT on the comments list": {http.MethodPut, "/repos/octo-org/hello-esxi/issues/1/comments"},
		"POST on contents":         {http.MethodPost, "/repos/octo-org/hello-esxi/contents/a.txt"},
	} {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := ghfake.New(rec)
			resp, body := do(t, tc.method, s.URL+tc.path, "Bearer "+s.Token, "")
			require.Equal(t, http.StatusNotFound, resp.StatusCode)
			require.JSONEq(t, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`, body)
			require.Len(t, rec.errors(), 1)
			require.Contains(t, rec.errors()[0], "unexpected request "+tc.method)
		})
	}
}

func TestAuthorization(t *testing.T) {
	rec := &recorder{TB: t}
	s := ghfake.New(rec)
	list := s.URL + "/repos/octo-org/hello-esxi/issues/1/comments"

	for _, auth := range []string{"Bearer " + s.Token, "token " + s.Token} {
		resp, body := do(t, http.MethodGet, list, auth, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "[]", body)
	}
	resp, body := do(t, http.MethodGet, list, "Bearer nope", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.JSONEq(t, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`, body)
	require.Empty(t, rec.errors(), "a wrong token is a legitimate scenario")

	resp, _ = do(t, http.MethodGet, list, "", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Len(t, rec.errors(), 1, "a missing Authorization header is a bug in the caller")
}

func TestPaginationLinks(t *testing.T) {
	cs := make([]ghfake.Comment, 250)
	for i := range cs {
		cs[i] = ghfake.Comment{User: ghfake.Octocat, Body: fmt.Sprint(i)}
	}
	s := ghfake.New(t, ghfake.WithComments(7, cs...))
	list := s.URL + "/repos/octo-org/hello-esxi/issues/7/comments"
	link := func(page int, rel string) string {
		return fmt.Sprintf(`<%s?page=%d&per_page=100>; rel="%s"`, list, page, rel)
	}
	for page, want := range map[int]string{
		1: link(2, "next") + ", " + link(3, "last"),
		2: link(1, "prev") + ", " + link(3, "next") + ", " + link(3, "last") + ", " + link(1, "first"),
		3: link(2, "prev") + ", " + link(1, "first"),
	} {
		resp, body := do(t, http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", list, page), "token "+s.Token, "")
		require.Equal(t, want, resp.Header.Get("Link"), "page %d", page)
		var got []map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		require.Len(t, got, min(100, 250-(page-1)*100))
		require.Equal(t, fmt.Sprint((page-1)*100), got[0]["body"])
	}

	// go-github follows the same links to the end.
	gh := client(t, s)
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	var all []*github.IssueComment
	for {
		page, resp, err := gh.Issues.ListComments(t.Context(), "octo-org", "hello-esxi", 7, opts)
		require.NoError(t, err)
		all = append(all, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	require.Len(t, all, 250)
	require.Equal(t, "octocat", all[0].GetUser().GetLogin())
	require.Equal(t, "User", all[0].GetUser().GetType())
	require.Less(t, all[0].GetID(), all[249].GetID())
}

func TestCommentShape(t *testing.T) {
	s := ghfake.New(t)
	resp, body := do(t, http.MethodPost, s.URL+"/repos/octo-org/hello-esxi/issues/3/comments", "Bearer "+s.Token, `{"body":"hi"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	require.NotEmpty(t, resp.Header.Get("X-RateLimit-Remaining"))
	var c map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &c))
	for _, k := range []string{"id", "node_id", "url", "html_url", "issue_url", "body", "user", "created_at", "updated_at",
		"author_association", "performed_via_github_app", "reactions"} {
		require.Contains(t, c, k)
	}
	u := c["user"].(map[string]any)
	require.Equal(t, "github-actions[bot]", u["login"])
	require.Equal(t, "Bot", u["type"])
	require.EqualValues(t, 41898282, u["id"])
	require.Equal(t, "MDM6Qm90NDE4OTgyODI=", u["node_id"])
	require.Equal(t, resp.Header.Get("Location"), c["url"])
	require.Equal(t, fmt.Sprintf("https://github.com/octo-org/hello-esxi/pull/3#issuecomment-%.0f", c["id"]), c["html_url"])
}

func TestForbiddenBody(t *testing.T) {
	s := ghfake.New(t, ghfake.WithForbidden())
	resp, body := do(t, http.MethodPost, s.URL+"/repos/octo-org/hello-esxi/issues/3/comments", "Bearer "+s.Token, `{"body":"hi"}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.NotEqual(t, "0", resp.Header.Get("X-RateLimit-Remaining"), "else go-github reads a rate limit")
	require.JSONEq(t, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment","status":"403"}`, body)
	resp, _ = do(t, http.MethodGet, s.URL+"/repos/octo-org/hello-esxi/issues/3/comments", "Bearer "+s.Token, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "a fork token still reads")
	require.Empty(t, s.Comments(3))
}

func TestBodyLimitAndOwnership(t *testing.T) {
	rec := &recorder{TB: t}
	s := ghfake.New(rec, ghfake.WithComments(5, ghfake.Comment{User: ghfake.Octocat, Body: "mine"}))
	gh := client(t, s)

	long := strings.Repeat("é", ghfake.MaxCommentChars+1)
	_, resp, err := gh.Issues.CreateComment(t.Context(), "octo-org", "hello-esxi", 5, &github.IssueComment{Body: &long})
	require.Error(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, err.Error(), "body is too long (maximum is 65536 characters)")

	exact := strings.Repeat("é", ghfake.MaxCommentChars) // characters, not bytes
	_, _, err = gh.Issues.CreateComment(t.Context(), "octo-org", "hello-esxi", 5, &github.IssueComment{Body: &exact})
	require.NoError(t, err)
	require.Empty(t, rec.errors())

	theirs := s.Comments(5)[0].ID
	edit := "edited"
	_, _, err = gh.Issues.EditComment(t.Context(), "octo-org", "hello-esxi", theirs, &github.IssueComment{Body: &edit})
	require.NoError(t, err)
	require.Len(t, rec.errors(), 1)
	require.Contains(t, rec.errors()[0], "not by the token's identity")

	_, resp, err = gh.Issues.EditComment(t.Context(), "octo-org", "hello-esxi", 999, &github.IssueComment{Body: &edit})
	require.Error(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	_, resp, err = gh.Issues.ListComments(t.Context(), "someone", "else", 5, nil)
	require.Error(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestContents(t *testing.T) {
	content := []byte(strings.Repeat("vmaccepteula\ninstall --firstdisk --overwritevmfs\n", 20))
	s := ghfake.New(t, ghfake.WithFile("0123abcd", "templates/kickstart.cfg.tmpl", content))
	gh := client(t, s)

	f, _, _, err := gh.Repositories.GetContents(t.Context(), "octo-org", "hello-esxi", "templates/kickstart.cfg.tmpl",
		&github.RepositoryContentGetOptions{Ref: "0123abcd"})
	require.NoError(t, err)
	require.Equal(t, "base64", f.GetEncoding())
	got, err := f.GetContent()
	require.NoError(t, err)
	require.Equal(t, string(content), got)
	require.Equal(t, len(content), f.GetSize())
	require.Equal(t, "kickstart.cfg.tmpl", f.GetName())
	for _, line := range strings.Split(strings.TrimSuffix(*f.Content, "\n"), "\n") {
		require.LessOrEqual(t, len(line), 60, "GitHub wraps base64 at 60 characters")
	}

	_, _, resp, err := gh.Repositories.GetContents(t.Context(), "octo-org", "hello-esxi", "templates/kickstart.cfg.tmpl",
		&github.RepositoryContentGetOptions{Ref: "main"})
	require.Error(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// GraphQL answers the one viewer query, naming a bot without "[bot]" and a
// user by its login; any other query fails the test.
func TestGraphQLViewer(t *testing.T) {
	for _, tc := range []struct {
		who         ghfake.User
		login, kind string
	}{{ghfake.Bot, "github-actions", "Bot"}, {ghfake.App, "my-app", "Bot"}, {ghfake.Octocat, "octocat", "User"}} {
		rec := &recorder{TB: t}
		s := ghfake.New(rec, ghfake.WithIdentity(tc.who))
		resp, body := do(t, http.MethodPost, s.URL+"/graphql", "Bearer "+s.Token, `{"query":"query { viewer { login __typename } }"}`)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.JSONEq(t, fmt.Sprintf(`{"data":{"viewer":{"login":%q,"__typename":%q}}}`, tc.login, tc.kind), body)
		require.Empty(t, rec.errors())
		require.Equal(t, 1, s.Queries())
		require.Zero(t, s.Count(http.MethodPost), "a query is not a REST write")
	}
	rec := &recorder{TB: t}
	s := ghfake.New(rec)
	_, body := do(t, http.MethodPost, s.URL+"/graphql", "Bearer "+s.Token, `{"query":"{ repository(owner:\"a\", name:\"b\") { id } }"}`)
	require.Contains(t, body, `"errors"`)
	require.Len(t, rec.errors(), 1)
	require.Contains(t, rec.errors()[0], "unexpected GraphQL request")
}
