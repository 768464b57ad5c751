package version_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/version"
)

const stamp = "-X github.com/esxi-byoi/esxi-byoi/internal/version.Version="

// The version a release stamps is the one the binary prints and the one
// every download announces in its User-Agent.
func TestStampedVersionReachesTheUserAgent(t *testing.T) {
	require.Equal(t, "esxi-byoi/"+version.Version, httpclient.UserAgent())

	bin := filepath.Join(t.TempDir(), "esxi-byoi")
	build := exec.Command("go", "build", "-ldflags", stamp+"v9.8.7-test", "-o", bin, "../../cmd/esxi-byoi")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, "version").Output()
	require.NoError(t, err)
	require.Equal(t, "esxi-byoi v9.8.7-test\n", string(out))
}

// The builds that stamp the version name this package's variable.
func TestBuildsStampThisVariable(t *testing.T) {
	for _, f := range []string{"../../Dockerfile", "../../scripts/test.sh"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.True(t, strings.Contains(string(b), stamp), "%s does not stamp %s", f, stamp)
	}
}
