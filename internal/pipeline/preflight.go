package pipeline

import (
	"context"
)

// Preflight checks the publish destination before the first byte is
// downloaded or written: an S3 endpoint's TLS trust, the credentials and the
// bucket (HEAD bucket), or that the directory exists and takes a new file. A
// wrong CA or a missing bucket then costs seconds, not a whole remaster.
// Needs: Opts. Sets: the run's publisher (Remaster then stages its output,
// see Upload). Skipped when nothing is published.
type Preflight struct{}

func (Preflight) String() string { return "checking publish destination" }

func (Preflight) Skip(st *State) (string, bool) { return Upload{}.Skip(st) }

func (Preflight) Run(ctx context.Context, st *State) error {
	p, err := st.publisher(ctx)
	if err != nil {
		return err
	}
	return p.Preflight(ctx)
}
