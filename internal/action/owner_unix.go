//go:build unix

package action

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// giveToWorkspaceOwner gives what the step wrote under output-dir (and the
// directories it made on the way there) the owner of the workspace. The
// container runs as root, but the runner and its next checkout run as the
// workspace's owner: on a reused self-hosted runner they could not clean
// root-owned files. Only root can chown; for anyone else the files are the
// runner user's already, and this does nothing.
func (j *job) giveToWorkspaceOwner() {
	if os.Geteuid() != 0 || j.workspace == "" {
		return
	}
	fi, err := os.Stat(j.workspace)
	if err != nil {
		return
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	uid, gid := int(st.Uid), int(st.Gid)
	chown := func(p string) {
		if err := os.Lchown(p, uid, gid); err != nil {
			j.h.Warning("give %s to the workspace's owner (uid %d): %v", j.repoPath(p), uid, err)
		}
	}
	dir := j.abs(j.in["output-dir"])
	// the directories between the workspace and output-dir, which MkdirAll may have made
	for p := filepath.Dir(dir); strings.HasPrefix(p, j.workspace+string(filepath.Separator)); p = filepath.Dir(p) {
		chown(p)
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			chown(p)
		}
		return nil
	})
}
