package realworld_test

import (
	"path/filepath"
	"testing"

	"github.com/esxi-byoi/esxi-byoi/internal/realworld"
)

func TestCorpusIsPresent(t *testing.T) {
	for sub, pattern := range map[string]string{
		"kickstarts": "*.cfg", "services": "*.yml", "bootcfg": "*.cfg", "events": "*.json",
	} {
		files := realworld.Files(t, sub, pattern)
		for _, f := range files {
			if !filepath.IsAbs(f) {
				t.Errorf("%s: not absolute", f)
			}
		}
	}
}
