// Package sampletest gives tests one shared small ESXi-like sample ISO per
// test process, so packages do not each write (and cache) their own.
package sampletest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/esxi-byoi/esxi-byoi/internal/sample"
)

// Name is the file name of the sample, as a vendor ISO is named.
const Name = "VMware-VMvisor-Installer-8.0U3-24022510.x86_64.iso"

var (
	once sync.Once
	path string
	err  error
)

// Small returns the path of a shared 8 MiB sample ISO. Treat it as
// read-only: copy it before changing it. Call Cleanup from TestMain.
func Small(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		dir, derr := os.MkdirTemp("", "esxi-byoi-sample-")
		if derr != nil {
			err = derr
			return
		}
		path = filepath.Join(dir, Name)
		err = sample.Write(context.Background(), sample.Options{Output: path, Size: 8 << 20})
	})
	if err != nil {
		t.Fatalf("sampletest: %v", err)
	}
	return path
}

// Cleanup removes the sample, if one was written.
func Cleanup() {
	if path != "" {
		_ = os.RemoveAll(filepath.Dir(path))
	}
}
