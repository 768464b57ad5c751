package preview_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/preview"
)

// gitRepo commits files in a new repository (with the real git) and returns
// its directory and the commit.
func gitRepo(t *testing.T, files map[string]string) (dir, sha string) {
	t.Helper()
	dir = t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "base")
	return dir, git("rev-parse", "HEAD")
}

// The checkout reader reads the commit, not the working tree: the files as
// the base has them, "not there" for a file the base lacks.
func TestCheckoutReadsTheCommitNotTheWorkingTree(t *testing.T) {
	dir, sha := gitRepo(t, map[string]string{"ks/kickstart.cfg.tmpl": "sleep 30\n", "ks/hosts/a.yaml": "Name: a\n"})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ks/kickstart.cfg.tmpl"), []byte("sleep 45\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ks/new.yaml"), []byte("Name: new\n"), 0o644))

	c, err := preview.OpenCheckout(dir, sha)
	require.NoError(t, err)
	b, ok, err := c.ReadBase(t.Context(), "ks/kickstart.cfg.tmpl")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "sleep 30\n", string(b))
	b, ok, err = c.ReadBase(t.Context(), "ks/hosts/a.yaml")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "Name: a\n", string(b))
	b, ok, err = c.ReadBase(t.Context(), "ks/new.yaml")
	require.NoError(t, err)
	require.False(t, ok, "not in the commit")
	require.Nil(t, b)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = c.ReadBase(ctx, "ks/kickstart.cfg.tmpl")
	require.ErrorIs(t, err, context.Canceled)
}

// A directory without .git, and a commit the checkout lacks (a shallow
// clone), are told apart so that the caller can say what to fix.
func TestCheckoutErrors(t *testing.T) {
	_, err := preview.OpenCheckout(t.TempDir(), "0123456789abcdef0123456789abcdef01234567")
	require.ErrorIs(t, err, preview.ErrNoCheckout)

	dir, _ := gitRepo(t, map[string]string{"f": "x\n"})
	_, err = preview.OpenCheckout(dir, "0123456789abcdef0123456789abcdef01234567")
	var ce *preview.CommitError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "0123456789abcdef0123456789abcdef01234567", ce.SHA)
	require.NotNil(t, ce.Err)
	require.Contains(t, err.Error(), "commit 0123456789ab is not in the checkout")
}

// The engine diffs against a real checkout end to end.
func TestRunAgainstACheckout(t *testing.T) {
	hosts := sampleHosts(t)
	files := map[string]string{tmplName: string(embedded(t, "kickstart.cfg.tmpl"))}
	for _, h := range hosts {
		files[h.File] = string(embedded(t, strings.TrimPrefix(h.File, "ks/")))
	}
	dir, sha := gitRepo(t, files)
	c, err := preview.OpenCheckout(dir, sha)
	require.NoError(t, err)
	head := strings.Replace(files[tmplName], "sleep 30", "sleep 45", 1)

	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: []byte(head), Hosts: hosts, Base: c, HostsChange: true})
	require.Empty(t, r.NoDiff)
	require.Contains(t, r.Diffs[0].Diff, "-sleep 30\n+sleep 45\n")
	require.Len(t, r.Diffs, 2, "the template's diff and one merged host diff")
}
