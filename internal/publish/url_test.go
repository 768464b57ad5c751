package publish_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
)

func TestKeyAndURLs(t *testing.T) {
	require.Equal(t, "esxi/a.iso", publish.Key("esxi", "a.iso"))
	require.Equal(t, "esxi/8.0/a.iso", publish.Key("/esxi/8.0/", "a.iso"))
	require.Equal(t, "a.iso", publish.Key("", "a.iso"))
	require.Equal(t, "https://cdn.example.com/x/esxi/ESXi%208.0+U3.iso", publish.JoinURL("https://cdn.example.com/x/", "esxi/ESXi 8.0+U3.iso"))

	for name, tc := range map[string]struct {
		endpoint, region string
		pathStyle        bool
		want             string
	}{
		"custom path-style":     {"https://s3.lab:9000", "", true, "https://s3.lab:9000/isos/esxi/a%20b.iso"},
		"custom virtual-hosted": {"https://s3.lab:9000/", "", false, "https://isos.s3.lab:9000/esxi/a%20b.iso"},
		"aws virtual-hosted":    {"", "eu-west-1", false, "https://isos.s3.eu-west-1.amazonaws.com/esxi/a%20b.iso"},
		"aws path-style":        {"", "us-east-1", true, "https://s3.us-east-1.amazonaws.com/isos/esxi/a%20b.iso"},
		"aws china":             {"", "cn-north-1", false, "https://isos.s3.cn-north-1.amazonaws.com.cn/esxi/a%20b.iso"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := publish.ObjectURL(tc.endpoint, tc.region, tc.pathStyle, "isos", "esxi/a b.iso")
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := publish.ObjectURL("", "", false, "isos", "a.iso")
	require.ErrorContains(t, err, "region")
	_, err = publish.ObjectURL("s3.lab:9000", "", true, "isos", "a.iso")
	require.ErrorContains(t, err, "not an https:// URL")
}

// Every fixed fix publish prints is documented in the README's troubleshooting table.
func TestEveryPublishHintIsInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, h := range []string{publish.HintBucket, publish.HintAccess, publish.HintCredentials, publish.HintConflict,
		publish.HintNotPublic, publish.HintUnknownCA, publish.HintUnreachable, publish.HintOrphan,
		publish.HintKeyIsDirectory, publish.HintKeyRefused} {
		require.True(t, strings.Contains(string(readme), option.CLI.Expand(h)), "README.md lacks the hint %q", option.CLI.Expand(h))
	}
}

// Publish's fixes and option errors name options, never flags: the action
// prints them without any CLI flag text.
func TestPublishTextNamesOptionsNotFlags(t *testing.T) {
	_, regionErr := publish.ObjectURL("", "", false, "isos", "a.iso")
	_, endpointErr := publish.ObjectURL("http://s3.lab", "", true, "isos", "a.iso")
	texts := []string{option.Action.Message(regionErr), option.Action.Message(endpointErr)}
	for _, err := range []error{regionErr, endpointErr} {
		var oe *option.Error
		require.ErrorAs(t, err, &oe)
		texts = append(texts, option.Action.Expand(oe.Hint()))
	}
	for _, h := range []string{publish.HintBucket, publish.HintAccess, publish.HintCredentials, publish.HintConflict,
		publish.HintNotPublic, publish.HintUnknownCA, publish.HintUnreachable, publish.HintOrphan,
		publish.HintKeyIsDirectory, publish.HintKeyRefused} {
		texts = append(texts, option.Action.Expand(h))
		// a fix sends the user to options they can set on both surfaces
		// (the action derives the ISO's file name, so {output} is no fix there)
		for _, m := range regexp.MustCompile(`\{([a-z0-9-]+)\}`).FindAllStringSubmatch(h, -1) {
			o := option.Lookup(m[1])
			require.NotNil(t, o, m[1])
			require.NotZero(t, o.Input, "%q names %s, which the action has no input for", h, m[1])
		}
	}
	for _, text := range texts {
		require.NotContains(t, text, "{", "an option reference was not expanded: %s", text)
		for _, o := range option.Table {
			if o.Flag != "" {
				require.NotContains(t, text, "--"+o.Flag, "CLI flag text in %q", text)
			}
		}
	}
	require.Contains(t, option.CLI.Expand(publish.HintKeyRefused), "--replace")
}
