// Package realworld finds the files that real users and vendors wrote
// (kickstarts, BOOT.CFGs, service YAMLs, webhook payloads) for the corpus
// tests. They are third parties' files, so the repository never holds a copy:
// they live in shared/realworld beside the checkout (../shared/realworld from
// the module root), present on every development machine and in CI.
// ESXI_BYOI_REALWORLD overrides the location.
//
// Test-only: nothing under cmd/ may import it.
package realworld

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Dir returns the absolute path of the corpus folder sub ("kickstarts",
// "services", "bootcfg", "events"). A missing corpus fails the test: the
// corpus tests are required, never skipped.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	root := os.Getenv("ESXI_BYOI_REALWORLD")
	if root == "" {
		mod, err := moduleRoot()
		if err != nil {
			t.Fatalf("realworld: %v", err)
		}
		root = filepath.Join(mod, "..", "shared", "realworld")
	}
	dir := filepath.Join(root, sub)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("realworld: corpus folder %s is missing: the real-world files live in shared/realworld beside the checkout (or set ESXI_BYOI_REALWORLD)", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// Files returns the paths of the files in Dir(t, sub) whose names match
// pattern (filepath.Match syntax, e.g. "*.cfg"), sorted; SOURCES.md and
// README.md are never returned. An empty match fails the test.
func Files(t testing.TB, sub, pattern string) []string {
	t.Helper()
	dir := Dir(t, sub)
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range m {
		if b := filepath.Base(p); b == "SOURCES.md" || b == "README.md" {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("realworld: no %s in %s", pattern, dir)
	}
	return out
}

// moduleRoot walks up from the working directory (a test runs in its
// package's directory) to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
