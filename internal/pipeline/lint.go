package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// Lint checks the kickstart template against the sample hosts, with the
// installer's and the portal's rules, as `esxi-byoi kickstart lint` does. It
// runs first: a template the installer would stop on is not worth a
// download, a remaster and an upload, and a failed lint leaves nothing
// written. Needs: Opts (KickstartTemplate, Hosts, Template). Sets: Lint (the
// findings, warnings too, also when it fails). Fails with *LintFailedError.
type Lint struct{}

func (Lint) String() string { return "linting kickstart" }

func (Lint) Run(_ context.Context, st *State) error {
	o := st.Opts
	if o.KickstartTemplate == nil {
		return Bug("Lint needs the kickstart template")
	}
	hosts, err := loadHosts(o.Hosts)
	if err != nil {
		return err
	}
	l := kickstart.Linter{TemplatingInput: declaredTemplatingInput(o.Template)}
	st.Lint = kickstart.Group(l.Lint(o.KickstartName, o.KickstartTemplate, hosts))
	errs, warns := kickstart.CountFindings(st.Lint)
	fmt.Fprintf(st.Log, "  %s over %d sample hosts\n", kickstart.Tally(errs, warns), len(hosts))
	if errs > 0 {
		return &LintFailedError{File: o.KickstartName, Errors: errs, Warnings: warns}
	}
	return nil
}

// loadHosts reads the sample hosts of the hosts option, or the built-in ones.
func loadHosts(dir string) ([]kickstart.Host, error) {
	if dir == "" {
		return kickstart.LoadHosts(templates.FS, "hosts", "templates")
	}
	// os.DirFS names no path in its errors ("open ."): name the directory
	if fi, err := os.Stat(dir); err != nil {
		return nil, &option.Error{Option: "hosts", Err: err}
	} else if !fi.IsDir() {
		return nil, &option.Error{Option: "hosts", Err: fmt.Errorf("%s is not a directory of sample host YAML files", dir)}
	}
	hosts, err := kickstart.LoadHosts(os.DirFS(dir), ".", filepath.ToSlash(dir))
	if err != nil {
		return nil, &option.Error{Option: "hosts", Err: err}
	}
	return hosts, nil
}

// templatingInputLine finds the literal templating_input of a service YAML
// template: the hostdef version the portal will render the kickstart with.
var templatingInputLine = regexp.MustCompile(`(?m)^[\s-]*templating_input:\s*["']?(hostdef-v[0-9]+)["']?\s*$`)

// declaredTemplatingInput returns the service template's templating_input
// (the built-in template's when tmpl is nil), or "" when it is not written
// out literally: lint then takes the version as unknown.
func declaredTemplatingInput(tmpl []byte) string {
	if tmpl == nil {
		b, err := templates.FS.ReadFile("service.yml.tmpl")
		if err != nil {
			return ""
		}
		tmpl = b
	}
	m := templatingInputLine.FindAllSubmatch(tmpl, -1)
	if len(m) != 1 {
		return "" // none, or several entries that may differ
	}
	return string(m[0][1])
}

// LintFailedError means the kickstart template has findings the ESXi
// installer or the portal would stop on. The findings themselves are in
// State.Lint; each surface prints them (one line or annotation each).
type LintFailedError struct {
	File             string
	Errors, Warnings int
}

func (e *LintFailedError) Error() string {
	return fmt.Sprintf("kickstart %s: lint found %s (listed above)", e.File, kickstart.Tally(e.Errors, e.Warnings))
}

// Hint is the fix.
func (e *LintFailedError) Hint() string {
	return "fix each lint error listed: the ESXi installer or the HPE Bare Metal portal would stop on it; esxi-byoi kickstart lint checks the template alone"
}
