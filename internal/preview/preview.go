// Package preview is the engine of a kickstart preview: lint the template
// against the sample hosts, render it for each host, and diff the template
// and every rendered kickstart against a base version, as a reviewer of a
// change to the kickstart wants to see it.
//
// It knows nothing of GitHub. The caller gives the template, the hosts and
// a [BaseReader] for the base version of a file: [Checkout] reads a commit of
// a git checkout on disk (go-git, no git binary); the action falls back to
// GitHub's contents API, which it supplies. [Run] returns a [Result] that says
// everything the caller prints: the grouped lint findings, each host's
// kickstart or its render failure, the diffs, and why there is no diff when
// there is none. Nothing here fails a run: a template that does not parse is
// a lint finding, a base that cannot be read is [Result.NoDiff].
//
// The diffs are kept quiet for reviewers: hosts whose rendered kickstart
// changes the same way share one diff ([Diff.Title] names them all), an
// unchanged file is a title without a diff, and a host whose kickstart does
// not render at the head is marked [Diff.Failed] instead of showing a diff
// that deletes everything.
package preview

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

// BaseReader reads a file of the repository as it is in the base version.
type BaseReader interface {
	// ReadBase returns file (a slash-separated path from the repository's
	// root) at the base; ok is false when the base has no such file (it is
	// new in the change). An error means the base cannot be read at all.
	ReadBase(ctx context.Context, file string) (data []byte, ok bool, err error)
}

// BaseFunc is a function that is a [BaseReader].
type BaseFunc func(ctx context.Context, file string) (data []byte, ok bool, err error)

// ReadBase calls f.
func (f BaseFunc) ReadBase(ctx context.Context, file string) ([]byte, bool, error) {
	return f(ctx, file)
}

// Input is what to preview.
type Input struct {
	Name     string // the template's name: its path in the repository, for lint positions and diff labels
	Template []byte
	Hosts    []kickstart.Host // the sample hosts, in the order to show them
	// Base reads the base versions of the template and the host files; nil
	// when there is no base, NoBase saying why.
	Base   BaseReader
	NoBase string
	// HostsChange says the host files are files of the repository too, so
	// each host renders at the base with its base definition (a host file
	// new in the change renders nothing there). False renders both sides with
	// the same definition, as for built-in sample hosts.
	HostsChange bool
}

// Result is what a preview found.
type Result struct {
	Name     string              // Input.Name
	Findings []kickstart.Finding // lint findings, each with the hosts it applies to
	Hosts    []Host
	// Diffs against the base: the template's first, then the hosts' (merged
	// where identical). Empty when NoDiff is set.
	Diffs  []Diff
	NoDiff string // why there is no diff against the base ("" when there is one)
}

// Host is one sample host's kickstart.
type Host struct {
	Name string // the host's name in its definition
	File string // the host file, as kickstart.Host.File
	Out  []byte // the rendered kickstart; nil when it failed (Err, and a lint finding, say why)
	Err  error
}

// Diff is the diff of the template, or of the rendered kickstart of one or
// more hosts that changed the same way.
type Diff struct {
	Title  string
	Diff   string // unified diff; "" when unchanged (or when the head failed to render)
	Failed bool   // the head's template did not render for these hosts
}

// Counts returns how many findings are errors and how many warnings.
func (r *Result) Counts() (errs, warnings int) { return kickstart.CountFindings(r.Findings) }

// Run lints, renders and diffs in. Problems of the template or the hosts are
// findings and host errors; a base that cannot be read is Result.NoDiff.
func Run(ctx context.Context, in Input) *Result {
	r := &Result{Name: in.Name, Findings: kickstart.Group(kickstart.Lint(in.Name, in.Template, in.Hosts))}
	tmpl, perr := kickstart.Parse(in.Name, in.Template)
	for _, h := range in.Hosts {
		rh := Host{Name: h.Def.Name, File: h.File, Err: perr}
		if perr == nil {
			rh.Out, rh.Err = kickstart.Render(tmpl, &h.Def)
			if rh.Err != nil {
				rh.Out = nil
			}
		}
		r.Hosts = append(r.Hosts, rh)
	}
	r.diffBase(ctx, in)
	return r
}

// diffBase diffs the template and each host's rendered kickstart against the
// base.
func (r *Result) diffBase(ctx context.Context, in Input) {
	if in.Base == nil {
		r.NoDiff = in.NoBase
		if r.NoDiff == "" {
			r.NoDiff = "there is no base to compare with"
		}
		return
	}
	baseSrc, ok, err := in.Base.ReadBase(ctx, in.Name)
	if err != nil {
		r.NoDiff = err.Error()
		return
	}
	diffs := []Diff{{Title: "kickstart template " + in.Name, Diff: unifiedDiff("a/"+in.Name, "b/"+in.Name, baseSrc, in.Template)}}
	var baseTmpl *kickstart.Template
	if ok { // a template new in this change renders nothing at the base
		baseTmpl, _ = kickstart.Parse(in.Name, baseSrc)
	}
	var hostDiffs []Diff
	for i, h := range in.Hosts {
		def := h.Def
		if in.HostsChange { // the host file may have changed too
			b, ok, err := in.Base.ReadBase(ctx, h.File)
			if err != nil {
				r.NoDiff = err.Error()
				return
			}
			if d, derr := kickstart.DecodeHost(h.File, bytes.NewReader(b)); ok && derr == nil {
				def = *d
			} else {
				def = kickstart.HostDef{}
			}
		}
		var before []byte
		if baseTmpl != nil && def.Name != "" {
			before, _ = kickstart.Render(baseTmpl, &def)
		}
		after := r.Hosts[i].Out
		title := "host " + h.Def.Name + " (" + h.File + ")"
		if after == nil { // not "everything deleted": the lint findings say why
			hostDiffs = append(hostDiffs, Diff{Title: title, Failed: true})
			continue
		}
		label := "rendered/" + SafeName(h.Def.Name) + ".cfg"
		hostDiffs = append(hostDiffs, Diff{Title: title, Diff: unifiedDiff("a/"+label, "b/"+label, before, after)})
	}
	r.Diffs = append(diffs, mergeSame(hostDiffs)...)
}

// mergeSame merges the host diffs that change the same lines the same way
// (the file labels aside) into one, titled with every host: ten hosts that
// get the same new line show one diff, not ten.
func mergeSame(diffs []Diff) []Diff {
	var out []Diff
	at := map[string]int{}      // hunks → index in out
	hosts := map[int][]string{} // index in out → titles merged there
	for _, d := range diffs {
		if d.Diff == "" {
			out = append(out, d)
			continue
		}
		key := d.Diff
		if _, rest, ok := strings.Cut(d.Diff, "\n+++ "); ok { // drop the two label lines
			_, key, _ = strings.Cut(rest, "\n")
		}
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, d)
		}
		hosts[i] = append(hosts[i], strings.TrimPrefix(d.Title, "host "))
	}
	for i, titles := range hosts {
		if len(titles) > 1 {
			out[i].Title = "hosts " + strings.Join(titles, ", ") + " (the same change)"
		}
	}
	return out
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SafeName makes user text, such as a host name, fit for a file name and a
// log line: runs of other characters than letters, digits, '.', '_' and '-'
// become '_', and leading and trailing '.' and '_' go.
func SafeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "._") }

// Short is the first 12 hex digits of a commit hash, as people quote it.
func Short(sha string) string { return sha[:min(len(sha), 12)] }
