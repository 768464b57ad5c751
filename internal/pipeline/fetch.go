package pipeline

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/source"
)

// Fetch downloads a remote vendor ISO (-i https://... or s3://bucket/key)
// into a temp file beside the output; it is removed once the remaster is done
// (and at the end of the run in any case). Needs: Opts. Sets: Source.
// Skipped for a local file.
type Fetch struct{}

func (Fetch) String() string { return "downloading vendor ISO" }

func (Fetch) Skip(st *State) (string, bool) {
	return "local file", !source.IsRemote(st.Opts.Input)
}

func (Fetch) Run(ctx context.Context, st *State) error {
	o := st.Opts
	var s3 source.Opener
	if strings.HasPrefix(o.Input, "s3://") {
		c, err := st.s3Client(ctx)
		if err != nil {
			return err
		}
		s3 = c
	}
	f, err := source.Fetch(ctx, source.Options{
		Input: o.Input, Dir: filepath.Dir(o.Output), CAFile: o.CAFile, S3: s3, Progress: st.Progress,
	})
	if err != nil {
		return err
	}
	st.Source = f
	st.cleanups = append(st.cleanups, f.Remove)
	return nil
}
