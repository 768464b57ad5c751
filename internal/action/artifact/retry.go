package artifact

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// maxAttempts bounds the tries of one request. GitHub's own artifact client
// retries 5xx and 429 too: the results service and blob storage shed load so.
const maxAttempts = 4

// sleep waits between attempts; tests make it return at once.
var sleep = retry.Sleep

// withRetry runs do until it succeeds, fails for good, or attempts run out:
// 1s, 2s, 4s with jitter, never past the context's deadline.
func withRetry(ctx context.Context, do func() error) error {
	_, err := retry.Policy{
		Attempts: maxAttempts, Base: time.Second, Max: 4 * time.Second,
		Retryable: retryable, Sleep: sleep,
	}.Do(ctx, func(int) error { return do() })
	return err
}

// retryable: 429 and 5xx answers, and transport errors that may pass
// (refused, reset, timeouts); never 4xx or TLS trust problems.
func retryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.Status == http.StatusTooManyRequests || e.Status >= 500 {
		return true
	}
	var he *httpclient.Error
	return e.Status == 0 && errors.As(e.Err, &he) && he.Transient()
}
