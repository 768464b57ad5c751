package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// Digest reads path once and returns its size and hex sha256: for an ISO
// that no remaster stage has hashed (esxi-byoi publish), and for a file
// already published in a directory (package docroot).
func Digest(ctx context.Context, path string, rep progress.Reporter) (int64, string, error) {
	if rep == nil {
		rep = progress.Discard
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, "", err
	}
	task := rep.Start("hashing "+path, st.Size())
	defer task.Done()
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(h, progress.Writer{T: task}), ctxReader{ctx, f}, make([]byte, 1<<20))
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
