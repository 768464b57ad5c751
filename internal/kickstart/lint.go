package kickstart

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/template/parse"
)

// RuleSet says whose rule a finding applies.
type RuleSet string

const (
	// InstallerRules are what the ESXi 7.0/8.0 installer itself does with the
	// file: an error stops the install, a warning is logged and the install
	// goes on (unless the file says paranoid).
	InstallerRules RuleSet = "installer"
	// PortalRules are the HPE Bare Metal portal's contract for an ESXi
	// service: the build placeholder of the root password, the %post that
	// powers the host off, the hostdef data the portal renders with.
	PortalRules RuleSet = "portal"
	// TemplateRules are about the Go template itself: it must parse with the
	// portal's functions and render for every host, or nothing can be checked.
	TemplateRules RuleSet = "template"
)

// LintError is one problem found in a kickstart template, in a sample host, or
// in a kickstart rendered from them, for one host. [Group] merges the copies
// of one problem that several hosts share into one [Finding].
//
// Error formats it for editors and CI logs, always starting with the file:
//
//	FILE:LINE: message                                  a template or host file problem
//	FILE:LINE: host NAME (HOSTFILE): rendered line N: message   a rendered-kickstart problem mapped to its template line
//	FILE: host NAME (HOSTFILE): rendered line N: message        the same, when the template line is unknown
//	FILE: host NAME (HOSTFILE): message                 about the whole rendered kickstart
type LintError struct {
	File string // template, kickstart or host file
	Line int    // 1-based line in File; 0 when unknown or about the whole file
	Col  int    // 1-based column; 0 when unknown

	Host     string // host the template was rendered for; "" for template-level problems
	HostFile string // file the host was read from, when known

	// RenderedLine is the 1-based line in the rendered kickstart the problem
	// is on; 0 when the problem is not about one rendered line.
	RenderedLine int

	Warning bool    // the installer would carry on (or the risk is small)
	Note    bool    // says what lint did not check; neither an error nor a warning
	Rules   RuleSet // whose rule it is; "" reads as InstallerRules
	Msg     string

	// logged is set on warnings the installer itself logs: paranoid makes
	// exactly those fatal.
	logged bool
}

func (e *LintError) Error() string {
	var b strings.Builder
	writePosition(&b, e.File, e.Line, e.Col)
	b.WriteString(e.severity().prefix())
	if e.Host != "" {
		b.WriteString("host " + e.Host)
		if e.HostFile != "" {
			b.WriteString(" (" + e.HostFile + ")")
		}
		b.WriteString(": ")
	}
	if e.RenderedLine > 0 {
		b.WriteString("rendered line " + strconv.Itoa(e.RenderedLine) + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *LintError) severity() Severity {
	switch {
	case e.Note:
		return SeverityNote
	case e.Warning:
		return SeverityWarning
	}
	return SeverityError
}

func (e *LintError) ruleSet() RuleSet {
	if e.Rules == "" {
		return InstallerRules
	}
	return e.Rules
}

// Count returns how many of problems are errors and how many warnings
// (notes are neither).
func Count(problems []*LintError) (errs, warnings int) {
	for _, p := range problems {
		switch p.severity() {
		case SeverityError:
			errs++
		case SeverityWarning:
			warnings++
		}
	}
	return errs, warnings
}

// lintHash is a syntactically valid SHA-512 crypt hash that Lint puts in place
// of [RootpwPlaceholder], so that what it checks is what the installer will read.
var lintHash = "$6$esxi.byoi.lint$" + strings.Repeat("x", 86)

// Linter holds the choices of one lint run. The zero value applies the
// installer's rules and the HPE Bare Metal portal's.
type Linter struct {
	// InstallerOnly applies only what the ESXi installer does: no portal
	// contract (placeholder, poweroff, hostdef fields).
	InstallerOnly bool

	// TemplatingInput is the service's templating_input ("hostdef-v3" when
	// empty): the hostdef version the portal renders the template with. With
	// "hostdef-v4" the template may use the v4 fields (NoIPAddr) without a
	// warning. It is the hook for a field check that knows every version.
	TemplatingInput string
}

// Lint is Linter{}.Lint: installer and portal rules.
func Lint(name string, src []byte, hosts []Host) []*LintError {
	return Linter{}.Lint(name, src, hosts)
}

// Lint checks the kickstart template src (named name in messages) the way the
// build and the portal will use it:
//
//  1. the build-time root password placeholder is there, once, on a rootpw
//     line (a portal rule; with InstallerOnly it is substituted when present);
//  2. the template parses with exactly the portal's functions (a parse error
//     ends the lint: nothing can be rendered; with InstallerOnly the file is
//     then checked as it is), and every field it names is a field of the
//     hostdef-v3 data (a hostdef-v4 field draws a warning);
//  3. it renders for every host, a render error naming the host and the
//     template line;
//  4. every rendered kickstart passes [Linter.Check]; each problem names the
//     host and the rendered line, and the template line it came from when
//     known.
//
// A file without template actions (a plain kickstart) renders the same for
// every host, so it is checked once and its problems name no host.
//
// Problems come back in that order; Lint never stops at the first one.
// One problem shared by several hosts comes back once per host: [Group]
// merges them.
func (l Linter) Lint(name string, src []byte, hosts []Host) []*LintError {
	var problems []*LintError
	withHash, err := SubstituteRootpw(src, lintHash)
	if err != nil {
		withHash = src
		if !l.InstallerOnly {
			le := &LintError{File: name, Rules: PortalRules,
				Msg: strings.TrimPrefix(err.Error(), "kickstart: ") + " (HPE Bare Metal portal rule: esxi-byoi build puts the SHA-512 hash of the root password there, so the password never sits in the repository or the service YAML)"}
			if i := bytes.Index(src, []byte(RootpwPlaceholder)); i >= 0 {
				le.Line = 1 + bytes.Count(src[:i], []byte("\n"))
			}
			problems = append(problems, le)
		}
	}
	t, err := Parse(name, withHash)
	if err != nil {
		parseErrs := asLintErrors(name, err)
		for _, le := range parseErrs {
			le.Rules = TemplateRules
		}
		if !l.InstallerOnly {
			return append(problems, parseErrs...)
		}
		// The installer reads the file as it is: check it so, and say why.
		for _, le := range parseErrs {
			le.Note = true
			le.Msg = "not a template the portal can render (" + le.Msg + "): checked as a plain kickstart"
		}
		problems = append(problems, parseErrs...)
		return append(problems, l.Check(name, withHash)...)
	}
	if !l.InstallerOnly {
		for _, le := range CheckFields(t, l.schema()) {
			le.Rules = PortalRules
			le.Msg += " (HPE Bare Metal portal rule: the portal renders the template with the host's " + l.templatingInput() + " data)"
			problems = append(problems, le)
		}
	}
	if t.plain() {
		return append(problems, l.Check(name, withHash)...)
	}
	if len(hosts) == 0 {
		problems = append(problems, &LintError{File: name, Warning: true, Rules: TemplateRules,
			Msg: "no sample hosts: the template was parsed but never rendered"})
	}
	inst, _ := instrument(t) // nil on failure: rendered without a line map
	for i := range hosts {
		h := &hosts[i]
		if !l.InstallerOnly && l.TemplatingInput != "" {
			// A sample host the portal could not produce for this service
			// proves nothing about the template.
			for _, le := range CheckHost(h.File, &h.Def, l.schema()) {
				le.Rules = TemplateRules
				problems = append(problems, le)
			}
		}
		out, lines, err := renderMapped(t, inst, &h.Def)
		if err != nil {
			for _, le := range asLintErrors(name, err) {
				le.Host, le.HostFile, le.Rules = h.Def.Name, h.File, TemplateRules
				problems = append(problems, le)
			}
			continue
		}
		templateLine := func(rendered int) int {
			if rendered > 0 && rendered <= len(lines) {
				return lines[rendered-1]
			}
			return 0
		}
		for _, p := range l.check(name, out) {
			le := *p
			le.Host, le.HostFile = h.Def.Name, h.File
			le.RenderedLine, le.Line, le.Col = p.Line, templateLine(p.Line), 0
			le.Msg = resolveLineRefs(p.Msg, func(n int) string {
				if t := templateLine(n); t > 0 {
					return "line " + strconv.Itoa(t)
				}
				return "rendered line " + strconv.Itoa(n)
			})
			problems = append(problems, &le)
		}
	}
	return problems
}

// schema is the hostdef version the portal renders with: unknown (every
// field of the newest version allowed, v4-only ones warned about) when the
// service's templating_input is not given.
func (l Linter) schema() Schema {
	s, err := ParseSchema(l.TemplatingInput)
	if err != nil {
		return SchemaUnknown
	}
	return s
}

func (l Linter) templatingInput() string {
	if l.TemplatingInput == "" {
		return "hostdef-v3"
	}
	return l.TemplatingInput
}

// plain reports whether the template has no actions: it renders to its own
// text for every host.
func (t *Template) plain() bool {
	if len(t.tmpl.Templates()) != 1 || t.tmpl.Tree == nil || t.tmpl.Tree.Root == nil {
		return false
	}
	for _, n := range t.tmpl.Tree.Root.Nodes {
		if n.Type() != parse.NodeText {
			return false
		}
	}
	return true
}

func asLintErrors(file string, err error) []*LintError {
	if le, ok := err.(*LintError); ok {
		return []*LintError{le}
	}
	return []*LintError{{File: file, Msg: fmt.Sprint(err)}}
}

// IsPlain reports whether src is a plain kickstart: a file without template
// actions, which renders to itself for every host (and which [Linter.Lint]
// therefore checks once, for no host). A file that does not parse as a
// template is not plain.
func IsPlain(src []byte) bool {
	t, err := Parse("", src)
	return err == nil && t.plain()
}

// writePosition writes "FILE:LINE:COL: ", leaving out a line or column of 0.
func writePosition(b *strings.Builder, file string, line, col int) {
	b.WriteString(file)
	if line > 0 {
		b.WriteString(":" + strconv.Itoa(line))
		if col > 0 {
			b.WriteString(":" + strconv.Itoa(col))
		}
	}
	b.WriteString(": ")
}
