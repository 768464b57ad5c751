//go:build unix

package action_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// chownAll makes the workspace belong to uid:gid, as the runner's checkout does.
func chownAll(t *testing.T, root string, uid, gid int) {
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		return os.Lchown(p, uid, gid)
	}))
}

// requireOwnedBy checks every file and directory of the workspace.
func requireOwnedBy(t *testing.T, root string, uid, gid int) {
	n := 0
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := os.Lstat(p)
		require.NoError(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		require.Equal(t, [2]int{uid, gid}, [2]int{int(st.Uid), int(st.Gid)}, "owner of %s", p)
		n++
		return nil
	}))
	require.Greater(t, n, 3)
}

// The container runs as root; what the step writes in the workspace gets the
// workspace's owner, so that the runner user (and the next checkout on a
// reused self-hosted runner) can remove it.
func TestWhatTheStepWritesBelongsToTheWorkspaceOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: the container it models runs as root (run the suite as root, as scripts/test.sh does)")
	}
	const uid, gid = 12345, 23456
	t.Run("build", func(t *testing.T) {
		r := buildRunner(t)
		r.input("output-dir", "out/esxi") // a directory the step makes, two levels deep
		chownAll(t, r.workspace, uid, gid)
		res := r.run()
		require.Equal(t, 0, res.code, res)
		require.FileExists(t, filepath.Join(r.workspace, res.outputs["iso-path"]))
		requireOwnedBy(t, r.workspace, uid, gid)
	})
	t.Run("preview", func(t *testing.T) {
		r := newRunner(t, "pull_request", "")
		previewRepo(t, r, true, longerFirstboot)
		r.input("comment", "never")
		chownAll(t, r.workspace, uid, gid)
		res := r.run()
		require.Equal(t, 0, res.code, res)
		require.FileExists(t, filepath.Join(r.workspace, "esxi-byoi-out/kickstart/esx-single-static.cfg"))
		requireOwnedBy(t, r.workspace, uid, gid)
	})
}
