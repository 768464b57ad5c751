package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/esxi-byoi/esxi-byoi/internal/action/artifact"
	"github.com/esxi-byoi/esxi-byoi/internal/action/comment"
)

// deliver hands the result on: the artifact, the job summary, the sticky
// comment (when wantComment and the run is for a pull request) and the step
// outputs. Only a failure to write the outputs fails the step: the summary,
// the comment and the artifact are conveniences, and their failures warn.
func (j *job) deliver(ctx context.Context, sections []string, files []artifact.File, wantComment bool) error {
	name := j.in["artifact-name"]
	where := "the artifact " + name
	if runURL := j.runURL(); runURL != "" {
		where = fmt.Sprintf("the artifact %s of [run %s](%s)", name, j.h.Getenv("GITHUB_RUN_ID"), runURL)
	}
	if len(files) > 0 {
		j.h.Group("uploading the artifact " + name)
		res, err := artifact.Upload(ctx, artifact.Options{
			RuntimeToken: j.h.Getenv("ACTIONS_RUNTIME_TOKEN"), ResultsURL: j.h.Getenv("ACTIONS_RESULTS_URL"),
			Name: name, Files: files, RetentionDays: j.retention,
		})
		switch {
		case errors.Is(err, artifact.ErrNoRuntime):
			j.h.Warning("no artifact: %v", err)
		case err != nil:
			j.h.Warning("artifact %s: %v", name, err)
		default:
			j.out["artifact-id"] = fmt.Sprint(res.ID)
			j.out["artifact-digest"] = res.SHA256
			if runURL := j.runURL(); runURL != "" {
				j.out["artifact-url"] = fmt.Sprintf("%s/artifacts/%d", runURL, res.ID)
			}
			j.h.Logf("artifact %s: id %d, %d bytes, %s", name, res.ID, res.Size, res.SHA256)
		}
		j.h.EndGroup()
	}
	if u := j.out["artifact-url"]; u != "" && len(sections) > 0 {
		// right under the result table: the files themselves are there
		at := "The files are in the artifact [" + cell(name) + "](" + u + ") (zip sha256 " + code(j.out["artifact-digest"]) + ").\n\n"
		sections = append([]string{sections[0], at}, sections[1:]...)
	}
	if err := j.h.AppendSummary(fit(sections, maxSummary, where)); err != nil {
		j.h.Warning("job summary: %v", err)
	}
	if wantComment {
		j.comment1(ctx, sections, where)
	}
	for _, o := range Outputs {
		if v, ok := j.out[o.Name]; ok {
			if err := j.h.SetOutput(o.Name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// comment1 keeps the one sticky comment of this workflow job up to date.
func (j *job) comment1(ctx context.Context, sections []string, where string) {
	switch {
	case j.ev.PR == 0:
		j.h.Logf("no pull request: no comment (the job summary and the artifact carry the result)")
		return
	case j.in["github-token"] == "":
		j.h.Warning("github-token is empty: no pull request comment")
		return
	}
	hc, err := j.githubClient()
	if err != nil {
		j.h.Logf("no pull request comment: %v", err) // warned about already
		return
	}
	res, err := comment.Upsert(ctx, comment.Options{
		APIURL: j.h.Getenv("GITHUB_API_URL"), GraphQLURL: j.h.Getenv("GITHUB_GRAPHQL_URL"),
		Token: j.in["github-token"], Repo: j.ev.Base.Repo, PR: j.ev.PR,
		Workflow: j.h.Getenv("GITHUB_WORKFLOW"), Job: j.h.Getenv("GITHUB_JOB"), Header: j.in["comment-header"],
		Body:       fit(sections, maxComment, where),
		Pointer:    "\n\n> The full result is in the job summary and " + where + ".\n",
		HTTPClient: hc,
	})
	switch {
	case err != nil:
		j.githubFailed(err)
		j.h.Warning("pull request comment: %v", err)
	case res.Action == comment.Forbidden:
		j.h.Warning("no pull request comment: %s", comment.ForbiddenHint)
	default:
		j.out["comment-url"] = res.URL
		j.h.Logf("pull request comment %s: %s", res.Action, res.URL)
	}
}

func (j *job) runURL() string {
	srv, repo, id := j.h.Getenv("GITHUB_SERVER_URL"), j.h.Getenv("GITHUB_REPOSITORY"), j.h.Getenv("GITHUB_RUN_ID")
	if srv == "" || repo == "" || id == "" {
		return ""
	}
	return srv + "/" + repo + "/actions/runs/" + id
}
