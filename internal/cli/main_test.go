package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
	"github.com/esxi-byoi/esxi-byoi/internal/sample/sampletest"
)

// TestMain lets the test binary double as the esxi-byoi binary, so tests can
// run the CLI in a child process (another user, another mount namespace).
func TestMain(m *testing.M) {
	if os.Getenv("ESXI_BYOI_TEST_AS_CLI") == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	code := m.Run()
	sampletest.Cleanup()
	os.Exit(code)
}

// run runs the CLI in-process and returns exit code, stdout and stderr.
func run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(t.Context(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// runChild runs the CLI as a child process through wrapper (e.g. "unshare",
// "-m", "sh", "-c", ...); the literal "$ESXI_BYOI" in wrapper is the binary.
func childCmd(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "ESXI_BYOI_TEST_AS_CLI=1")
	return cmd
}

// smallSample returns the shared 8 MiB ESXi-like sample ISO (read-only: copy
// it before changing it).
func smallSample(t testing.TB) string { return sampletest.Small(t) }

// requireEmptyDir asserts a failed run left no file behind (no output, no temp).
func requireEmptyDir(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Empty(t, names, "files left in %s", dir)
}
