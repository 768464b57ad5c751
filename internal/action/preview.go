package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/action/artifact"
	"github.com/esxi-byoi/esxi-byoi/internal/action/comment"
	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/preview"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// preview runs the preview engine (package preview: lint → render hosts →
// diff base) on the inputs and delivers its result: annotations, the
// rendered kickstarts, summary, comment and artifact. Lint errors fail it,
// after delivery.
func (j *job) preview(ctx context.Context) error {
	delete(j.out, "published") // a preview publishes nothing: the output stays unset
	src, err := j.readOr("kickstart", "kickstart.cfg.tmpl")
	if err != nil {
		return err
	}
	in := preview.Input{Name: "templates/kickstart.cfg.tmpl", Template: src, HostsChange: j.in["hosts"] != ""}
	repoFile := j.in["kickstart"] != "" // the template is a file of the repository (annotations can point at it)
	if repoFile {
		in.Name = j.repoPath(j.in["kickstart"])
	}
	if in.Hosts, err = j.loadHosts(); err != nil {
		return err
	}
	switch {
	case j.ev.PR == 0 || j.ev.Base.SHA == "":
		in.NoBase = "this run is not for a pull request, so there is no base to compare with"
	case !repoFile:
		in.NoBase = "the kickstart is the built-in template; set the `kickstart` input to a file of the repository"
	default:
		in.Base = j.baseReader()
	}
	res := preview.Run(ctx, in)

	errs := j.lint(res, repoFile)
	files := j.writeRendered(res)
	j.h.Group("diffing against the base of the pull request")
	var all strings.Builder
	for _, d := range res.Diffs {
		all.WriteString(d.Diff)
	}
	j.h.StopCommands(all.String())
	if res.NoDiff != "" {
		j.h.Warning("no diff against the base: %s", res.NoDiff)
	}
	j.h.EndGroup()

	sections := previewSummary(j, res)
	// For the workflow_run pattern (see the README): the comment body, and the
	// PR number, which a fork's workflow_run event does not carry.
	files = append(files, artifact.File{Name: "preview.md", Data: []byte(fit(sections, maxComment, "the job summary"))})
	if j.ev.PR > 0 {
		files = append(files, artifact.File{Name: "pr-number", Data: fmt.Appendf(nil, "%d\n", j.ev.PR)})
	}
	if err := j.deliver(ctx, sections, files, j.comment != "never"); err != nil {
		return err
	}
	if errs > 0 {
		return errLint
	}
	return nil
}

// lint prints the lint findings of res: each one annotation naming the hosts
// it applies to, on its file and line when the file is in the repository
// (the template when repoFile, the hosts when the hosts input is set). It
// returns the number of errors.
func (j *job) lint(res *preview.Result, repoFile bool) int {
	j.h.Group("linting " + res.Name)
	defer j.h.EndGroup()
	inRepo := map[string]bool{res.Name: repoFile}
	for _, h := range res.Hosts {
		inRepo[h.File] = j.in["hosts"] != ""
	}
	var text strings.Builder
	for _, f := range res.Findings {
		j.h.Annotate(lintAnnotation(f, inRepo[f.File]))
		text.WriteString(f.String() + "\n")
	}
	j.h.StopCommands(text.String()) // the messages quote the pull request's lines
	errs, warns := res.Counts()
	j.h.Logf("%s over %d hosts", kickstart.Tally(errs, warns), len(res.Hosts))
	return errs
}

// lintAnnotation is the annotation of one lint finding: its severity as the
// level, its hosts in the message, and its file and line when inRepo (GitHub
// shows it on the file's line only for a file of the repository).
func lintAnnotation(f kickstart.Finding, inRepo bool) Annotation {
	a := Annotation{Level: "error", Msg: f.String(), Title: "kickstart lint"}
	switch f.Severity {
	case kickstart.SeverityWarning:
		a.Level = "warning"
	case kickstart.SeverityNote:
		a.Level = "notice"
	}
	if inRepo {
		a.File, a.Line, a.Col = f.File, f.Line, f.Col
	}
	return a
}

// writeRendered writes each host's rendered kickstart into
// output-dir/kickstart/ for later steps, and returns the files for the
// artifact.
func (j *job) writeRendered(res *preview.Result) []artifact.File {
	j.h.Group("rendering the kickstart for each sample host")
	defer j.h.EndGroup()
	var files []artifact.File
	var text strings.Builder
	for i, h := range res.Hosts {
		state := "render failed"
		if h.Out != nil {
			state = "rendered"
			stem := orDefault(preview.SafeName(strings.TrimSuffix(path.Base(h.File), path.Ext(h.File))), fmt.Sprint("host-", i))
			name := "kickstart/" + stem + ".cfg"
			files = append(files, artifact.File{Name: name, Data: h.Out})
			out := filepath.Join(j.abs(j.in["output-dir"]), filepath.FromSlash(name))
			err := os.MkdirAll(filepath.Dir(out), 0o755)
			if err == nil {
				err = safefile.WriteFile(out, h.Out)
			}
			if err != nil {
				j.h.Warning("write rendered kickstart: %v", err)
			}
		}
		fmt.Fprintf(&text, "%s (%s): %s\n", h.Name, h.File, state)
	}
	j.h.StopCommands(text.String()) // host and file names come from the pull request
	return files
}

func (j *job) loadHosts() ([]kickstart.Host, error) {
	if j.in["hosts"] == "" {
		return kickstart.LoadHosts(templates.FS, "hosts", "templates")
	}
	dir := j.abs(j.in["hosts"])
	// os.DirFS names no path in its errors ("open ."): name the directory
	if fi, err := os.Stat(dir); err != nil {
		return nil, &option.Error{Option: "hosts", Err: err, Fix: hostsFix}
	} else if !fi.IsDir() {
		return nil, &option.Error{Option: "hosts", Msg: j.in["hosts"] + " is not a directory", Fix: hostsFix}
	}
	hosts, err := kickstart.LoadHosts(os.DirFS(dir), ".", j.repoPath(j.in["hosts"]))
	if err != nil {
		return nil, &option.Error{Option: "hosts", Err: err, Fix: hostsFix}
	}
	return hosts, nil
}

// repoPath is p relative to the workspace, with slashes: the path the
// repository, the annotations and the contents API know it by.
func (j *job) repoPath(p string) string {
	if r, ok := j.inWorkspace(j.abs(p)); ok {
		return r
	}
	return filepath.ToSlash(p)
}

// baseReader reads files at the base commit of the pull request: from the
// checkout when it has the commit (actions/checkout with fetch-depth: 0),
// else from the contents API with github-token. When neither works, its
// error says why for both.
func (j *job) baseReader() preview.BaseReader {
	sha := j.ev.Base.SHA
	c, err := preview.OpenCheckout(j.workspace, sha)
	if err == nil {
		return c
	}
	var ce *preview.CommitError
	why := "the workspace has no git checkout (run actions/checkout with fetch-depth: 0 first)"
	if errors.As(err, &ce) {
		why = fmt.Sprintf("base commit %s is not in the checkout (check out with fetch-depth: 0): %v", preview.Short(sha), ce.Err)
	}
	return preview.BaseFunc(func(ctx context.Context, file string) ([]byte, bool, error) {
		b, ok, err := j.contentsAPI(ctx, file)
		if err != nil {
			return nil, false, fmt.Errorf("%s; %w", why, err)
		}
		return b, ok, nil
	})
}

// contentsAPI reads file at the base commit through GitHub's contents API.
func (j *job) contentsAPI(ctx context.Context, file string) ([]byte, bool, error) {
	if j.in["github-token"] == "" {
		return nil, false, errors.New("github-token is empty, so the contents API cannot be asked")
	}
	hc, err := j.githubClient()
	if err != nil {
		return nil, false, fmt.Errorf("contents API: %w", err)
	}
	b, ok, err := comment.Contents{
		APIURL: j.h.Getenv("GITHUB_API_URL"), Token: j.in["github-token"], Repo: j.ev.Base.Repo, Ref: j.ev.Base.SHA,
		HTTPClient: hc,
	}.ReadFile(ctx, file)
	if err != nil {
		j.githubFailed(err)
		if fix := pipeline.Hint(err); fix != "" {
			return nil, false, fmt.Errorf("contents API: %w (fix: %s)", err, fix)
		}
		return nil, false, fmt.Errorf("contents API: %w", err)
	}
	return b, ok, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// hostsFix is the fix of a hosts input that holds no sample hosts.
const hostsFix = "point hosts at a directory of hostdef-v3 *.yaml files"
