package remaster

import (
	"context"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"

	"github.com/esxi-byoi/esxi-byoi/internal/iso"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

const (
	hashBlock = 1 << 20  // the hasher's one buffer: memory stays flat
	copyChunk = 64 << 20 // kernel copies run in slices so cancellation is prompt
)

// writeHashed writes the patched image to out and computes its hash, with
// the two running side by side on two cores:
//
//   - the writer copies unchanged runs of the input inside the kernel
//     (os.File.ReadFrom uses copy_file_range) and writes only the changed
//     sectors itself;
//   - the hasher reads the same patched stream (from the page cache) and
//     hashes it.
//
// The output is never read back; both sides follow one list of segments, so
// the hash is of exactly the bytes written.
func writeHashed(ctx context.Context, out, in *os.File, p *iso.Patch, h hash.Hash, task progress.Task) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		written  int64
		writeErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		written, writeErr = writeSegments(ctx, out, in, p.Segments())
		if writeErr != nil {
			cancel() // stop the hasher early
		}
	}()

	var hashed int64
	var hashErr error
	r := p.Reader()
	buf := make([]byte, hashBlock)
	for {
		if err := ctx.Err(); err != nil {
			hashErr = err
			break
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		hashed += int64(n)
		task.Add(int64(n))
		if err == io.EOF { //nolint:errorlint // io.Reader contract
			break
		}
		if err != nil {
			hashErr = err
			break
		}
	}
	if hashErr != nil {
		cancel()
	}
	wg.Wait()
	switch {
	case writeErr != nil:
		return written, writeErr
	case hashErr != nil:
		return written, hashErr
	case written != hashed:
		return written, fmt.Errorf("wrote %d bytes but hashed %d", written, hashed)
	}
	return written, nil
}

func writeSegments(ctx context.Context, out, in *os.File, segs []iso.Segment) (int64, error) {
	var total int64
	for _, s := range segs {
		if s.Data != nil {
			n, err := out.Write(s.Data)
			total += int64(n)
			if err != nil {
				return total, err
			}
			continue
		}
		if _, err := in.Seek(s.Off, io.SeekStart); err != nil {
			return total, err
		}
		for left := s.Len; left > 0; {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			n, err := out.ReadFrom(&io.LimitedReader{R: in, N: min(left, copyChunk)})
			total += n
			left -= n
			if err != nil {
				return total, err
			}
			if n == 0 {
				return total, fmt.Errorf("input ended %d bytes early", left)
			}
		}
	}
	return total, nil
}
