package comment

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v76/github"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
)

// OptionsError is an unusable [Options] field.
type OptionsError struct {
	Field  string
	Reason string
}

func (e *OptionsError) Error() string { return "comment: " + e.Field + ": " + e.Reason }

// Hint returns the fix for the user.
func (e *OptionsError) Hint() string {
	switch e.Field {
	case "token":
		return "pass github-token (its default is ${{ github.token }})"
	case "api-url":
		return "GITHUB_API_URL must be the REST API root, e.g. https://api.github.com or https://HOST/api/v3"
	case "repo", "pr":
		return "run the comment step on a pull_request event, where GITHUB_REPOSITORY and the event's pull_request.number are set"
	}
	return "this is set by the action itself: please report it"
}

// Error is a failed GitHub API call. It never holds the token: GitHub's
// answers are kept as status and message with the token redacted, and only
// transport errors are wrapped (they carry no header values, and the API URL
// may not hold credentials).
type Error struct {
	Op      string // "list comments", "find the token's login", "create comment", "edit comment" or "read FILE at REF"
	Repo    string
	PR      int    // 0 for a read of the repository's contents
	Status  int    // HTTP status; 0 when there was no answer
	Message string // GitHub's message (and validation details)
	Err     error  // transport error, classified by httpclient.Describe; nil for an answer
}

func (e *Error) Error() string {
	s := fmt.Sprintf("comment: %s on %s: ", e.Op, e.Repo)
	if e.PR > 0 {
		s = fmt.Sprintf("comment: %s on %s#%d: ", e.Op, e.Repo, e.PR)
	}
	switch {
	case e.Err != nil:
		s += e.Err.Error()
	case e.Message != "":
		s += fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	default:
		s += fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	}
	return s
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Hint returns the fix for the user.
func (e *Error) Hint() string {
	var h interface{ Hint() string }
	switch {
	case e.Err != nil && errors.As(e.Err, &h) && h.Hint() != "":
		return h.Hint()
	case e.Err != nil:
		return "check GITHUB_API_URL and that this machine reaches it (HTTPS_PROXY, NO_PROXY, firewalls)"
	case e.Status == http.StatusUnauthorized:
		return "the token was refused: pass a valid github-token (default ${{ github.token }})"
	case e.Status == http.StatusTooManyRequests || strings.Contains(strings.ToLower(e.Message), "rate limit"):
		return "GitHub's API rate limit was hit: re-run the job later"
	case e.Status == http.StatusForbidden && e.PR == 0:
		return "give the job `permissions: contents: read`, or use a token that may read the repository"
	case e.Status == http.StatusForbidden:
		return "give the job `permissions: pull-requests: write`, or use a token that may comment"
	case e.Status == http.StatusNotFound:
		return "check the repository and pull request number; a token without access to a private repository also gets 404"
	case e.Status == http.StatusUnprocessableEntity:
		return "GitHub rejected the comment body: please report it with the message above"
	case e.Status >= 500:
		return "GitHub's API failed: re-run the job (see https://www.githubstatus.com)"
	}
	return "see the message from GitHub above"
}

// wrap turns a go-github error into an *Error.
func (o Options) wrap(op string, err error) error {
	if ce, ok := err.(*Error); ok { // already ours (the viewer query)
		return ce
	}
	e := &Error{Op: op, Repo: o.Repo, PR: o.PR}
	var (
		er  *github.ErrorResponse
		rl  *github.RateLimitError
		arl *github.AbuseRateLimitError
	)
	switch {
	case errors.As(err, &er):
		e.Message = er.Message
		for _, d := range er.Errors {
			if d.Message != "" {
				e.Message += "; " + d.Message
			} else if d.Field != "" {
				e.Message += fmt.Sprintf("; %s %s", d.Field, d.Code)
			}
		}
		if er.Response != nil {
			e.Status = er.Response.StatusCode
		}
	case errors.As(err, &rl):
		e.Status, e.Message = http.StatusForbidden, rl.Message
	case errors.As(err, &arl):
		e.Status, e.Message = http.StatusForbidden, arl.Message
	default:
		e.Err = httpclient.Describe(err)
		if o.Token != "" && strings.Contains(e.Err.Error(), o.Token) {
			e.Err = errors.New(redact(e.Err.Error(), o.Token)) // loses the type, keeps the secret out
		}
	}
	e.Message = redact(e.Message, o.Token)
	return e
}

// redact replaces every occurrence of token in s.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "***")
}
