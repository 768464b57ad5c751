package artifact

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// OptionsError is an unusable [Options] field.
type OptionsError struct {
	Field  string
	Reason string
}

func (e *OptionsError) Error() string { return "artifact: " + e.Field + ": " + e.Reason }

// Hint returns the fix for the user.
func (e *OptionsError) Hint() string {
	switch e.Field {
	case "name":
		return "set artifact-name to a name without \" : < > | * ? \\ / or line breaks"
	case "results-url":
		return "ACTIONS_RESULTS_URL is set by the runner: do not override it"
	}
	return "this is set by the action itself: please report it"
}

// TokenError is an ACTIONS_RUNTIME_TOKEN that does not name the job. It
// never holds the token.
type TokenError struct {
	Reason string
}

func (e *TokenError) Error() string { return "artifact: runtime token: " + e.Reason }

// Hint returns the fix for the user.
func (e *TokenError) Hint() string {
	return "ACTIONS_RUNTIME_TOKEN must be the runner's own token for this job: do not set it yourself"
}

// Error is a failed artifact service or blob storage call. It never holds
// the runtime token or the blob URL's signature.
type Error struct {
	Op     string // "create artifact", "upload blob" or "finalize artifact"
	Status int    // HTTP status; 0 when there was no answer
	Code   string // Twirp or Azure error code, when given
	Msg    string
	Err    error         // transport error, when there was no answer
	After  time.Duration // the server's Retry-After (429, 503); 0 when absent
}

// RetryAfter is how long the server asked to wait before the next try: the
// retry loop waits that long instead of its own backoff.
func (e *Error) RetryAfter() time.Duration { return e.After }

func (e *Error) Error() string {
	s := "artifact: " + e.Op + ": "
	switch {
	case e.Err != nil:
		return s + e.Err.Error()
	case e.Status != 0 && e.Status != http.StatusOK:
		s += fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
		if e.Code != "" {
			s += " (" + e.Code + ")"
		}
		if e.Msg != "" {
			s += ": " + e.Msg
		}
		return s
	}
	return s + e.Msg
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Hint returns the fix for the user.
func (e *Error) Hint() string {
	var h interface{ Hint() string }
	code := strings.ToLower(e.Code)
	switch {
	case e.Err != nil && errors.As(e.Err, &h) && h.Hint() != "":
		return h.Hint()
	case e.Err != nil:
		return "check that the runner reaches ACTIONS_RESULTS_URL and blob storage (HTTPS_PROXY, NO_PROXY, firewalls)"
	case code == "already_exists" || e.Status == http.StatusConflict:
		return "an artifact of this name already exists in the run: give each job its own artifact-name (e.g. add ${{ github.job }} or the matrix values)"
	case e.Op == "upload blob" && (e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized):
		return "blob storage refused the signed upload URL (expired, or the clock is off): re-run the job"
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || code == "unauthenticated" || code == "permission_denied":
		return "the artifact service refused the runtime token: upload from a step of the job that owns it, not from a job's services or a nested runner"
	case e.Status == http.StatusTooManyRequests || code == "resource_exhausted":
		return "artifact storage quota or rate limit reached: delete old artifacts or lower retention, then re-run"
	case e.Status >= 500 || code == "internal" || code == "unavailable":
		return "the artifact service failed: re-run the job (see https://www.githubstatus.com)"
	}
	return "the artifact service answered unexpectedly: please report it with the message above"
}
