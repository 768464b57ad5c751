package comment

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-github/v76/github"
)

// Contents reads files of a repository at one commit through GitHub's
// contents API (GET /repos/{owner}/{repo}/contents/{path}?ref=). The
// action's preview reads the base of a pull request with it when the
// checkout lacks the base commit. It lives here because this package is the
// action's one client of GitHub's REST API (go-github).
type Contents struct {
	APIURL     string // GITHUB_API_URL; "" for DefaultAPIURL
	Token      string // GitHub token: secret, never logged and never in errors
	Repo       string // "owner/name"
	Ref        string // commit SHA, branch or tag
	HTTPClient *http.Client
}

// ReadFile returns file (a slash-separated path from the repository's root)
// at c.Ref; ok is false when the ref has no such file (404). Failures are an
// *[OptionsError] or an *[Error]; none contains the token.
func (c Contents) ReadFile(ctx context.Context, file string) (data []byte, ok bool, err error) {
	o := Options{APIURL: c.APIURL, Token: c.Token, Repo: c.Repo, HTTPClient: c.HTTPClient}
	owner, repo, err := splitRepo(c.Repo)
	switch {
	case err != nil:
		return nil, false, err
	case c.Token == "":
		return nil, false, &OptionsError{Field: "token", Reason: "empty"}
	case c.Ref == "":
		return nil, false, &OptionsError{Field: "ref", Reason: "empty"}
	}
	gh, err := o.client()
	if err != nil {
		return nil, false, err
	}
	op := "read " + file + " at " + c.Ref[:min(len(c.Ref), 12)]
	fc, _, resp, err := gh.Repositories.GetContents(ctx, owner, repo, file, &github.RepositoryContentGetOptions{Ref: c.Ref})
	switch {
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		return nil, false, nil
	case err != nil:
		return nil, false, o.wrap(op, err)
	case fc == nil:
		return nil, false, fmt.Errorf("comment: %s on %s: a directory, not a file", op, c.Repo)
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("comment: %s on %s: %w", op, c.Repo, err) // go-github's decoding error: no token in it
	}
	return []byte(s), true, nil
}
