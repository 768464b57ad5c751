// Package docroot publishes an ISO into a directory that a web server serves
// (local, or a mounted share): the recipe's "copy it to your web server"
// without scp. Like package publish for S3 it never replaces a file with
// different bytes: an identical file is left alone, a different one refused
// unless Replace, and the copy is linked into place so that a concurrent
// writer is never overwritten. It does not serve or download anything.
package docroot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
)

// Options describe one ISO to copy into a directory served by a web
// server (local, or a mounted share).
type Options struct {
	Dir      string // the directory; must exist
	File     string // local ISO
	Name     string // file name in Dir; "" = base name of File
	Size     int64  // from the remaster stage
	SHA256   string // from the remaster stage
	Replace  bool   // allow replacing a different file of the same name
	URL      string // public URL, copied into Object.URL
	Progress progress.Reporter
}

// Publish copies o.File into o.Dir atomically (temp file, fsync, then a link
// that fails if the name exists, so a concurrent writer is never clobbered).
// An existing file with the same size and sha256 is left alone (Outcome
// SkippedIdentical); a different one is a *publish.ConflictError unless o.Replace.
func Publish(ctx context.Context, o Options) (*publish.Object, error) {
	if o.Name == "" {
		o.Name = filepath.Base(o.File)
	}
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	o.SHA256 = strings.ToLower(o.SHA256)
	target := filepath.Join(o.Dir, o.Name)
	obj := &publish.Object{URL: o.URL, Path: target, Size: o.Size, SHA256: o.SHA256}
	if err := checkDir(o.Dir); err != nil {
		return nil, err
	}
	same, err := sameFile(ctx, o, target)
	if err != nil {
		return nil, err
	}
	if same {
		obj.Outcome = publish.SkippedIdentical
		return obj, nil
	}
	if err := copyInto(ctx, o, target); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		// Someone else created target after our check.
		if same, serr := sameFile(ctx, o, target); serr != nil || !same {
			if serr == nil {
				serr = conflict(o, target, true)
			}
			return nil, serr
		}
		obj.Outcome = publish.SkippedIdentical
		return obj, nil
	}
	obj.Outcome = publish.Published
	return obj, nil
}

// sameFile reports whether target holds the ISO already. A different file is
// a *publish.ConflictError unless Replace (then false, nil).
func sameFile(ctx context.Context, o Options, target string) (bool, error) {
	st, err := os.Stat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if src, err := os.Stat(o.File); err == nil && os.SameFile(src, st) {
		return true, nil // the ISO to publish is already this file (publishing a file in the directory)
	}
	if st.Size() == o.Size {
		_, sum, err := publish.Digest(ctx, target, o.Progress)
		if err != nil {
			return false, err
		}
		if sum == o.SHA256 {
			return true, nil
		}
	}
	if o.Replace {
		return false, nil
	}
	return false, conflict(o, target, false)
}

func conflict(o Options, target string, concurrent bool) error {
	c := &publish.ConflictError{Where: target, WantSize: o.Size, WantSHA256: o.SHA256, Concurrent: concurrent}
	if st, err := os.Stat(target); err == nil {
		c.Size = st.Size()
		if st.Size() == o.Size {
			_, c.SHA256, _ = publish.Digest(context.Background(), target, progress.Discard)
		}
	}
	return c
}

// copyInto writes o.File to a temp file beside target, fsyncs it, and puts it
// in place: with Replace by rename, else by link(2), which fails with EEXIST
// rather than overwrite.
func copyInto(ctx context.Context, o Options, target string) error {
	src, err := os.Open(o.File)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := safefile.Create(target)
	if err != nil {
		return err
	}
	defer out.Abort()
	task := o.Progress.Start("copying to "+target, o.Size)
	defer task.Done()
	// Chunks through io.CopyN keep the kernel copy (copy_file_range) and
	// still report progress and notice cancellation.
	const chunk = 64 << 20
	var n int64
	for n < o.Size {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := io.CopyN(out.File, src, min(chunk, o.Size-n))
		n += m
		task.Add(m)
		if err != nil {
			return fmt.Errorf("copy %s to %s: %w", o.File, target, err)
		}
	}
	if o.Replace {
		return out.Commit()
	}
	if err := out.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := os.Link(out.Name(), target); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// No hard links on this file system (some FUSE/SMB mounts): a
		// rename after our check, which a concurrent writer could race.
		return out.Commit()
	}
	// out.Abort (deferred) now removes the temp name; the data stays under target.
	if d, err := os.Open(o.Dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
