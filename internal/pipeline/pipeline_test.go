package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
)

type stage struct {
	name string
	run  func(*pipeline.State) error
	skip bool
}

func (s stage) String() string                                 { return s.name }
func (s stage) Run(_ context.Context, st *pipeline.State) error { return s.run(st) }

type skipping struct{ stage }

func (s skipping) Skip(*pipeline.State) (string, bool) { return "not needed", s.skip }

func TestRunOrdersSkipsWrapsAndRecovers(t *testing.T) {
	var log bytes.Buffer
	var ran []string
	rec := func(n string) func(*pipeline.State) error {
		return func(*pipeline.State) error { ran = append(ran, n); return nil }
	}
	boom := errors.New("boom")
	st := &pipeline.State{Log: &log}
	err := pipeline.Run(t.Context(), st, []pipeline.Stage{
		stage{name: "one", run: rec("one")},
		skipping{stage{name: "two", run: rec("two"), skip: true}},
		stage{name: "three", run: func(*pipeline.State) error { return boom }},
		stage{name: "four", run: rec("four")},
	})
	require.ErrorIs(t, err, boom)
	require.EqualError(t, err, "three: boom")
	require.Equal(t, []string{"one"}, ran)
	require.Contains(t, log.String(), "• two: skipped (not needed)")

	err = pipeline.Run(t.Context(), st, []pipeline.Stage{stage{name: "panics", run: func(*pipeline.State) error { panic("nil map") }}})
	var bug *pipeline.BugError
	require.ErrorAs(t, err, &bug)
}

func TestStagesRefuseMissingInputsAsBugs(t *testing.T) {
	for _, s := range []pipeline.Stage{pipeline.RenderService{}, pipeline.Verify{}} {
		err := s.Run(t.Context(), &pipeline.State{})
		var bug *pipeline.BugError
		require.ErrorAs(t, err, &bug, s.String())
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	o := pipeline.Options{Algorithm: "md5"}
	err := o.Validate()
	for _, want := range []string{"-i/--iso", "-o/--output", "-s/--service", "-p/--image-url-prefix", `"md5"`} {
		require.ErrorContains(t, err, want)
	}
}

func TestSecureURLIsPrefixPlusOutputName(t *testing.T) {
	require.Equal(t, "https://h/img/ESXi%20a.iso", pipeline.SecureURL("https://h/img/", "/tmp/x/ESXi a.iso"))
}
