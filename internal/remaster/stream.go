package remaster

import (
	"context"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// Stream tuning: 4 × 1 MiB blocks keep memory flat whatever the ISO size and
// give the writer and the hasher enough slack to run side by side.
const (
	blockSize = 1 << 20
	numBlocks = 4
)

type block struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

// copyHashed copies src to dst and feeds the same bytes to h. Writing and
// hashing run on their own goroutines, so on two cores the hash (the slowest
// part: ~1 GB/s) overlaps the copy instead of following it; the ISO is read
// once. Blocks are shared, not copied, and recycled when both are done.
func copyHashed(ctx context.Context, dst io.Writer, src io.Reader, h hash.Hash, task progress.Task) (int64, error) {
	free := make(chan *block, numBlocks)
	for range numBlocks {
		free <- &block{buf: make([]byte, blockSize)}
	}
	release := func(b *block) {
		if b.refs.Add(-1) == 0 {
			free <- b
		}
	}
	toWrite := make(chan *block, numBlocks)
	toHash := make(chan *block, numBlocks)
	var (
		wg       sync.WaitGroup
		writeErr atomic.Pointer[error]
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for b := range toWrite {
			if writeErr.Load() == nil {
				if _, err := dst.Write(b.buf[:b.n]); err != nil {
					writeErr.Store(&err)
				}
			}
			release(b)
		}
	}()
	go func() {
		defer wg.Done()
		for b := range toHash {
			h.Write(b.buf[:b.n])
			release(b)
		}
	}()

	var total int64
	var readErr error
	for {
		if err := ctx.Err(); err != nil {
			readErr = err
			break
		}
		if writeErr.Load() != nil {
			break
		}
		b := <-free
		n, err := io.ReadFull(src, b.buf)
		if n > 0 {
			b.n = n
			b.refs.Store(2)
			toWrite <- b
			toHash <- b
			total += int64(n)
			task.Add(int64(n))
		} else {
			free <- b
		}
		// ReadFull returns these two unwrapped only for a clean end of src; a
		// wrapped one from the reader is a real failure and falls through.
		if err == io.EOF || err == io.ErrUnexpectedEOF { //nolint:errorlint // identity is the point
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	close(toWrite)
	close(toHash)
	wg.Wait()
	if p := writeErr.Load(); p != nil {
		return total, *p
	}
	return total, readErr
}
