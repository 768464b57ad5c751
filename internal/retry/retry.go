// Package retry runs an operation again when it fails in a way that may pass:
// exponential backoff with jitter, a cap on attempts, the context's deadline
// (no wait that would end past it), and a server's Retry-After (seconds or an
// HTTP-date). It is the one retry loop of verify, the artifact upload, the
// S3 abort and the portal's health polling (a steady poll: Base = Max, no
// jitter, "not every controller answered yet" as a retryable error).
//
// It does not decide what is worth retrying: the caller's [Policy.Retryable]
// does, from its own typed errors. Time is injected ([Policy.Sleep],
// [Policy.Now], [Policy.Jitter]) so tests never wait.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of [Policy].
const (
	DefaultBase     = time.Second
	DefaultMax      = 30 * time.Second
	DefaultMaxAfter = 5 * time.Minute
)

// Policy says how often and how long to retry. The zero value retries every
// error with 1s, 2s, 4s… (at most 30s) until the context ends.
type Policy struct {
	// Attempts caps the tries, the first included; 0 means no cap (the
	// context's deadline or cancellation ends the loop).
	Attempts int
	// Base is the first wait, doubled after each retry up to Max.
	Base, Max time.Duration
	// MaxAfter is the longest Retry-After honoured: a server asking for a
	// longer pause ends the retries with its error rather than block.
	MaxAfter time.Duration
	// Retryable reports whether err may pass on another try; nil means
	// every error.
	Retryable func(err error) bool

	// Sleep waits d or until ctx ends (returning its cause); tests inject
	// one that records and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for the context deadline and Retry-After dates.
	Now func() time.Time
	// Jitter returns the wait actually taken for a backoff of d; the
	// default takes a uniform pick in [d/2, d] so that many clients who
	// failed together do not retry together. Not applied to Retry-After.
	Jitter func(d time.Duration) time.Duration
}

// Afterer is an error that carries the server's Retry-After.
type Afterer interface {
	RetryAfter() time.Duration
}

// Do calls op (with the attempt number, from 1) until it returns nil, an
// error Retryable rejects, the attempts are spent, the next wait would end
// past the context's deadline, or a Retry-After exceeds MaxAfter: it then
// returns op's last error and the number of attempts made. When the context
// ends during a wait, the error wraps both the context's cause and op's last
// error, so errors.Is finds context.Canceled and errors.As the typed cause.
func (p Policy) Do(ctx context.Context, op func(attempt int) error) (int, error) {
	p.defaults()
	wait := p.Base
	for attempt := 1; ; attempt++ {
		err := op(attempt)
		if err == nil {
			return attempt, nil
		}
		if ctx.Err() != nil || !p.Retryable(err) || (p.Attempts > 0 && attempt >= p.Attempts) {
			return attempt, err
		}
		d := p.Jitter(wait)
		wait = min(2*wait, p.Max)
		var a Afterer
		if errors.As(err, &a) && a.RetryAfter() > 0 {
			if a.RetryAfter() > p.MaxAfter {
				return attempt, err
			}
			d = a.RetryAfter()
		}
		if dl, ok := ctx.Deadline(); ok && p.Now().Add(d).After(dl) {
			return attempt, err // no time left for another try
		}
		if serr := p.Sleep(ctx, d); serr != nil {
			return attempt, &StoppedError{Cause: serr, Last: err}
		}
	}
}

// StoppedError is a retry loop whose context ended while it waited.
type StoppedError struct {
	Cause error // context.Cause: context.Canceled, DeadlineExceeded, …
	Last  error // the operation's last error
}

func (e *StoppedError) Error() string { return fmt.Sprintf("%v (last: %v)", e.Cause, e.Last) }

// Unwrap returns both errors: errors.Is(err, context.Canceled) and
// errors.As(err, &typed) both work.
func (e *StoppedError) Unwrap() []error { return []error{e.Cause, e.Last} }

func (p *Policy) defaults() {
	if p.Base <= 0 {
		p.Base = DefaultBase
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	p.Max = max(p.Max, p.Base)
	if p.MaxAfter <= 0 {
		p.MaxAfter = DefaultMaxAfter
	}
	if p.Retryable == nil {
		p.Retryable = func(error) bool { return true }
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Jitter == nil {
		p.Jitter = HalfJitter
	}
}

// Sleep waits d, or until ctx ends and then returns context.Cause(ctx).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// HalfJitter picks a wait uniformly in [d/2, d].
func HalfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// ParseAfter reads a Retry-After header value: delay-seconds or an HTTP-date
// (RFC 9110, section 10.2.3), relative to now. It returns 0 for an empty,
// malformed or past value.
func ParseAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		// Clamped to a day before the multiplication can overflow.
		return time.Duration(max(0, min(n, 86400))) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return max(0, t.Sub(now))
}
