package iso_test

import (
	"bytes"
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/iso"
)

// failingReader serves img but fails every read past the volume descriptors
// with the operating system's EIO, as a bad disk does.
type failingReader struct{ img []byte }

func (r failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= 20*iso.SectorSize {
		return 0, &fs.PathError{Op: "read", Path: "in.iso", Err: syscall.EIO}
	}
	return bytes.NewReader(r.img).ReadAt(p, off)
}

// A disk read error is not a corrupt image: it is a *ReadError whose chain
// reaches the OS error, and no "download it again" hint comes with it.
func TestReadErrorKeepsTheCause(t *testing.T) {
	img := buildImage(t, smallTree())
	_, err := iso.Open(failingReader{img}, int64(len(img)))
	require.Error(t, err)
	var re *iso.ReadError
	require.ErrorAs(t, err, &re, "%v", err)
	require.ErrorIs(t, err, syscall.EIO)
	var fe *iso.FormatError
	require.False(t, errors.As(err, &fe), "not reported as a corrupt image: %v", err)
	var h interface{ Hint() string }
	require.False(t, errors.As(err, &h), "no download-again hint: %v", err)
}

// A structural defect is a *FormatError with its fix.
func TestFormatErrorHasItsHint(t *testing.T) {
	img := buildImage(t, smallTree())
	bad := bytes.Clone(img)
	copy(bad[17*iso.SectorSize+1:], "XXXXX") // the descriptor after the PVD is no descriptor
	_, err := iso.Open(bytes.NewReader(bad), int64(len(bad)))
	var fe *iso.FormatError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, int64(17), fe.Sector)
	require.Equal(t, "the ISO is damaged: download it again", fe.Hint())
}
