package kickstart

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Severity is how much a finding matters.
type Severity string

const (
	// SeverityError: the install stops (installer rules), the portal cannot
	// use the file (portal rules), or nothing could be checked (template).
	SeverityError Severity = "error"
	// SeverityWarning: the installer logs it and goes on, or lint sees a
	// risk the installer does not report.
	SeverityWarning Severity = "warning"
	// SeverityNote says what lint did not check.
	SeverityNote Severity = "note"
)

func (s Severity) prefix() string {
	if s == SeverityError {
		return ""
	}
	return string(s) + ": "
}

// HostRef names a sample host a finding applies to.
type HostRef struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"`
	// RenderedLine is the line of that host's rendered kickstart (0: none).
	RenderedLine int `json:"rendered_line,omitempty"`
}

// Finding is one problem at one place of one file, with every sample host it
// applies to: the unit lint prints, counts and annotates.
type Finding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`             // 1-based; 0 about the whole file or unknown
	Col      int      `json:"column,omitempty"` // 1-based; 0 unknown
	Severity Severity `json:"severity"`
	RuleSet  RuleSet  `json:"rule_set"`
	Message  string   `json:"message"`
	// Hosts the problem was found for, in the order of the sample hosts;
	// empty for a problem of the file itself (a plain kickstart, a
	// template that does not parse, a portal rule on the template).
	Hosts []HostRef `json:"hosts"`
	// RenderedLine is set only when the template line is unknown and every
	// host had the problem on that rendered line.
	RenderedLine int `json:"rendered_line,omitempty"`
}

// String formats f as FILE:LINE: [warning: |note: ]message (hosts: a, b).
func (f Finding) String() string {
	var b strings.Builder
	writePosition(&b, f.File, f.Line, f.Col)
	b.WriteString(f.Severity.prefix())
	if f.RenderedLine > 0 {
		b.WriteString("rendered line " + strconv.Itoa(f.RenderedLine) + ": ")
	}
	b.WriteString(f.Message)
	if len(f.Hosts) > 0 {
		b.WriteString(" (")
		b.WriteString(f.HostList())
		b.WriteString(")")
	}
	return b.String()
}

// HostList is "host NAME" or "hosts A, B, C" for the hosts of f ("" for none).
func (f Finding) HostList() string {
	if len(f.Hosts) == 0 {
		return ""
	}
	names := make([]string, len(f.Hosts))
	for i, h := range f.Hosts {
		names[i] = h.Name
	}
	if len(names) == 1 {
		return "host " + names[0]
	}
	return "hosts " + strings.Join(names, ", ")
}

// Group merges the per-host copies of each problem into one [Finding] per
// (file, line, column, severity, rule set, message). Findings come file by
// file (in the order the files first appear) and, within a file, by line:
// whole-file findings (line 0) first, then in line order, so a reader goes
// down the file once; findings of one line keep the order they were found in.
// A problem without a template line keeps its rendered line in the key, so two
// such problems on different rendered lines stay apart.
func Group(problems []*LintError) []Finding {
	type key struct {
		file          string
		line, col, rl int
		sev           Severity
		rules         RuleSet
		msg           string
	}
	var out []Finding
	index := map[key]int{}
	for _, p := range problems {
		k := key{file: p.File, line: p.Line, col: p.Col, sev: p.severity(), rules: p.ruleSet(), msg: p.Msg}
		if p.Line == 0 {
			k.rl = p.RenderedLine
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Finding{File: p.File, Line: p.Line, Col: p.Col, Severity: k.sev, RuleSet: k.rules,
				Message: p.Msg, RenderedLine: k.rl, Hosts: []HostRef{}})
		}
		if p.Host != "" {
			out[i].Hosts = append(out[i].Hosts, HostRef{Name: p.Host, File: p.HostFile, RenderedLine: p.RenderedLine})
		}
	}
	fileOrder := map[string]int{}
	for _, f := range out {
		if _, ok := fileOrder[f.File]; !ok {
			fileOrder[f.File] = len(fileOrder)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(fileOrder[a.File], fileOrder[b.File]), cmp.Compare(a.Line, b.Line))
	})
	return out
}

// CountFindings returns how many findings are errors and how many warnings.
func CountFindings(findings []Finding) (errs, warnings int) {
	for _, f := range findings {
		switch f.Severity {
		case SeverityError:
			errs++
		case SeverityWarning:
			warnings++
		}
	}
	return errs, warnings
}

// Tally says how many errors and warnings there are, in English: "1 error,
// 2 warnings".
func Tally(errs, warnings int) string {
	return count(errs, "error") + ", " + count(warnings, "warning")
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
