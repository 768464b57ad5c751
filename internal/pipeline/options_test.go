package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

var testHash = "$6$saltsalt$" + strings.Repeat("a", 86)

func buildValues() option.Values {
	return option.Values{"iso": "in.iso", "output": "out.iso", "service": "out.yml", "image-url-prefix": "https://h/esxi"}
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// NewBuild is what both surfaces call: every option of the table lands in
// its Options field, the region and the password come from the environment
// when not given, the kickstart carries the hash.
func TestNewBuildReadsEveryBuildOption(t *testing.T) {
	v := buildValues()
	v["hosts"], v["kernelopt"], v["algorithm"], v["skip-ssl-verify"], v["skip-verify"] = "hosts", "a=1", "sha512sum", "true", "TRUE"
	v.Add("kernelopt-add", "x=1")
	v.Add("kernelopt-add", "y")
	v["kernelopt-remove"] = "z"
	v["root-password-hash"] = testHash
	v["s3-bucket"], v["s3-path-style"], v["replace"] = "b", "true", "true"
	v["image-url-prefix"] = ""
	o, err := pipeline.NewBuild(v, envOf(map[string]string{"AWS_DEFAULT_REGION": "eu-west-3", "SOURCE_DATE_EPOCH": "1700000000"}))
	require.NoError(t, err)
	require.Equal(t, "hosts", o.Hosts)
	require.Equal(t, remaster.KerneloptEdit{Replace: "a=1", Add: []string{"x=1", "y"}, Remove: []string{"z"}}, o.Kernelopt)
	require.Equal(t, "sha512sum", o.Algorithm)
	require.True(t, o.SkipSSL && o.SkipVerify && o.S3PathStyle && o.Replace)
	require.Equal(t, "eu-west-3", o.S3Region, "the region the AWS chain reads")
	require.Equal(t, testHash, o.RootHash)
	require.Contains(t, string(o.Kickstart), "rootpw --iscrypted "+testHash)
	require.Equal(t, "(embedded)", o.KickstartName)
	require.Equal(t, int64(1700000000), o.Date.Unix())
}

// One documented order: at most one of hash, file and password, else the
// environment.
func TestRootPasswordOrder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(file, []byte("from-file\r\nignored\n"), 0o600))
	env := envOf(map[string]string{"ESXI_ROOT_PASSWORD": "from-env"})

	v := buildValues()
	v["root-password-file"] = file
	o, err := pipeline.NewBuild(v, env)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(o.RootHash, "$6$"))

	v["root-password"] = "flag"
	_, err = pipeline.NewBuild(v, env)
	var ie *pipeline.InvalidError
	require.ErrorAs(t, err, &ie, "two sources are a usage error")
	var oe *option.Error
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "root-password", oe.Option)
	require.Equal(t, "input root-password: given together with root-password-file", option.Action.Message(oe))

	_, err = pipeline.NewBuild(buildValues(), envOf(nil))
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "-r/--root-password: no root password", err.Error())
	require.Equal(t, "set ESXI_ROOT_PASSWORD, or give --root-password-hash, --root-password-file or -r/--root-password",
		option.CLI.Expand(pipeline.Hint(err)))

	o, err = pipeline.NewBuild(buildValues(), env)
	require.NoError(t, err, "the environment when nothing else is given")
	require.NotEmpty(t, o.RootHash)

	v = buildValues()
	v["root-password-file"] = filepath.Join(t.TempDir(), "missing")
	_, err = pipeline.NewBuild(v, env)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.False(t, errors.As(err, &ie), "an unreadable file is not a usage error")
}

func TestNewBuildReportsEveryProblemAtOnce(t *testing.T) {
	_, err := pipeline.NewBuild(option.Values{"replace": "yes", "algorithm": "md5"}, envOf(nil))
	msg := err.Error()
	for _, want := range []string{"-i/--iso: required", "--replace: \"yes\" is not true or false", "--algorithm: \"md5\"", "no root password"} {
		require.Contains(t, msg, want)
	}
}

// Problems of several switches or durations come in one order (by option
// name), not in a map's random order that changes from run to run.
func TestOptionProblemsComeInAFixedOrder(t *testing.T) {
	v := buildValues()
	v["skip-verify"], v["s3-path-style"], v["replace"] = "x1", "x2", "x3"
	v["register"], v["health"] = "true", "true"
	v["health-timeout"], v["health-poll-interval"] = "t1", "t2"
	var first string
	for i := range 20 {
		_, err := pipeline.NewBuild(v, envOf(nil))
		require.Error(t, err)
		msg := err.Error()
		want := []string{`"x3"`, `"x2"`, `"x1"`, `"t2"`, `"t1"`} // replace, s3-path-style, skip-verify; health-poll-interval, health-timeout
		at := -1
		for _, w := range want {
			j := strings.Index(msg, w)
			require.Greater(t, j, at, "%s out of order in:\n%s", w, msg)
			at = j
		}
		if i == 0 {
			first = msg
		}
		require.Equal(t, first, msg)
	}
}

// A bad URL option is quoted in its error without what may be a secret: the
// user:password and the query (a presigned signature) are left out.
func TestBadURLOptionsAreQuotedWithoutSecrets(t *testing.T) {
	v := buildValues()
	v["image-url-prefix"] = "ftp://me:Hunter2Secret@images.example.com/esxi?X-Amz-Signature=SIGSECRET"
	v["s3-endpoint"] = "http://me:Hunter2Secret@s3.example.com?X-Amz-Signature=SIGSECRET"
	_, err := pipeline.NewBuild(v, envOf(map[string]string{"ESXI_ROOT_PASSWORD": "Zebra-Quokka-7731"}))
	require.Error(t, err)
	msg := option.CLI.Message(err)
	require.Contains(t, msg, "--image-url-prefix")
	require.Contains(t, msg, "--s3-endpoint")
	require.NotContains(t, msg, "Hunter2Secret")
	require.NotContains(t, msg, "SIGSECRET")
}
