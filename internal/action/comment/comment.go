package comment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v76/github"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
)

// MaxChars is GitHub's limit on a comment body, in characters. [Upsert] keeps
// the whole body, marker included, within this many BYTES, which bounds the
// character count however GitHub counts (code points or UTF-16 units).
const MaxChars = 65536

// DefaultAPIURL is used when [Options.APIURL] is empty.
const DefaultAPIURL = "https://api.github.com"

// The actions [Upsert] reports in [Result.Action].
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged" // the marker hash matched: no write was made
	Forbidden = "forbidden" // 403 "Resource not accessible by integration"
)

// ForbiddenHint is the advice for a [Forbidden] result, for the caller's warning.
const ForbiddenHint = "the token may not comment on this pull request: a pull request from a fork or by Dependabot " +
	"gets a read-only token (the job summary and the artifact still carry the result; see the workflow_run pattern in the README), " +
	"otherwise give the job `permissions: pull-requests: write`"

// Options say which comment to keep and what it holds.
type Options struct {
	APIURL   string // GITHUB_API_URL, e.g. https://api.github.com; "/" is appended for go-github's BaseURL
	Token    string // GitHub token: secret, never logged and never in errors
	Repo     string // "owner/name"
	PR       int    // pull request number
	Workflow string // GITHUB_WORKFLOW
	Job      string // GITHUB_JOB
	// Header tells apart the comments of one workflow job, e.g. the jobs of
	// a matrix (which share GITHUB_WORKFLOW and GITHUB_JOB); "" for none.
	Header string
	// GraphQLURL is GITHUB_GRAPHQL_URL, where the token's own login is asked
	// for (viewer { login }); "" derives it from APIURL.
	GraphQLURL string
	Body       string // Markdown, built by the caller
	Pointer    string // appended when the body must be truncated, e.g. "Full result in the job summary and the artifact <name>."
	// Author is the login the token posts as, whose comments may be edited.
	// Empty means: ask GraphQL who the token is. See the package doc.
	Author     string
	HTTPClient *http.Client // nil: httpclient.New with a 60 s timeout
}

// Result says what [Upsert] did.
type Result struct {
	URL    string // html_url of the comment; empty when Forbidden
	ID     int64  // comment id; 0 when Forbidden
	Action string // Created, Updated, Unchanged or Forbidden
}

// Upsert creates or updates the sticky comment of o.Workflow/o.Job on pull
// request o.PR. It reads every page of comments until it finds ours, edits it
// (PATCH) when the hash in its marker differs from the new text's (the stored
// text itself is not compared), makes no write when it matches, and
// creates one (POST) when there is none. A 403 "Resource not accessible by
// integration" on any call returns Result{Action: Forbidden} and a nil error.
// Other failures are an *[OptionsError] or an *[Error]; none contains the token.
func Upsert(ctx context.Context, o Options) (*Result, error) {
	owner, repo, err := o.check()
	if err != nil {
		return nil, err
	}
	key := Key(o.Workflow, o.Job)
	if o.Header != "" {
		key += "/" + escape(o.Header)
	}
	room := MaxChars - len(Marker(key, strings.Repeat("0", sha256.Size*2))) - 1
	text, _ := Truncate(o.Body, o.Pointer, room)
	if len(text) > room {
		return nil, &OptionsError{Field: "pointer", Reason: "too long to fit in a comment"}
	}
	sum := sha256.Sum256([]byte(text))
	hash := hex.EncodeToString(sum[:])
	body := Marker(key, hash) + "\n" + text

	gh, err := o.client()
	if err != nil {
		return nil, err
	}
	fail := func(op string, err error) (*Result, error) {
		if isForbidden(err) {
			return &Result{Action: Forbidden}, nil
		}
		return nil, o.wrap(op, err)
	}

	old, err := o.find(ctx, gh, owner, repo, key)
	if err != nil {
		return fail("list comments", err)
	}
	if old != nil {
		if markerHash(old.GetBody(), key) == hash {
			return &Result{URL: old.GetHTMLURL(), ID: old.GetID(), Action: Unchanged}, nil
		}
		c, _, err := gh.Issues.EditComment(ctx, owner, repo, old.GetID(), &github.IssueComment{Body: &body})
		if err != nil {
			return fail("edit comment", err)
		}
		return &Result{URL: c.GetHTMLURL(), ID: c.GetID(), Action: Updated}, nil
	}
	c, _, err := gh.Issues.CreateComment(ctx, owner, repo, o.PR, &github.IssueComment{Body: &body})
	if err != nil {
		return fail("create comment", err)
	}
	return &Result{URL: c.GetHTMLURL(), ID: c.GetID(), Action: Created}, nil
}

// find returns the oldest comment that starts with key's marker and was
// written by the token's identity, reading pages of 100 until it is found or
// the Link header has no rel="next". The identity is asked for only when a
// comment with the marker turns up.
func (o Options) find(ctx context.Context, gh *github.Client, owner, repo, key string) (*github.IssueComment, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	var me *identity
	if o.Author != "" {
		me = &identity{login: o.Author, bot: strings.HasSuffix(o.Author, "[bot]")}
	}
	for {
		cs, resp, err := gh.Issues.ListComments(ctx, owner, repo, o.PR, opts)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if markerHash(c.GetBody(), key) == "" {
				continue
			}
			if me == nil {
				if me, err = o.viewer(ctx, gh); err != nil {
					return nil, err
				}
			}
			if me.owns(c.GetUser()) {
				return c, nil
			}
		}
		// NextPage comes from rel="next"; it must move forward, or a broken
		// Link header would loop for ever.
		if resp.NextPage == 0 || resp.NextPage <= opts.Page {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// splitRepo splits "owner/name".
func splitRepo(s string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(s, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", &OptionsError{Field: "repo", Reason: fmt.Sprintf("%q is not owner/name", s)}
	}
	return owner, repo, nil
}

func (o Options) check() (owner, repo string, err error) {
	owner, repo, err = splitRepo(o.Repo)
	switch {
	case err != nil:
		return "", "", err
	case o.PR <= 0:
		return "", "", &OptionsError{Field: "pr", Reason: fmt.Sprintf("%d is not a pull request number", o.PR)}
	case o.Token == "":
		return "", "", &OptionsError{Field: "token", Reason: "empty"}
	case o.Workflow == "" || o.Job == "":
		return "", "", &OptionsError{Field: "workflow/job", Reason: "empty (GITHUB_WORKFLOW and GITHUB_JOB key the comment)"}
	case strings.TrimSpace(o.Body) == "":
		return "", "", &OptionsError{Field: "body", Reason: "empty"}
	}
	return owner, repo, nil
}

// client returns a go-github client for o.APIURL with the token.
func (o Options) client() (*github.Client, error) {
	api := o.APIURL
	if api == "" {
		api = DefaultAPIURL
	}
	base, err := url.Parse(strings.TrimRight(api, "/") + "/")
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil {
		return nil, &OptionsError{Field: "api-url", Reason: "not an http(s) URL without credentials"}
	}
	hc := o.HTTPClient
	if hc == nil {
		if hc, err = httpclient.New(httpclient.Options{Timeout: 60 * time.Second}); err != nil {
			return nil, fmt.Errorf("github client: %w", err)
		}
	}
	gh := github.NewClient(hc).WithAuthToken(o.Token)
	gh.BaseURL = base
	gh.UserAgent = httpclient.UserAgent()
	return gh, nil
}

// isForbidden reports GitHub's answer to a token that lacks the permission:
// the read-only token of a fork pull request or a Dependabot run.
func isForbidden(err error) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden &&
		strings.Contains(strings.ToLower(er.Message), "resource not accessible by integration")
}
