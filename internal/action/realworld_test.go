package action_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/ghfake"
	"github.com/esxi-byoi/esxi-byoi/internal/realworld"
)

// realPR is what a recorded pull_request payload says: the repository, the
// pull request's number and its base commit.
type realPR struct {
	repo    string
	number  int
	baseSHA string
}

func readRealPR(t *testing.T, file string) realPR {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var p struct {
		Repository struct {
			FullName string `json:"full_name"`
		}
		PullRequest struct {
			Number int
			Base   struct{ SHA string }
		} `json:"pull_request"`
	}
	require.NoError(t, json.Unmarshal(b, &p))
	require.NotEmpty(t, p.Repository.FullName)
	require.NotZero(t, p.PullRequest.Number)
	require.Len(t, p.PullRequest.Base.SHA, 40)
	return realPR{p.Repository.FullName, p.PullRequest.Number, p.PullRequest.Base.SHA}
}

// previewWorkspace lays out the built-in kickstart (sleep 30 → 45 in the head)
// and one sample host, as a repository under review would hold them.
func previewWorkspace(t *testing.T, r *runner) (base string) {
	t.Helper()
	base = embedded(t, "kickstart.cfg.tmpl")
	r.write(ksPath, base)
	r.write(hostsPath+"/esx-single-static.yaml", embedded(t, "hosts/esx-single-static.yaml"))
	return base
}

// The pull_request payloads GitHub sends (octokit/webhooks' recorded
// webhook examples, unedited) drive a preview end to end: the action finds
// the pull request's number and base commit in them, reads the base through
// the contents API (the base commit is not in this checkout), and keeps one
// sticky comment on that pull request of that repository.
func TestPreviewOfRecordedPullRequestPayloads(t *testing.T) {
	files := realworld.Files(t, "events", "*pull_request*.json")
	require.GreaterOrEqual(t, len(files), 3)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			pr := readRealPR(t, file)
			r := newRunner(t, "pull_request", "")
			r.env["GITHUB_REPOSITORY"] = pr.repo
			r.env["GITHUB_EVENT_PATH"] = file
			base := previewWorkspace(t, r)
			r.write(ksPath, longerFirstboot(base))
			gh := ghfake.New(t, ghfake.WithRepo(pr.repo),
				ghfake.WithFile(pr.baseSHA, ksPath, []byte(base)),
				ghfake.WithFile(pr.baseSHA, hostsPath+"/esx-single-static.yaml", []byte(embedded(t, "hosts/esx-single-static.yaml"))))
			r.env["GITHUB_API_URL"] = gh.URL
			r.input("kickstart", ksPath).input("hosts", hostsPath).input("github-token", githubToken)

			res := r.run()
			require.Equal(t, 0, res.code, res)
			var refs []string
			for _, rq := range gh.Requests() {
				if strings.Contains(rq.Path, "/contents/") {
					refs = append(refs, rq.Path+"?"+rq.RawQuery)
				}
			}
			require.Contains(t, refs, "/repos/"+pr.repo+"/contents/"+ksPath+"?ref="+pr.baseSHA,
				"the base comes from the payload's base commit")
			require.Len(t, gh.Comments(pr.number), 1, "one comment on the payload's pull request")
			require.Contains(t, gh.Comments(pr.number)[0].Body, "-sleep 30\n+sleep 45\n")
			require.Contains(t, res.outputs["comment-url"], "#issuecomment-")
			require.NotContains(t, res.outputs, "published")

			res = r.run() // a second run on the same payload edits nothing and adds nothing
			require.Equal(t, 0, res.code, res)
			require.Len(t, gh.Comments(pr.number), 1)
			requireNoSecretInComments(t, gh)
		})
	}
}

// The same recorded payload with its base commit replaced by one the
// checkout holds: the diff comes from the checkout, without the contents API.
func TestPreviewOfRecordedPayloadDiffsFromTheCheckout(t *testing.T) {
	file := realworld.Files(t, "events", "*pull_request-synchronize*.json")[0]
	pr := readRealPR(t, file)
	r := newRunner(t, "pull_request", "")
	r.env["GITHUB_REPOSITORY"] = pr.repo
	base := previewWorkspace(t, r)
	local := commitWorkspace(t, r.workspace)
	r.write(ksPath, longerFirstboot(base))

	b, err := os.ReadFile(file)
	require.NoError(t, err)
	edited := strings.Replace(string(b), `"sha": "`+pr.baseSHA+`"`, `"sha": "`+local+`"`, 1)
	require.NotEqual(t, string(b), edited, "the payload's base sha was not found")
	p := filepath.Join(filepath.Dir(r.workspace), "event.json")
	require.NoError(t, os.WriteFile(p, []byte(edited), 0o644))
	r.env["GITHUB_EVENT_PATH"] = p

	gh := ghfake.New(t, ghfake.WithRepo(pr.repo))
	r.env["GITHUB_API_URL"] = gh.URL
	r.input("kickstart", ksPath).input("hosts", hostsPath).input("github-token", githubToken)

	res := r.run()
	require.Equal(t, 0, res.code, res)
	for _, rq := range gh.Requests() {
		require.NotContains(t, rq.Path, "/contents/", "the checkout had the base")
	}
	require.Len(t, gh.Comments(pr.number), 1)
	require.Contains(t, gh.Comments(pr.number)[0].Body, "-sleep 30\n+sleep 45\n")
}
