package artifact

import (
	"context"
	"testing"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// SetBlockSize makes Put Block use n-byte blocks until the test ends.
func SetBlockSize(t testing.TB, n int) {
	old := blockSize
	blockSize = n
	t.Cleanup(func() { blockSize = old })
}

// SetRetryDelay makes retries wait d (instead of the backoff) until the test ends.
func SetRetryDelay(t testing.TB, d time.Duration) {
	old := sleep
	sleep = func(ctx context.Context, _ time.Duration) error { return retry.Sleep(ctx, d) }
	t.Cleanup(func() { sleep = old })
}

// RecordRetryWaits makes retries return at once, recording how long each
// would have waited, until the test ends.
func RecordRetryWaits(t testing.TB) *[]time.Duration {
	var waits []time.Duration
	old := sleep
	sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	t.Cleanup(func() { sleep = old })
	return &waits
}
