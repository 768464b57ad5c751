package action_test

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// workflow is what the tests read of a workflow file: its jobs' steps.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// eachWorkflow calls fn with every workflow and example workflow file, its
// text and its steps.
func eachWorkflow(t *testing.T, fn func(file string, text []byte, w workflow)) {
	t.Helper()
	files, err := filepath.Glob("../../.github/*/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var w workflow
		require.NoError(t, yaml.Unmarshal(b, &w), f)
		fn(f, b, w)
	}
}

// The release workflow starts on a release tag only (moving v1 starts
// nothing), builds the image for amd64 and arm64, and its rewrite of
// action.yml turns this repository's action.yml into one that runs the
// image by digest, changing nothing else.
func TestReleasePublishesTheImageAndPinsItInActionYAML(t *testing.T) {
	b, err := os.ReadFile("../../.github/workflows/release.yml")
	require.NoError(t, err)
	var w struct {
		On       map[string]map[string][]string `yaml:"on"`
		workflow `yaml:",inline"`
	}
	require.NoError(t, yaml.Unmarshal(b, &w))
	require.Equal(t, map[string]map[string][]string{"push": {"tags": {"v*.*.*"}}}, w.On)
	for tag, starts := range map[string]bool{"v1.2.3": true, "v10.0.1": true, "v1": false, "v1.2": false, "esxi-8.0U3": false} {
		ok, err := path.Match("v*.*.*", tag)
		require.NoError(t, err)
		require.Equal(t, starts, ok, tag)
	}
	var platforms, rewrite string
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "docker/build-push-action@") {
				platforms = s.With["platforms"]
			}
			for _, l := range strings.Split(s.Run, "\n") {
				if strings.HasPrefix(l, "sed -i ") && strings.HasSuffix(l, " action.yml") {
					rewrite = l
				}
			}
		}
	}
	require.Equal(t, "linux/amd64,linux/arm64", platforms)
	require.NotEmpty(t, rewrite, "release.yml rewrites action.yml with sed")

	dir := t.TempDir()
	orig, err := os.ReadFile(actionYML)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "action.yml"), orig, 0o644))
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", rewrite)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "IMAGE=ghcr.io/esxi-byoi/esxi-byoi", "DIGEST="+digest)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	released, err := os.ReadFile(filepath.Join(dir, "action.yml"))
	require.NoError(t, err)
	var before, after map[string]any
	require.NoError(t, yaml.Unmarshal(orig, &before))
	require.NoError(t, yaml.Unmarshal(released, &after))
	require.Equal(t, "Dockerfile", before["runs"].(map[string]any)["image"], "main builds the Dockerfile")
	require.Equal(t, "docker://ghcr.io/esxi-byoi/esxi-byoi@"+digest, after["runs"].(map[string]any)["image"])
	after["runs"].(map[string]any)["image"] = "Dockerfile"
	require.Equal(t, before, after, "the release changes nothing but the image")

	df, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	for _, l := range strings.Split(string(df), "\n") {
		if strings.HasPrefix(strings.ReplaceAll(l, " ", ""), "#syntax=") {
			require.Contains(t, l, "@sha256:", "a # syntax= frontend must be pinned by digest")
		}
	}
	require.Contains(t, string(df), "FROM --platform=$BUILDPLATFORM ", "the Go stage cross-compiles")
}

// Every action of the workflows and the examples is pinned to a commit with
// its version in a comment, and none is a major that runs on Node 20 (gone
// from GitHub's runners in 2026).
func TestWorkflowActionsArePinnedAndOffNode20(t *testing.T) {
	node20 := map[string]int{ // the last major on Node 20
		"actions/checkout": 4, "actions/setup-go": 5, "actions/download-artifact": 4, "actions/upload-artifact": 4,
		"aws-actions/configure-aws-credentials": 4, "docker/setup-buildx-action": 3, "docker/login-action": 3,
		"docker/metadata-action": 5, "docker/build-push-action": 6, "actions/attest-build-provenance": 2,
	}
	pin := regexp.MustCompile(`^([\w.-]+/[\w.-]+)@[0-9a-f]{40} # v(\d+)\.\d+\.\d+$`)
	n := 0
	eachWorkflow(t, func(f string, b []byte, _ workflow) {
		for _, l := range strings.Split(string(b), "\n") {
			_, uses, ok := strings.Cut(l, "uses: ")
			if !ok || strings.HasPrefix(strings.TrimSpace(l), "#") || strings.HasPrefix(strings.TrimSpace(l), "echo") {
				continue
			}
			if uses == "./" || strings.HasPrefix(uses, "esxi-byoi/esxi-byoi@v1") {
				continue // this action itself
			}
			m := pin.FindStringSubmatch(uses)
			require.NotNil(t, m, "%s: %q is not pinned as owner/repo@<sha> # vX.Y.Z", f, uses)
			major, _ := strconv.Atoi(m[2])
			last, known := node20[m[1]]
			require.True(t, known, "%s: %s: add its last Node 20 major to this test", f, m[1])
			require.Greater(t, major, last, "%s: %s v%d runs on Node 20", f, m[1], major)
			n++
		}
	})
	require.Greater(t, n, 10)
}

// Every checkout of the workflows and the examples leaves no token in
// .git/config for later steps (persist-credentials: false), and Dependabot
// keeps the actions of both up to date: it reads the workflow files of each
// directory it is given, and the examples are not under .github/workflows.
func TestCheckoutsKeepNoTokenAndDependabotWatchesTheExamples(t *testing.T) {
	checkouts := 0
	eachWorkflow(t, func(f string, _ []byte, w workflow) {
		for name, j := range w.Jobs {
			for i, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "actions/checkout@") {
					checkouts++
					require.Equal(t, "false", s.With["persist-credentials"], "%s: job %s step %d", f, name, i+1)
				}
			}
		}
	})
	require.GreaterOrEqual(t, checkouts, 7)

	b, err := os.ReadFile("../../.github/dependabot.yml")
	require.NoError(t, err)
	var cfg struct {
		Version int
		Updates []struct {
			Ecosystem   string   `yaml:"package-ecosystem"`
			Directory   string   `yaml:"directory"`
			Directories []string `yaml:"directories"`
		}
	}
	require.NoError(t, yaml.Unmarshal(b, &cfg))
	require.Equal(t, 2, cfg.Version)
	watched := map[string][]string{}
	for _, u := range cfg.Updates {
		dirs := u.Directories
		if u.Directory != "" {
			dirs = append(dirs, u.Directory)
		}
		watched[u.Ecosystem] = append(watched[u.Ecosystem], dirs...)
	}
	require.Subset(t, watched["github-actions"], []string{"/.github/workflows", "/.github/examples"})
	require.Contains(t, watched["gomod"], "/")
	require.Contains(t, watched["docker"], "/", "the Dockerfile's pinned base images")
}
