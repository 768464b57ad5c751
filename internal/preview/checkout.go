package preview

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrNoCheckout is returned by [OpenCheckout] for a directory without a .git
// directory.
var ErrNoCheckout = errors.New("preview: no git checkout (no .git directory)")

// CommitError is a commit that the checkout does not hold, as in a shallow
// clone that lacks the base of a pull request.
type CommitError struct {
	SHA string
	Err error // go-git's error
}

func (e *CommitError) Error() string {
	return fmt.Sprintf("preview: commit %s is not in the checkout: %v", Short(e.SHA), e.Err)
}

func (e *CommitError) Unwrap() error { return e.Err }

// Checkout is a [BaseReader] over one commit of a git checkout on disk. It
// reads .git directly with go-git, so it needs no git binary (the action's
// image has none).
type Checkout struct {
	sha    string
	commit *object.Commit
}

// OpenCheckout finds commit sha in the repository checked out in dir. It
// returns [ErrNoCheckout] when dir has no .git directory and a *[CommitError]
// when the commit is not there.
func OpenCheckout(dir, sha string) (*Checkout, error) {
	git := filepath.Join(dir, ".git")
	if fi, err := os.Stat(git); err != nil || !fi.IsDir() {
		return nil, ErrNoCheckout
	}
	st := filesystem.NewStorage(osfs.New(git), cache.NewObjectLRUDefault())
	c, err := object.GetCommit(st, plumbing.NewHash(sha))
	if err != nil {
		return nil, &CommitError{SHA: sha, Err: err}
	}
	return &Checkout{sha: sha, commit: c}, nil
}

// ReadBase returns file (a slash-separated path from the repository's root)
// as it is at the commit; ok is false when the commit has no such file.
func (c *Checkout) ReadBase(ctx context.Context, file string) (data []byte, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	f, err := c.commit.File(file)
	if errors.Is(err, object.ErrFileNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s at %s from the checkout: %w", file, Short(c.sha), err)
	}
	s, err := f.Contents()
	if err != nil {
		return nil, false, fmt.Errorf("read %s at %s from the checkout: %w", file, Short(c.sha), err)
	}
	return []byte(s), true, nil
}
