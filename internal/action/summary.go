package action

import (
	"fmt"
	"html"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
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
		msg := option.Action.Message(runErr)
		if h := pipeline.Hint(runErr); h != "" {
			msg += "\nfix: " + option.Action.Expand(h)
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
	if st.ISO != nil {
		row("ISO", code(j.out["iso-path"]))
		row("size", fmt.Sprintf("%d bytes", st.ISO.Size))
		row("sha256", code(st.ISO.SHA256))
	}
	row("URL", cell(orNone(j.out["iso-url"])))
	switch {
	case st.Object != nil:
		row("published", cell(string(st.Object.Outcome)))
	case j.opts.S3Bucket == "" && j.opts.PublishDir == "":
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
	sections := []string{b.String() + "\n"}
	if st.YAML != nil {
		sections = append(sections, "<details><summary>service YAML "+code(j.out["service-yml"])+"</summary>\n\n"+
			fence(string(st.YAML), "yaml")+"\n</details>\n\nImport it in the HPE Bare Metal portal: "+
			"Metal Consumption → OS/application images → Add OS/application image.\n\n")
	}
	return sections
}

func previewSummary(j *job, p *preview) []string {
	var b strings.Builder
	errs, warns := kickstart.Count(p.problems)
	fmt.Fprintf(&b, "### esxi-byoi preview: %s\n\n", code(p.name))
	fmt.Fprintf(&b, "Lint: **%d errors, %d warnings** over %d sample hosts.\n\n", errs, warns, len(p.hosts))
	b.WriteString("| host | file | kickstart |\n|---|---|---|\n")
	for _, h := range p.hosts {
		state := "rendered"
		if h.Out == nil {
			state = "render failed"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(h.Name), code(h.File), state)
	}
	sections := []string{b.String() + "\n"}
	if len(p.problems) > 0 {
		var t strings.Builder
		for _, e := range p.problems {
			t.WriteString(e.Error() + "\n")
		}
		sections = append(sections, "#### Lint problems\n\n"+fence(t.String(), "text")+"\n")
	}
	if p.noDiff != "" {
		sections = append(sections, "> [!WARNING]\n> No diff against the base: "+cell(p.noDiff)+"\n\n")
		return sections
	}
	sections = append(sections, fmt.Sprintf("#### Changes against the base %s\n\n", code(short(p.base))))
	for _, d := range p.diffs {
		if d.Diff == "" {
			sections = append(sections, "- "+cell(d.Title)+": unchanged\n\n")
			continue
		}
		sections = append(sections, "<details open><summary>"+cell(d.Title)+"</summary>\n\n"+fence(d.Diff, "diff")+"\n</details>\n\n")
	}
	return sections
}
