package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/google/go-github/v76/github"

	"github.com/esxi-byoi/esxi-byoi/internal/action/artifact"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// preview is what a preview run found: lint problems, the kickstart each
// sample host gets, and the diffs against the pull request's base.
type preview struct {
	name     string // template path in the repository, or the embedded name
	repoFile bool   // the template is a file of the repository (annotations can point at it)
	problems []*kickstart.LintError
	hosts    []renderedHost
	diffs    []fileDiff
	noDiff   string // why there is no diff against the base ("" when there is one)
	base     string // base commit
}

type renderedHost struct {
	Name, File string
	Out        []byte // nil when rendering failed (see the lint problems)
}

// fileDiff is the diff of the template, or of one or more hosts' rendered
// kickstarts that changed the same way.
type fileDiff struct {
	Title  string
	Diff   string // "" when unchanged (or when the head failed to render)
	Failed bool   // the head's template did not render for these hosts
}

// preview runs the preview stages, lint → render hosts → diff base, and
// delivers the result. Lint errors fail it, after delivery.
func (j *job) preview(ctx context.Context) error {
	p := &preview{name: "templates/kickstart.cfg.tmpl"}
	delete(j.out, "published") // a preview publishes nothing: the output stays unset
	src, err := j.readOr("kickstart", "kickstart.cfg.tmpl")
	if err != nil {
		return err
	}
	if j.in["kickstart"] != "" {
		p.name, p.repoFile = j.repoPath(j.in["kickstart"]), true
	}
	hosts, err := j.loadHosts()
	if err != nil {
		return err
	}
	errs := j.lint(p, src, hosts)
	files := j.render(p, src, hosts)
	j.h.Group("diffing against the base of the pull request")
	j.diffBase(ctx, p, src, hosts)
	var all strings.Builder
	for _, d := range p.diffs {
		all.WriteString(d.Diff)
	}
	j.h.StopCommands(all.String())
	if p.noDiff != "" {
		j.h.Warning("no diff against the base: %s", p.noDiff)
	}
	j.h.EndGroup()

	sections := previewSummary(j, p)
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

// lint lints the template against the hosts: each finding is one
// annotation naming the hosts it applies to, on its file and line when the
// file is in the repository. p.problems holds one problem per finding. It
// returns the number of errors.
func (j *job) lint(p *preview, src []byte, hosts []kickstart.Host) int {
	j.h.Group("linting " + p.name)
	defer j.h.EndGroup()
	inRepo := map[string]bool{p.name: p.repoFile}
	for _, h := range hosts {
		inRepo[h.File] = j.in["hosts"] != ""
	}
	p.problems = nil
	var text strings.Builder
	for _, f := range kickstart.Group(kickstart.Lint(p.name, src, hosts)) {
		a := Annotation{Level: "error", Msg: f.String(), Title: "kickstart lint"}
		switch f.Severity {
		case kickstart.SeverityWarning:
			a.Level = "warning"
		case kickstart.SeverityNote:
			a.Level = "notice"
		}
		if inRepo[f.File] {
			a.File, a.Line, a.Col = f.File, f.Line, f.Col
		}
		j.h.Annotate(a)
		text.WriteString(f.String() + "\n")
		p.problems = append(p.problems, f.AsLintError())
	}
	j.h.StopCommands(text.String()) // the messages quote the pull request's lines
	errs, warns := kickstart.Count(p.problems)
	j.h.Logf("%d errors, %d warnings over %d hosts", errs, warns, len(hosts))
	return errs
}

// render renders the template for each host into output-dir/kickstart/ and
// returns the files for the artifact.
func (j *job) render(p *preview, src []byte, hosts []kickstart.Host) []artifact.File {
	j.h.Group("rendering the kickstart for each sample host")
	defer j.h.EndGroup()
	var files []artifact.File
	var text strings.Builder
	tmpl, perr := kickstart.Parse(p.name, src)
	for i, host := range hosts {
		rh := renderedHost{Name: host.Def.Name, File: host.File}
		if perr == nil {
			rh.Out, _ = kickstart.Render(tmpl, &host.Def) // a failure is a lint problem already
		}
		state := "render failed"
		if rh.Out != nil {
			state = "rendered"
			stem := orDefault(safeName(strings.TrimSuffix(path.Base(host.File), path.Ext(host.File))), fmt.Sprint("host-", i))
			name := "kickstart/" + stem + ".cfg"
			files = append(files, artifact.File{Name: name, Data: rh.Out})
			out := filepath.Join(j.abs(j.in["output-dir"]), filepath.FromSlash(name))
			err := os.MkdirAll(filepath.Dir(out), 0o755)
			if err == nil {
				err = os.WriteFile(out, rh.Out, 0o644)
			}
			if err != nil {
				j.h.Warning("write rendered kickstart: %v", err)
			}
		}
		fmt.Fprintf(&text, "%s (%s): %s\n", rh.Name, rh.File, state)
		p.hosts = append(p.hosts, rh)
	}
	j.h.StopCommands(text.String()) // host and file names come from the pull request
	return files
}

func (j *job) loadHosts() ([]kickstart.Host, error) {
	if j.in["hosts"] == "" {
		return kickstart.LoadHosts(templates.FS, "hosts", "templates")
	}
	hosts, err := kickstart.LoadHosts(os.DirFS(j.abs(j.in["hosts"])), ".", j.repoPath(j.in["hosts"]))
	if err != nil {
		return nil, &InputError{"hosts", err.Error(), "point hosts at a directory of hostdef-v3 *.yaml files"}
	}
	return hosts, nil
}

// repoPath is p relative to the workspace, with slashes: the path the
// repository, the annotations and the contents API know it by.
func (j *job) repoPath(p string) string {
	if r, err := filepath.Rel(j.workspace, j.abs(p)); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(p)
}

// diffBase diffs the template and each host's rendered kickstart against the
// base of the pull request. The base comes from the checkout, else from the
// contents API; p.noDiff says why when neither works.
func (j *job) diffBase(ctx context.Context, p *preview, src []byte, hosts []kickstart.Host) {
	switch {
	case j.ev.PR == 0 || j.ev.Base.SHA == "":
		p.noDiff = "this run is not for a pull request, so there is no base to compare with"
		return
	case !p.repoFile:
		p.noDiff = "the kickstart is the built-in template; set the `kickstart` input to a file of the repository"
		return
	}
	p.base = j.ev.Base.SHA
	read := j.baseReader(ctx)
	baseSrc, ok, err := read(p.name)
	if err != nil {
		p.noDiff = err.Error()
		return
	}
	p.diffs = append(p.diffs, fileDiff{Title: "kickstart template " + p.name, Diff: unifiedDiff("a/"+p.name, "b/"+p.name, baseSrc, src)})
	var baseTmpl *kickstart.Template
	if ok { // a template new in this pull request renders nothing at the base
		baseTmpl, _ = kickstart.Parse(p.name, baseSrc)
	}
	headTmpl, _ := kickstart.Parse(p.name, src)
	var hostDiffs []fileDiff
	for _, h := range hosts {
		def := h.Def
		if j.in["hosts"] != "" { // the host file may have changed too
			b, ok, err := read(h.File)
			if err != nil {
				p.noDiff = err.Error()
				return
			}
			if d, derr := kickstart.DecodeHost(h.File, bytes.NewReader(b)); ok && derr == nil {
				def = *d
			} else {
				def = kickstart.HostDef{}
			}
		}
		var before, after []byte
		if baseTmpl != nil && def.Name != "" {
			before, _ = kickstart.Render(baseTmpl, &def)
		}
		if headTmpl != nil {
			after, _ = kickstart.Render(headTmpl, &h.Def)
		}
		title := "host " + h.Def.Name + " (" + h.File + ")"
		if after == nil { // not "everything deleted": the lint problems say why
			hostDiffs = append(hostDiffs, fileDiff{Title: title, Failed: true})
			continue
		}
		label := "rendered/" + safeName(h.Def.Name) + ".cfg"
		hostDiffs = append(hostDiffs, fileDiff{Title: title, Diff: unifiedDiff("a/"+label, "b/"+label, before, after)})
	}
	p.diffs = append(p.diffs, mergeSame(hostDiffs)...)
}

// mergeSame merges the host diffs that change the same lines the same way
// (the file labels aside) into one, titled with every host: ten hosts that
// get the same new line show one diff, not ten.
func mergeSame(diffs []fileDiff) []fileDiff {
	var out []fileDiff
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

// baseReader returns a reader of files at the base commit: from the checkout
// when it has the commit (actions/checkout with fetch-depth: 0), else from
// the contents API with github-token. ok is false for a file the base lacks.
func (j *job) baseReader(ctx context.Context) func(file string) (data []byte, ok bool, err error) {
	sha := j.ev.Base.SHA
	var why []string
	if c, err := j.checkoutCommit(sha); err == nil {
		return func(file string) ([]byte, bool, error) {
			f, err := c.File(file)
			if errors.Is(err, object.ErrFileNotFound) {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("read %s at %s from the checkout: %w", file, short(sha), err)
			}
			s, err := f.Contents()
			return []byte(s), err == nil, err
		}
	} else {
		why = append(why, err.Error())
	}
	return func(file string) ([]byte, bool, error) {
		b, ok, err := j.contentsAPI(ctx, file)
		if err != nil {
			why = append(why, err.Error())
			return nil, false, errors.New(strings.Join(why, "; "))
		}
		return b, ok, nil
	}
}

// checkoutCommit finds commit sha in the repository checked out in the
// workspace, reading .git directly (the image has no git).
func (j *job) checkoutCommit(sha string) (*object.Commit, error) {
	dir := filepath.Join(j.workspace, ".git")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, errors.New("the workspace has no git checkout (run actions/checkout with fetch-depth: 0 first)")
	}
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
	c, err := object.GetCommit(st, plumbing.NewHash(sha))
	if err != nil {
		return nil, fmt.Errorf("base commit %s is not in the checkout (check out with fetch-depth: 0): %w", short(sha), err)
	}
	return c, nil
}

// contentsAPI reads file at the base commit through GitHub's contents API.
func (j *job) contentsAPI(ctx context.Context, file string) ([]byte, bool, error) {
	owner, repo, _ := strings.Cut(j.ev.Base.Repo, "/")
	base, err := url.Parse(strings.TrimRight(orDefault(j.h.Getenv("GITHUB_API_URL"), "https://api.github.com"), "/") + "/")
	switch {
	case j.in["github-token"] == "":
		return nil, false, errors.New("github-token is empty, so the contents API cannot be asked")
	case err != nil:
		return nil, false, fmt.Errorf("GITHUB_API_URL: %w", err)
	}
	hc, err := j.githubClient()
	if err != nil {
		return nil, false, fmt.Errorf("contents API: %w", err)
	}
	gh := github.NewClient(hc).WithAuthToken(j.in["github-token"])
	gh.BaseURL, gh.UserAgent = base, httpclient.UserAgent()
	fc, _, resp, err := gh.Repositories.GetContents(ctx, owner, repo, file, &github.RepositoryContentGetOptions{Ref: j.ev.Base.SHA})
	switch {
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		return nil, false, nil // new in this pull request
	case err != nil:
		j.githubFailed(err)
		return nil, false, fmt.Errorf("contents API: %w", err)
	case fc == nil:
		return nil, false, fmt.Errorf("contents API: %s is a directory", file)
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("contents API: %s: %w", file, err)
	}
	return []byte(s), true, nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName makes a host name (user text) fit for a file name and a log line.
func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "._") }

func short(sha string) string { return sha[:min(len(sha), 12)] }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
