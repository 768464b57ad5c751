package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/esxi-byoi/esxi-byoi/internal/action"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
)

// errActionFailed is returned when the action has already reported its
// failure as ::error:: annotations; the CLI adds one line and exits 1.
var errActionFailed = errors.New("action failed (see the ::error:: annotations above)")

// runAction is `esxi-byoi action`, the entry point of the container action:
// everything comes from the runner's environment (INPUT_*, GITHUB_*), none
// from arguments.
func runAction(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprintln(env.Stderr, "usage: esxi-byoi action\nRuns as a GitHub Action: reads INPUT_* and GITHUB_* from the environment (see action.yml).")
			return flag.ErrHelp
		}
		return usagef("action", "takes no arguments (inputs come from INPUT_* variables), got %q", args[0])
	}
	switch code := action.Main(ctx, env.Getenv, env.Stdout, env.Stderr); code {
	case action.ExitOK:
		return nil
	case action.ExitBug:
		return pipeline.Bug("action exited with code %d", code)
	default:
		return errActionFailed
	}
}
