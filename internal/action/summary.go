package action

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/preview"
	"github.com/esxi-byoi/esxi-byoi/internal/watch"
)

// Size limits of what GitHub shows.
const (
	maxSummary = 1 << 20 // $GITHUB_STEP_SUMMARY of one step
	maxComment = 60000   // comment body before the marker (GitHub: 65,536 characters)
)

// fence wraps text a user or pull request controls in a code fence longer
// than any run of backticks inside it, so it cannot end the block early.
func fence(text, info string) string {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return f + info + "\n" + text + f + "\n"
}

// cell escapes text for one Markdown table cell (HTML is live in summaries).
func cell(s string) string {
	s = html.EscapeString(strings.Join(strings.Fields(s), " "))
	return strings.NewReplacer("|", `\|`, "`", "&#96;", "[", `\[`, "]", `\]`).Replace(s)
}

func code(s string) string { return "<code>" + cell(s) + "</code>" }

// fit joins sections while they stay under limit bytes, and says how many
// were left out and where to find them.
func fit(sections []string, limit int, where string) string {
	var b strings.Builder
	for i, s := range sections {
		if b.Len()+len(s) > limit-512 {
			fmt.Fprintf(&b, "\n> [!NOTE]\n> %d more sections were left out to stay under GitHub's size limit: see %s.\n", len(sections)-i, where)
			break
		}
		b.WriteString(s)
	}
	return b.String()
}

func buildSummary(j *job, st *pipeline.State, runErr error) []string {
	var b strings.Builder
	b.WriteString("### esxi-byoi: ESXi image service\n\n")
	if runErr != nil {
		msg := j.forReader(option.Action.Message(runErr))
		if h := pipeline.Hint(runErr); h != "" {
			msg += "\nfix: " + j.forReader(option.Action.Expand(h))
		}
		b.WriteString("> [!CAUTION]\n> The build failed.\n\n" + fence(msg, "text") + "\n")
	}
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	b.WriteString("| | |\n|---|---|\n")
	row("ESXi version", cell(orNone(j.out["esxi-version"])))
	row("ESXi build", cell(orNone(j.out["esxi-build"])))
	if st.Service != nil {
		row("service", cell(st.Service.Name)+" ("+code(j.out["service-yml"])+")")
	}
	if st.YAML != nil {
		sum := sha256.Sum256(st.YAML)
		row("service YAML", fmt.Sprintf("%d bytes, sha256 %s", len(st.YAML), code(hex.EncodeToString(sum[:]))))
	}
	if st.ISO != nil {
		row("ISO", code(j.out["iso-path"]))
		row("size", fmt.Sprintf("%d bytes", st.ISO.Size))
		row("sha256", code(st.ISO.SHA256))
	}
	row("URL", cell(orNone(j.out["iso-url"])))
	switch {
	case st.Object != nil:
		row("published", cell(string(st.Object.Outcome)))
	case runErr == nil && j.opts.S3Bucket == "" && j.opts.PublishDir == "":
		row("published", "no: copy the ISO to the URL yourself")
	default:
		row("published", "no")
	}
	switch {
	case st.Check != nil:
		row("verified", fmt.Sprintf("yes: %d bytes, same digest (%s)", st.Check.Size, cell(st.Check.Proto)))
	case j.opts.SkipVerify:
		row("verified", "skipped (skip-verify)")
	default:
		row("verified", "no")
	}
	if reg := st.Registration; reg != nil {
		row("portal service", cell(reg.Action)+" "+code(reg.ID)+" ("+cell(reg.Name)+")")
	}
	if st.Health != nil {
		row("download health", cell(st.Health.Summary())+fmt.Sprintf(" (%d controllers)", len(st.Health.Controllers)))
	}
	sections := []string{b.String() + "\n"}
	if st.Health != nil {
		sections = append(sections, healthSection([]watch.HealthRow{{Result: st.Health}}, false))
	}
	if st.YAML != nil && st.Service != nil {
		sections = append(sections, j.serviceSections(st)...)
	}
	return sections
}

// serviceSections show a reviewer the service YAML without what the runner's
// masking would corrupt, and point at the artifact for the file itself.
//
// The runner masks every secret in the step summary, and with it the base64
// of the secret and of the secret without its first one or two bytes (its
// three alignments in a base64 stream). The root password hash is a secret
// and sits inside the base64 `contents` of the kickstart, so for one byte
// offset of the hash in three a span of that line would become "***" and
// the YAML would no longer decode. So the summary shows the YAML with each
// `contents` value replaced by a note, the kickstart decoded without its
// rootpw line, and the size and sha256 of the real file in the artifact.
func (j *job) serviceSections(st *pipeline.State) []string {
	file := j.out["service-yml"]
	y := string(st.YAML)
	var kickstarts []string
	for i, in := range st.Service.Info {
		if in.Contents == "" {
			continue
		}
		note := fmt.Sprintf("<%d characters of %s: left out here, decoded below; the file in the artifact has them>", len(in.Contents), in.Encoding)
		y = strings.ReplaceAll(y, in.Contents, note)
		if ks, err := st.Service.Info[i].Decode(); err == nil {
			kickstarts = append(kickstarts, "<details><summary>"+cell(in.Path)+" (decoded from <code>contents</code>; the rootpw line is left out)</summary>\n\n"+
				fence(j.withoutRootpw(string(ks)), "text")+"\n</details>\n\n")
		}
	}
	var out []string
	if j.survivesMasking(y) {
		out = append(out, "<details><summary>service YAML "+code(file)+", <code>contents</code> left out</summary>\n\n"+
			fence(y, "yaml")+"\n</details>\n\n")
	}
	out = append(out, kickstarts...)
	if reg := st.Registration; reg != nil {
		out = append(out, "The HPE Bare Metal portal has this YAML as service "+code(reg.ID)+" ("+cell(reg.Action)+"); "+
			"the file is in the artifact "+cell(j.in["artifact-name"])+".\n\n")
		return out
	}
	out = append(out, "Import "+code(file)+" from the artifact "+cell(j.in["artifact-name"])+
		" (the table above has its size and sha256; do not copy the YAML from this page) in the HPE Bare Metal portal: "+
		"Metal Consumption → OS/application images → Add OS/application image.\n\n")
	return out
}

// withoutRootpw drops the rootpw lines of a kickstart, and the hash wherever
// else it turns up.
func (j *job) withoutRootpw(ks string) string {
	lines := strings.SplitAfter(ks, "\n")
	out := lines[:0]
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "rootpw") {
			out = append(out, "# (rootpw line left out: it holds the root password hash)\n")
			continue
		}
		out = append(out, l)
	}
	s := strings.Join(out, "")
	if j.opts.RootHash != "" {
		s = strings.ReplaceAll(s, j.opts.RootHash, "***")
	}
	return s
}

// survivesMasking reports whether the runner's masking would leave text as
// it is: no secret of this run, nor any of its three base64 forms, in it.
func (j *job) survivesMasking(text string) bool {
	secrets := []string{j.opts.RootHash}
	for _, o := range option.Inputs() {
		if o.Secret {
			secrets = append(secrets, j.in[o.Name])
		}
	}
	for _, k := range secretEnv {
		secrets = append(secrets, j.h.Getenv(k))
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for shift := range 3 {
			b := []byte(s)
			if len(b) > shift {
				b = b[shift:]
			}
			if strings.Contains(text, base64.StdEncoding.EncodeToString(b)) {
				return false
			}
		}
		if strings.Contains(text, s) {
			return false
		}
	}
	return true
}

// forReader makes a message, already spelled for the action (option names
// as inputs), fit for the summary and the annotations: paths relative to the
// workspace instead of the container's.
func (j *job) forReader(msg string) string { return relativeText(j.workspace, msg) }

// relativeText writes the paths under workspace in msg relative to it, as the
// user named them (the container's /github/workspace means nothing to them).
func relativeText(workspace, msg string) string {
	if workspace != "" && workspace != "/" {
		msg = strings.ReplaceAll(msg, strings.TrimRight(workspace, "/")+"/", "")
	}
	return msg
}

func previewSummary(j *job, p *preview.Result) []string {
	var b strings.Builder
	errs, warns := p.Counts()
	fmt.Fprintf(&b, "### esxi-byoi preview: %s\n\n", code(p.Name))
	fmt.Fprintf(&b, "Lint: **%s** over %d sample hosts.\n\n", kickstart.Tally(errs, warns), len(p.Hosts))
	b.WriteString("| host | file | kickstart |\n|---|---|---|\n")
	for _, h := range p.Hosts {
		state := "rendered"
		if h.Out == nil {
			state = "render failed"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(h.Name), code(h.File), state)
	}
	sections := []string{b.String() + "\n"}
	if len(p.Findings) > 0 {
		var t strings.Builder
		for _, f := range p.Findings {
			t.WriteString(f.String() + "\n")
		}
		sections = append(sections, "#### Lint problems\n\n"+fence(t.String(), "text")+"\n")
	}
	if p.NoDiff != "" {
		sections = append(sections, "> [!WARNING]\n> No diff against the base: "+cell(j.forReader(option.Action.Expand(p.NoDiff)))+"\n\n")
		return sections
	}
	head := fmt.Sprintf("#### Changes against the base %s\n\n", code(preview.Short(j.ev.Base.SHA)))
	var unchanged, failed, changed []string
	for _, d := range p.Diffs {
		switch {
		case d.Failed:
			failed = append(failed, cell(d.Title))
		case d.Diff == "":
			unchanged = append(unchanged, cell(d.Title))
		default:
			changed = append(changed, "<details open><summary>"+cell(d.Title)+"</summary>\n\n"+fence(d.Diff, "diff")+"\n</details>\n\n")
		}
	}
	// the short lines first: a long diff may be cut to fit GitHub's limits
	if len(failed) > 0 {
		head += "> [!CAUTION]\n> Render failed (see the lint problems above), so there is no diff for: " + strings.Join(failed, "; ") + "\n\n"
	}
	if len(unchanged) > 0 {
		head += "Unchanged: " + strings.Join(unchanged, "; ") + ".\n\n"
	}
	sections = append(sections, head)
	sections = append(sections, changed...)
	return sections
}
