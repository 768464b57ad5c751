package action

import (
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

// annotateLint makes one annotation per lint finding of a build (its hosts
// are listed in the message), with file and line when the file is in the
// workspace, and prints the findings inside stop-commands: they quote lines
// that a pull request controls.
func (j *job) annotateLint(findings []kickstart.Finding) {
	if len(findings) == 0 {
		return
	}
	var text strings.Builder
	for _, f := range findings {
		rel, inRepo := j.inWorkspace(f.File)
		if inRepo {
			f.File = rel
		}
		a := lintAnnotation(f, inRepo)
		a.Msg = j.forReader(a.Msg) // the hosts' files, too, relative to the workspace
		j.h.Annotate(a)
		text.WriteString(a.Msg + "\n")
	}
	j.h.StopCommands(text.String())
}

// inWorkspace returns the absolute path p relative to the workspace, with
// slashes, when it lies inside it: the path annotations name files by.
func (j *job) inWorkspace(p string) (string, bool) {
	if !filepath.IsAbs(p) || j.workspace == "" {
		return "", false
	}
	r, err := filepath.Rel(j.workspace, p)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return "", false
	}
	return filepath.ToSlash(r), true
}
