package artifact

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
)

// maxAttempts bounds the tries of one request. GitHub's own artifact client
// retries 5xx and 429 too: the results service and blob storage shed load so.
const maxAttempts = 4

// retryDelay is the wait before attempt n+1; tests shorten it.
var retryDelay = func(attempt int) time.Duration { return time.Duration(attempt) * time.Second }

// withRetry runs do until it succeeds, fails for good, or attempts run out.
func withRetry(ctx context.Context, do func() error) error {
	for attempt := 1; ; attempt++ {
		err := do()
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(retryDelay(attempt)):
		}
	}
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
