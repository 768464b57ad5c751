package retry_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// clock is an injected clock whose Sleep records the wait and advances time
// at once: no test here waits or times anything.
type clock struct {
	now   time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) policy(p retry.Policy) retry.Policy {
	p.Now = func() time.Time { return c.now }
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		c.waits = append(c.waits, d)
		c.now = c.now.Add(d)
		return nil
	}
	if p.Jitter == nil {
		p.Jitter = func(d time.Duration) time.Duration { return d }
	}
	return p
}

var errBusy = errors.New("busy")

type afterErr struct{ d time.Duration }

func (e afterErr) Error() string             { return "429 too many requests" }
func (e afterErr) RetryAfter() time.Duration { return e.d }

func TestBackoffDoublesUpToMaxAndAttemptsCap(t *testing.T) {
	c := newClock()
	calls := 0
	n, err := c.policy(retry.Policy{Attempts: 6, Base: time.Second, Max: 5 * time.Second}).Do(t.Context(), func(a int) error {
		calls++
		require.Equal(t, calls, a, "attempts are numbered from 1")
		return errBusy
	})
	require.ErrorIs(t, err, errBusy)
	require.Equal(t, 6, n)
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}, c.waits)
}

func TestSuccessAfterRetries(t *testing.T) {
	c := newClock()
	n, err := c.policy(retry.Policy{Attempts: 5}).Do(t.Context(), func(a int) error {
		if a < 3 {
			return errBusy
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Len(t, c.waits, 2)
}

func TestNotRetryableStopsAtOnce(t *testing.T) {
	c := newClock()
	permanent := errors.New("403 forbidden")
	n, err := c.policy(retry.Policy{Retryable: func(err error) bool { return err != permanent }}).Do(t.Context(), func(int) error {
		return permanent
	})
	require.ErrorIs(t, err, permanent)
	require.Equal(t, 1, n)
	require.Empty(t, c.waits)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	c := newClock()
	_, err := c.policy(retry.Policy{Attempts: 2, Base: time.Second}).Do(t.Context(), func(int) error {
		return afterErr{7 * time.Second}
	})
	require.Error(t, err)
	require.Equal(t, []time.Duration{7 * time.Second}, c.waits, "Retry-After replaces the backoff, without jitter")
}

func TestRetryAfterBeyondMaxAfterEnds(t *testing.T) {
	c := newClock()
	n, err := c.policy(retry.Policy{Attempts: 5, MaxAfter: time.Minute}).Do(t.Context(), func(int) error {
		return afterErr{time.Hour}
	})
	var ae afterErr
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 1, n)
	require.Empty(t, c.waits, "an hour's pause is not waited for")
}

func TestDeadlineFromContext(t *testing.T) {
	c := newClock()
	// The deadline is 10s after the injected clock's start; the real clock
	// is far behind it, so the context itself never expires in this test.
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(time.Hour))
	defer cancel()
	dl, _ := ctx.Deadline()
	c.now = dl.Add(-10 * time.Second)
	n, err := c.policy(retry.Policy{Base: 4 * time.Second, Max: time.Minute}).Do(ctx, func(int) error { return errBusy })
	require.ErrorIs(t, err, errBusy)
	require.Equal(t, []time.Duration{4 * time.Second}, c.waits, "4s fits before the deadline, the next 8s would not")
	require.Equal(t, 2, n)
}

func TestCancelledDuringWait(t *testing.T) {
	c := newClock()
	ctx, cancel := context.WithCancel(t.Context())
	p := c.policy(retry.Policy{})
	p.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return context.Cause(ctx) }
	n, err := p.Do(ctx, func(int) error { return afterErr{time.Second} })
	require.ErrorIs(t, err, context.Canceled)
	var ae afterErr
	require.ErrorAs(t, err, &ae, "the operation's last error stays reachable")
	require.Equal(t, 1, n)
}

func TestCancelledContextIsNotRetried(t *testing.T) {
	c := newClock()
	ctx, cancel := context.WithCancel(t.Context())
	n, err := c.policy(retry.Policy{}).Do(ctx, func(int) error { cancel(); return context.Canceled })
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 1, n)
	require.Empty(t, c.waits)
}

func TestHalfJitterStaysInRange(t *testing.T) {
	for range 1000 {
		d := retry.HalfJitter(10 * time.Second)
		require.GreaterOrEqual(t, d, 5*time.Second)
		require.LessOrEqual(t, d, 10*time.Second)
	}
	require.Equal(t, time.Duration(0), retry.HalfJitter(0))
}

func TestParseAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                  0,
		"120":               2 * time.Minute,
		" 3 ":               3 * time.Second,
		"-5":                0,
		"99999999999999999": 24 * time.Hour,
		"soon":              0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
		"Friday, 02-Jan-26 03:05:05 GMT":                  time.Minute, // RFC 850, obsolete but allowed
	} {
		require.Equal(t, want, retry.ParseAfter(in, now), "Retry-After %q", in)
	}
}
