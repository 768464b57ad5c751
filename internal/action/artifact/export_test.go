package artifact

import (
	"testing"
	"time"
)

// SetBlockSize makes Put Block use n-byte blocks until the test ends.
func SetBlockSize(t testing.TB, n int) {
	old := blockSize
	blockSize = n
	t.Cleanup(func() { blockSize = old })
}

// SetRetryDelay makes retries wait d until the test ends.
func SetRetryDelay(t testing.TB, d time.Duration) {
	old := retryDelay
	retryDelay = func(int) time.Duration { return d }
	t.Cleanup(func() { retryDelay = old })
}
