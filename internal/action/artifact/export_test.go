package artifact

import "testing"

// SetBlockSize makes Put Block use n-byte blocks until the test ends.
func SetBlockSize(t testing.TB, n int) {
	old := blockSize
	blockSize = n
	t.Cleanup(func() { blockSize = old })
}
