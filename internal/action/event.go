package action

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
)

// event is what the action reads of the run's trigger: the event name, the
// ref, and for pull requests the number, head and base ($GITHUB_EVENT_PATH).
// For a pull request $GITHUB_SHA is the test merge commit, not the head.
type event struct {
	Name  string // GITHUB_EVENT_NAME
	Ref   string // GITHUB_REF: refs/tags/..., refs/heads/..., refs/pull/N/merge
	Repo  string // GITHUB_REPOSITORY, owner/name
	PR    int    // 0 when the run is not for a pull request
	Head  commit
	Base  commit
	Fork  bool // the head repository is not the base repository
	Title string
}

type commit struct {
	SHA  string
	Repo string // owner/name
}

type payload struct {
	PullRequest *struct {
		Number int    `json:"number"`
		Title  string `json:"title"`
		Head   ref    `json:"head"`
		Base   ref    `json:"base"`
	} `json:"pull_request"`
}

type ref struct {
	SHA  string `json:"sha"`
	Repo *struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

func (r ref) commit() commit {
	c := commit{SHA: r.SHA}
	if r.Repo != nil {
		c.Repo = r.Repo.FullName
	}
	return c
}

// readEvent reads the event of the run. A missing event file is no error
// (local runs); an unreadable or malformed one is.
func readEvent(getenv func(string) string) (*event, error) {
	ev := &event{Name: getenv("GITHUB_EVENT_NAME"), Ref: getenv("GITHUB_REF"), Repo: getenv("GITHUB_REPOSITORY")}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return ev, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read event payload: %w", err)
	}
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read event payload %s: %w", path, err)
	}
	if pr := p.PullRequest; pr != nil {
		ev.PR, ev.Title = pr.Number, pr.Title
		ev.Head, ev.Base = pr.Head.commit(), pr.Base.commit()
		ev.Fork = ev.Head.Repo != "" && !strings.EqualFold(ev.Head.Repo, ev.Base.Repo)
		if ev.Base.Repo == "" {
			ev.Base.Repo = ev.Repo
		}
	}
	return ev, nil
}

// pickMode resolves `mode: auto` from the event.
func pickMode(mode string, ev *event) (string, error) {
	if mode != "auto" {
		return mode, nil
	}
	switch {
	case ev.Name == "push" && strings.HasPrefix(ev.Ref, "refs/tags/"),
		ev.Name == "schedule", ev.Name == "workflow_dispatch":
		return "build", nil
	case ev.PR > 0:
		return "preview", nil
	}
	what := ev.Name
	if ev.Name == "push" {
		what = "a push to " + ev.Ref
	}
	if what == "" {
		what = "a run outside GitHub Actions (no GITHUB_EVENT_NAME)"
	}
	return "", &option.Error{Option: "mode", Msg: "auto cannot choose for " + what,
		Fix: "set `mode: build` or `mode: preview`, or run on a tag push, schedule, workflow_dispatch or pull_request"}
}
