// Package action is the GitHub Action of esxi-byoi, and the only
// GitHub-aware package: it reads INPUT_* into pipeline options, masks
// secrets, picks build or preview from the event, runs the stages, and
// delivers the result as step outputs, the job summary, a sticky pull request
// comment (package comment) and a workflow artifact (package artifact).
//
// Order of work in [Main]: read inputs (through the option table);
// ::add-mask:: every secret before any other output; pick the mode; build and
// validate the options with pipeline.NewBuild, as the CLI does (the root
// password's hash is masked as soon as it exists); run; write outputs,
// summary, comment and artifact. Nothing under Main exits the process.
//
// Build mode is pipeline.Build (lint the kickstart against the hosts →
// check the publish destination → fetch a remote ISO → remaster → publish →
// service YAML → verify → register → health, the last two when asked), plus
// the delivery of outputs, summary, comment and artifact.
// Watch mode (for a schedule) verifies every service YAML under the
// services input as the controller would and, with health, asks the portal's
// controllers about each; any drift fails the step (see watch.go).
// Preview mode needs no cloud credentials and is safe for pull requests from
// forks: package preview lints the kickstart, renders it for every sample
// host and diffs the template and each rendered kickstart against the pull
// request's base (read from the checkout, else through the contents API of
// package comment); this package turns the result into annotations, log
// groups, the summary, the comment and the artifact.
//
// Over the ~800-line guide because it is the whole GitHub surface (inputs,
// workflow commands, event, summary, delivery, the preview's glue), one
// topic a file; what stands alone is a package already (comment, artifact,
// and the preview engine).
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/action/artifact"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/source"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// Exit codes of [Main].
const (
	ExitOK      = 0
	ExitFailure = 1  // bad input, failed build, kickstart lint errors
	ExitBug     = 70 // internal error (EX_SOFTWARE)
)

// Main runs the action with the runner's environment getenv and returns the
// exit code. Workflow commands and the log go to stdout; stderr gets only a
// recovered panic.
func Main(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "internal error (bug, please report): %v\n%s", r, debug.Stack())
			code = ExitBug
		}
	}()
	h := NewHost(getenv, stdout)
	in := readInputs(h)
	for _, o := range option.Inputs() {
		if o.Secret {
			h.Mask(in[o.Name])
		}
	}
	for _, k := range secretEnv {
		h.Mask(getenv(k))
	}
	if u, err := url.Parse(in["iso"]); err == nil && u.RawQuery != "" {
		h.Mask(u.RawQuery) // a presigned URL's signature
	}
	j, err := newJob(h, in)
	if err == nil {
		err = j.run(ctx)
	}
	return report(h, err)
}

// report turns err into ::error:: lines (one per joined error, with the fix)
// and the exit code.
func report(h Host, err error) int {
	if err == nil {
		return ExitOK
	}
	var be *pipeline.BugError
	if errors.As(err, &be) {
		h.Annotate(Annotation{Level: "error", Msg: err.Error()})
		if h.Getenv("ESXI_BYOI_DEBUG") != "" {
			h.Logf("%s", be.Stack)
		}
		return ExitBug
	}
	ws := h.Getenv("GITHUB_WORKSPACE")
	for _, e := range splitJoined(err) {
		a := Annotation{Level: "error", Msg: relativeText(ws, option.Action.Message(e))}
		if o := option.Lookup(option.NameOf(e)); o != nil && o.Input != 0 {
			a.Title = "input " + o.Name
		}
		if hint := pipeline.Hint(e); hint != "" {
			a.Msg += " (fix: " + relativeText(ws, option.Action.Expand(hint)) + ")"
		}
		h.Annotate(a)
	}
	return ExitFailure
}

// splitJoined returns the problems joined in err (options the pipeline
// refused, or errors.Join), one annotation each.
func splitJoined(err error) []error {
	var ie *pipeline.InvalidError
	if errors.As(err, &ie) {
		err = ie.Err
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, splitJoined(e)...)
	}
	return out
}

// errLint fails a preview whose kickstart has lint errors, after delivery.
var errLint = errors.New("kickstart lint found errors (see the annotations)")

// job is one run of the action.
type job struct {
	h         Host
	in        inputs
	ev        *event
	mode      string // build | preview
	comment   string // auto | always | never
	retention int    // days the artifact is kept; 0: the repository's setting
	workspace string
	gh        githubAPI
	opts      pipeline.Options  // build mode
	watchOpts watchOptions      // watch mode
	out       map[string]string // step outputs
}

// newJob validates the inputs against the event. It prints nothing: the
// masks must come first, and the hash of root-password is masked here too.
func newJob(h Host, in inputs) (*job, error) {
	j := &job{h: h, in: in, out: map[string]string{"published": "false"}, workspace: h.Getenv("GITHUB_WORKSPACE")}
	var errs []error
	mode := in.oneOf("mode", []string{"auto", "build", "preview", "watch"}, &errs)
	j.comment = in.oneOf("comment", []string{"auto", "always", "never"}, &errs)
	j.retention = retentionDays(in, &errs)
	given := option.Values(in)
	for _, o := range option.Inputs() {
		if err := given.Check(o.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if filepath.IsAbs(in["output-dir"]) || strings.HasPrefix(filepath.Clean(in["output-dir"]), "..") {
		errs = append(errs, &option.Error{Option: "output-dir", Msg: "must be a path inside the workspace",
			Fix: "give a relative path such as esxi-byoi-out: the runner maps the workspace into the container"})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ev, err := readEvent(h.Getenv)
	if err != nil {
		return nil, err
	}
	j.ev = ev
	if j.mode, err = pickMode(mode, ev); err != nil {
		return nil, err
	}
	switch j.mode {
	case "build":
		if err := j.buildOptions(); err != nil {
			return nil, err
		}
	case "watch":
		if err := j.watchOptions(); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// abs resolves p against the workspace (the container's working directory).
func (j *job) abs(p string) string {
	if p == "" || filepath.IsAbs(p) || isURL(p) {
		return p
	}
	return filepath.Join(j.workspace, p)
}

func isURL(p string) bool { return strings.Contains(p, "://") }

func (j *job) run(ctx context.Context) error {
	j.h.Logf("esxi-byoi action: %s mode (event %s)", j.mode, orNone(j.ev.Name))
	if j.mode == "watch" {
		return j.watch(ctx) // reads the workspace, writes nothing there
	}
	if err := os.MkdirAll(j.abs(j.in["output-dir"]), 0o755); err != nil {
		return fmt.Errorf("output-dir: %w", err)
	}
	defer j.giveToWorkspaceOwner()
	if j.mode == "preview" {
		return j.preview(ctx)
	}
	return j.build(ctx)
}

func (j *job) build(ctx context.Context) error {
	st := &pipeline.State{Opts: j.opts, Progress: progress.New(j.h.Log(), false), Log: j.h.Log(), Surface: option.Action}
	runErr := pipeline.Run(ctx, st, j.grouped(pipeline.Build()))
	j.annotateLint(st.Lint)
	if st.ISO != nil {
		j.out["iso-path"] = j.repoPath(j.opts.Output)
		j.out["iso-sha256"] = st.ISO.SHA256
		j.out["iso-size"] = fmt.Sprint(st.ISO.Size)
		j.out["esxi-version"], j.out["esxi-build"] = st.ISO.Version, st.ISO.Build
		if j.opts.Version != "" {
			j.out["esxi-version"] = j.opts.Version
		}
	}
	var files []artifact.File
	if st.Service != nil {
		j.out["service-yml"] = j.repoPath(j.opts.ServiceOut)
		j.out["iso-url"] = st.Service.Files[0].SecureURL
		files = append(files, artifact.File{Name: path.Base(j.out["service-yml"]), Data: st.YAML})
	}
	if st.Object != nil {
		j.out["published"] = string(st.Object.Outcome) // skipped-identical
		if st.Object.Outcome == publish.Published {
			j.out["published"] = "true"
		}
	}
	if st.Registration != nil {
		j.out["service-id"] = st.Registration.ID
	}
	if st.Health != nil { // also when a controller said no
		j.out["download-health"] = st.Health.Summary()
	}
	if err := j.deliver(ctx, buildSummary(j, st, runErr), files, j.comment == "always"); err != nil && runErr == nil {
		return err
	}
	return runErr
}

// buildOptions turns the inputs into validated pipeline options through
// pipeline.NewBuild, as the CLI does its flags: the ISO and the service YAML
// go to output-dir, named after the vendor ISO. The root password's hash is
// masked as soon as it exists.
func (j *job) buildOptions() error {
	v := j.in.values(option.ModeBuild, j.abs)
	base := source.Name(j.in["iso"])
	name := strings.TrimSuffix(base, path.Ext(base)) + "-BareMetal"
	dir := j.abs(j.in["output-dir"])
	v["output"], v["service"] = filepath.Join(dir, name+".iso"), filepath.Join(dir, name+".yml")
	o, err := pipeline.NewBuild(v, j.h.Getenv)
	j.h.Mask(o.RootHash)
	if err != nil {
		return err
	}
	j.opts = o
	return nil
}

// readOr reads the file named by input name, or the embedded template def.
func (j *job) readOr(name, def string) ([]byte, error) {
	if j.in[name] == "" {
		return templates.FS.ReadFile(def)
	}
	b, err := os.ReadFile(j.abs(j.in[name]))
	if err != nil {
		return nil, &option.Error{Option: name, Err: err, Fix: "give a path relative to the workspace (check out the repository first)"}
	}
	return b, nil
}

// grouped folds each stage's log into a ::group:: of its title.
func (j *job) grouped(stages []pipeline.Stage) []pipeline.Stage {
	out := make([]pipeline.Stage, len(stages))
	for i, s := range stages {
		out[i] = groupStage{s, j.h}
	}
	return out
}

type groupStage struct {
	pipeline.Stage
	h Host
}

func (g groupStage) Run(ctx context.Context, st *pipeline.State) error {
	g.h.Group(g.String())
	defer g.h.EndGroup()
	return g.Stage.Run(ctx, st)
}

func (g groupStage) Skip(st *pipeline.State) (string, bool) {
	if s, ok := g.Stage.(pipeline.Skipper); ok {
		return s.Skip(st)
	}
	return "", false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
