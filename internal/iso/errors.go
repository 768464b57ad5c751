package iso

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Sentinel errors. They are wrapped in context by callers; test with errors.Is.
var (
	// ErrNotISO9660 means sector 16 holds no ISO 9660 volume descriptor.
	ErrNotISO9660 = errors.New("not an ISO 9660 image (no CD001 volume descriptor at sector 16)")
	// ErrTruncated means the image is shorter than its volume descriptor says.
	ErrTruncated = errors.New("image is truncated")
	// ErrNotFound means no directory record names the path.
	ErrNotFound = errors.New("file not found in image")
)

// FormatError is a structural defect at a known place in the image. Err is
// the cause when a parser below reported it (errors.As reaches it).
type FormatError struct {
	Sector int64  // logical sector (2048 bytes) where the defect is
	Reason string // what is wrong
	Err    error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("corrupt ISO 9660 image at sector %d: %s", e.Sector, e.Reason)
}

// Unwrap returns the cause, if any.
func (e *FormatError) Unwrap() error { return e.Err }

// Hint is the fix for a damaged image.
func (e *FormatError) Hint() string { return "the ISO is damaged: download it again" }

// ReadError is a read of the image that failed in the operating system (an
// I/O error of the disk or the file system): the image itself may be fine,
// so it is not a [FormatError]. Err is the cause.
type ReadError struct {
	Sector int64
	Reason string
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("read ISO image at sector %d: %s", e.Sector, e.Reason)
}

// Unwrap returns the cause.
func (e *ReadError) Unwrap() error { return e.Err }

// UnsupportedError means the image is valid but cannot be patched safely; the
// package refuses rather than write an image that might not boot. Err is the
// cause when a reader below reported it.
type UnsupportedError struct {
	Reason string
	Err    error
}

func (e *UnsupportedError) Error() string {
	return "image cannot be patched safely: " + e.Reason
}

// Unwrap returns the cause, if any.
func (e *UnsupportedError) Unwrap() error { return e.Err }

// Hint is the fix: the vendor's image is known to patch. It names no
// command, as the action prints it too.
func (e *UnsupportedError) Hint() string {
	return "start from the vendor's unmodified ISO; if it is one, report an issue naming the ISO's file name and this message"
}

// formatErr returns a *FormatError at sector; a %w operand is its cause.
// When that cause is the operating system's (a *fs.PathError or an errno),
// the image could not be read at all, and the error is a *ReadError.
func formatErr(sector int64, format string, args ...any) error {
	wrapped := fmt.Errorf(format, args...)
	cause := errors.Unwrap(wrapped)
	var pe *fs.PathError
	var errno syscall.Errno
	if cause != nil && (errors.As(cause, &pe) || errors.As(cause, &errno)) {
		return &ReadError{Sector: sector, Reason: wrapped.Error(), Err: cause}
	}
	return &FormatError{Sector: sector, Reason: wrapped.Error(), Err: cause}
}

// unsupported returns an *UnsupportedError; a %w operand is its cause.
func unsupported(format string, args ...any) error {
	wrapped := fmt.Errorf(format, args...)
	return &UnsupportedError{Reason: wrapped.Error(), Err: errors.Unwrap(wrapped)}
}
