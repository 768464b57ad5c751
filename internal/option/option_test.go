package option_test

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
)

// The table is the identity of every option: one name, one flag per command,
// each {reference} in a doc naming a real option.
func TestTableIsConsistent(t *testing.T) {
	names := map[string]bool{}
	flags := map[string]string{} // command + flag → option
	ref := regexp.MustCompile(`\{([a-z0-9-]+)\}`)
	for _, o := range option.Table {
		require.Regexp(t, `^[a-z0-9]+(-[a-z0-9]+)*$`, o.Name)
		require.False(t, names[o.Name], "duplicate option %s", o.Name)
		names[o.Name] = true
		require.NotEmpty(t, o.Doc, o.Name)
		require.Equal(t, o.Flag == "", len(o.Commands) == 0, "%s: a flag needs commands, commands need a flag", o.Name)
		require.True(t, o.Flag != "" || o.Input != 0, "%s is neither a flag nor an input", o.Name)
		require.False(t, o.Required && o.Input == 0, "%s: only inputs are required", o.Name)
		for _, c := range o.Commands {
			for _, f := range []string{o.Flag, o.Short} {
				if f == "" {
					continue
				}
				k := c + " -" + f
				require.Empty(t, flags[k], "%s: %s is also %s", o.Name, k, flags[k])
				flags[k] = o.Name
			}
		}
		for _, m := range ref.FindAllStringSubmatch(o.Doc, -1) {
			require.NotNil(t, option.Lookup(m[1]), "%s: doc names unknown option {%s}", o.Name, m[1])
		}
	}
}

func TestSurfacesSpellOptionsTheirOwnWay(t *testing.T) {
	require.Equal(t, "--s3-bucket", option.CLI.Name("s3-bucket"))
	require.Equal(t, "s3-bucket", option.Action.Name("s3-bucket"))
	require.Equal(t, "-i/--iso", option.CLI.Name("iso"))
	require.Equal(t, "-x/--skip-test", option.CLI.Name("skip-verify"))
	require.Equal(t, "skip-verify", option.Action.Name("skip-verify"))
	require.Equal(t, "publish-dir", option.Action.Name("publish-dir"), "the action prints no flag, even for a CLI-only option")
	require.Equal(t, "mode", option.CLI.Name("mode"))
	require.Equal(t, "pass --ca-file or {not-an-option}", option.CLI.Expand("pass {ca-file} or {not-an-option}"))
	require.Equal(t, "pass ca-file or {", option.Action.Expand("pass {ca-file} or {"))
}

// An *Error is reachable through any wrapping, and every surface renders the
// whole chain with its own names.
func TestErrorNamesTheOptionOnEachSurface(t *testing.T) {
	e := &option.Error{Option: "s3-endpoint", Msg: `"ftp://x": want an https:// URL (or use {publish-dir})`, Fix: "give {s3-endpoint} as https://host:port"}
	err := fmt.Errorf("publishing ISO: %w", errors.Join(errors.New("other"), e))

	var got *option.Error
	require.ErrorAs(t, err, &got)
	require.Equal(t, "s3-endpoint", got.Option)
	require.Equal(t, "publishing ISO: other\n--s3-endpoint: \"ftp://x\": want an https:// URL (or use --publish-dir)", err.Error())
	require.Equal(t, "publishing ISO: other\ninput s3-endpoint: \"ftp://x\": want an https:// URL (or use publish-dir)", option.Action.Message(err))
	require.Equal(t, "give s3-endpoint as https://host:port", option.Action.Expand(got.Hint()))
	require.Equal(t, "--s3-endpoint: \"ftp://x\": want an https:// URL (or use --publish-dir) (see above)",
		option.CLI.Message(fmt.Errorf("%w (see above)", e)))
}

func TestErrorWithoutMessagePrintsItsCause(t *testing.T) {
	e := &option.Error{Option: "root-password-file", Err: fs.ErrPermission}
	require.Equal(t, "--root-password-file: permission denied", e.Error())
	require.Equal(t, "input root-password-file: permission denied", option.Action.Message(e))
}

func TestUsageNamesTheValue(t *testing.T) {
	require.Equal(t, "`URL` HTTPS endpoint of an S3-compatible store (https://host:port). Default: AWS.", option.Must("s3-endpoint").Usage())
	require.NotContains(t, option.Must("image-url-prefix").Usage(), "{")
	require.Len(t, option.For("remaster"), 7)
	require.Panics(t, func() { option.Must("nope") })
}

// Check refuses what the CLI's flag.Value refuses when the flag is set, by
// the option's kind, and names the option; empty reads as the default.
func TestValuesCheckByKind(t *testing.T) {
	for name, tc := range map[string]struct {
		option, value, want string
	}{
		"bool":          {"replace", "yes", `--replace: "yes" is not true or false`},
		"bool value":    {"skip-verify", "maybe", `-x/--skip-test: "maybe" is not true or false`},
		"int":           {"retries", "three", `--retries: "three" is not a whole number`},
		"duration":      {"health-timeout", "soon", `--health-timeout: "soon": want a duration above 0`},
		"zero duration": {"health-poll-interval", "0s", `--health-poll-interval: "0s": want a duration above 0`},
		"good duration": {"health-timeout", "45m", ""},
		"good bool":     {"replace", "TRUE", ""},
		"empty":         {"retries", "", ""},
		"string":        {"s3-bucket", "anything at all", ""},
	} {
		t.Run(name, func(t *testing.T) {
			err := option.Values{tc.option: tc.value}.Check(tc.option)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			var oe *option.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, tc.option, oe.Option)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
