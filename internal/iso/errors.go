package iso

import (
	"errors"
	"fmt"
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

// FormatError is a structural defect at a known place in the image.
type FormatError struct {
	Sector int64  // logical sector (2048 bytes) where the defect is
	Reason string // what is wrong
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("corrupt ISO 9660 image at sector %d: %s", e.Sector, e.Reason)
}

// UnsupportedError means the image is valid but cannot be patched safely; the
// package refuses rather than write an image that might not boot.
type UnsupportedError struct{ Reason string }

func (e *UnsupportedError) Error() string {
	return "image cannot be patched safely: " + e.Reason
}

func formatErr(sector int64, format string, args ...any) error {
	return &FormatError{Sector: sector, Reason: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Reason: fmt.Sprintf(format, args...)}
}
