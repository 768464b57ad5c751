package artifact

import (
	"archive/zip"
	"bytes"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// ModTime is the modification time of every file in the zip: fixed, so the
// same files always give the same bytes and hash. It is the MS-DOS epoch.
var ModTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Zip returns the deterministic zip of files, in the given order: deflated,
// mode 0644, modified at [ModTime]. Names must be relative "/"-separated
// paths without "." or ".." elements, each used once.
func Zip(files []File) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	seen := map[string]bool{}
	for _, f := range files {
		if err := checkName(f.Name, seen); err != nil {
			return nil, err
		}
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: ModTime}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("artifact: zip %s: %w", f.Name, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, fmt.Errorf("artifact: zip %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("artifact: zip: %w", err)
	}
	return buf.Bytes(), nil
}

func checkName(name string, seen map[string]bool) error {
	bad := func(why string) error {
		return &OptionsError{Field: "files", Reason: fmt.Sprintf("file name %q %s", name, why)}
	}
	switch {
	case name == "" || !utf8.ValidString(name):
		return bad("is empty or not UTF-8")
	case strings.HasPrefix(name, "/") || strings.Contains(name, "\\"):
		return bad("is absolute or has a backslash")
	case path.Clean(name) != name || name == "." || strings.HasPrefix(name, "../"):
		return bad("is not a clean relative path")
	case seen[name]:
		return bad("is used twice")
	}
	seen[name] = true
	return nil
}
