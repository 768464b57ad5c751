package action

import (
	"testing"
	"time"
)

// SetGitHubTimeout shortens the GitHub API timeout for one test.
func SetGitHubTimeout(t testing.TB, d time.Duration) {
	old := githubTimeout
	githubTimeout = d
	t.Cleanup(func() { githubTimeout = old })
}
