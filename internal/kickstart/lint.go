package kickstart

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// LintError is one problem found in a kickstart template, in a sample host, or
// in a kickstart rendered from them.
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

	Warning bool // the installer would carry on (or the risk is small)
	Msg     string
}

func (e *LintError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": ")
	if e.Warning {
		b.WriteString("warning: ")
	}
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

// Count returns how many of problems are errors and how many warnings.
func Count(problems []*LintError) (errs, warnings int) {
	for _, p := range problems {
		if p.Warning {
			warnings++
		} else {
			errs++
		}
	}
	return errs, warnings
}

// lintHash is a syntactically valid SHA-512 crypt hash that Lint puts in place
// of [RootpwPlaceholder], so that what it checks is what the installer will read.
var lintHash = "$6$esxi.byoi.lint$" + strings.Repeat("x", 86)

// Lint checks the kickstart template src (named name in messages) the way the
// build and the portal will use it:
//
//  1. the build-time root password placeholder is there, once, on a rootpw line;
//  2. the template parses with exactly the portal's functions (a parse error
//     ends the lint: nothing can be rendered), and every field it names is a
//     field of the hostdef-v3 data (a hostdef-v4 field draws a warning);
//  3. it renders for every host, a render error naming the host and the
//     template line;
//  4. every rendered kickstart passes [Check]; each problem names the host and
//     the rendered line, and the template line it came from when known.
//
// Problems come back in that order; Lint never stops at the first one.
func Lint(name string, src []byte, hosts []Host) []*LintError {
	var problems []*LintError
	withHash, err := SubstituteRootpw(src, lintHash)
	if err != nil {
		le := &LintError{File: name, Msg: err.Error()}
		if i := bytes.Index(src, []byte(RootpwPlaceholder)); i >= 0 {
			le.Line = 1 + bytes.Count(src[:i], []byte("\n"))
		}
		problems = append(problems, le)
		withHash = src
	}
	t, err := Parse(name, withHash)
	if err != nil {
		return append(problems, asLintErrors(name, err)...)
	}
	problems = append(problems, checkFields(t)...)
	if len(hosts) == 0 {
		problems = append(problems, &LintError{File: name, Warning: true,
			Msg: "no sample hosts: the template was parsed but never rendered"})
	}
	for i := range hosts {
		h := &hosts[i]
		out, lines, err := renderMapped(t, &h.Def)
		if err != nil {
			for _, le := range asLintErrors(name, err) {
				le.Host, le.HostFile = h.Def.Name, h.File
				problems = append(problems, le)
			}
			continue
		}
		for _, p := range Check(name, out) {
			le := *p
			le.Host, le.HostFile = h.Def.Name, h.File
			le.RenderedLine, le.Line, le.Col = p.Line, 0, 0
			if p.Line > 0 && p.Line <= len(lines) {
				le.Line = lines[p.Line-1]
			}
			problems = append(problems, &le)
		}
	}
	return problems
}

func asLintErrors(file string, err error) []*LintError {
	if le, ok := err.(*LintError); ok {
		return []*LintError{le}
	}
	return []*LintError{{File: file, Msg: fmt.Sprint(err)}}
}
