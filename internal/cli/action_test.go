package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
)

func runAction(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(t.Context(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// `esxi-byoi action` is the container's entrypoint: it takes everything from
// the runner's environment and exits with the action's verdict.
func TestActionCommandRunsTheAction(t *testing.T) {
	env := map[string]string{"GITHUB_WORKSPACE": t.TempDir(), "INPUT_MODE": "preview", "INPUT_COMMENT": "never"}
	code, out, errb := runAction(t, env, "action")
	require.Equal(t, cli.ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, errb)
	require.Contains(t, out, "::group::linting templates/kickstart.cfg.tmpl\n")
	require.Contains(t, out, "::warning::no diff against the base: this run is not for a pull request")
	require.Empty(t, errb)
}

func TestActionCommandFailsWithTheAnnotationsAndExit1(t *testing.T) {
	code, out, errb := runAction(t, map[string]string{"GITHUB_WORKSPACE": t.TempDir(), "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"}, "action")
	require.Equal(t, cli.ExitError, code)
	require.Contains(t, out, "::error title=input mode::input mode: auto cannot choose for a push to refs/heads/main")
	require.Equal(t, "error: action failed (see the ::error:: annotations above)\n", errb)
}

func TestActionCommandTakesNoArguments(t *testing.T) {
	code, _, errb := runAction(t, nil, "action", "--iso", "x.iso")
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, errb, "takes no arguments (inputs come from INPUT_* variables)")
	code, out, _ := runAction(t, nil, "help")
	require.Equal(t, cli.ExitOK, code)
	require.True(t, strings.Contains(out, "\n  action "), out)
}
