// Package safefile writes files atomically: data goes to a temporary file in the
// target's directory, is fsynced, and only then renamed over the target. A failed
// or aborted write leaves nothing behind, so a reader never sees half a file.
package safefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is an output file under construction. Write to it, then call Commit;
// call Abort (safe to defer, a no-op after Commit) on every error path.
type File struct {
	*os.File
	target string
	done   bool
}

// Create opens a temporary file beside path. The directory must exist and be
// writable; the error then names the directory, which is what the user must fix.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("output directory %s does not exist: %w", dir, err)
		}
		return nil, fmt.Errorf("output directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("output directory %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	return &File{File: f, target: path}, nil
}

// Target is the final path the file is renamed to by Commit.
func (f *File) Target() string { return f.target }

// Commit flushes the data to stable storage and renames the file into place.
func (f *File) Commit() error {
	if f.done {
		return errors.New("safefile: commit after commit or abort")
	}
	if err := f.Chmod(0o644); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", f.target, err)
	}
	if err := f.Sync(); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", f.target, err)
	}
	if err := f.Close(); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", f.target, err)
	}
	if err := os.Rename(f.Name(), f.target); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", f.target, err)
	}
	f.done = true
	// Make the rename itself durable; failure here does not undo a visible file.
	if d, err := os.Open(filepath.Dir(f.target)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Abort closes and removes the temporary file. It is a no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// WriteFile atomically replaces path with data.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// Same reports whether a and b name one file: the same absolute path, or the
// same existing file by inode (a hard link, a symbolic link). Writing to b
// would then truncate a while it may still be read.
func Same(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == ab {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
