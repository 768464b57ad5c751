package action_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/secret"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// runnerMasks is the runner's model of what it hides: every value given to
// ::add-mask:: (and every secret it passed in), each with its base64 forms
// as actions/runner registers them (HostContext adds the value encoders
// Base64StringEscape, Base64StringEscapeShift1 and Base64StringEscapeShift2
// of ValueEncoders.cs: base64 of the value, and of the value without its
// first one and two bytes, so a secret at any byte offset inside a base64
// stream is found).
func runnerMasks(log string, secrets ...string) []string {
	var masks []string
	add := func(v string) {
		if v == "" {
			return
		}
		masks = append(masks, v)
		for shift := range 3 {
			b := []byte(v)
			if len(b) > shift {
				b = b[shift:]
			}
			masks = append(masks, base64.StdEncoding.EncodeToString(b))
		}
	}
	for _, l := range strings.Split(log, "\n") {
		if v, ok := strings.CutPrefix(l, "::add-mask::"); ok {
			add(v)
		}
	}
	for _, s := range secrets {
		add(s)
	}
	return masks
}

// maskLines masks text line by line, as the runner masks the step summary.
func maskLines(text string, masks []string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		for _, m := range masks {
			l = strings.ReplaceAll(l, m, "***")
		}
		lines[i] = l
	}
	return strings.Join(lines, "")
}

var yamlFenceRE = regexp.MustCompile("(?s)(`{3,})yaml\n(.*?)\n?`{3,}\n")

// The root password hash is a secret, and it sits inside the base64 of the
// kickstart in the service YAML. Whatever its byte offset there (three
// alignments in base64), the summary the runner shows after masking is the
// summary the action wrote, and every YAML in it parses to the service YAML
// of the artifact, but for the `contents` blob it leaves out.
func TestSummarySurvivesTheRunnersMasking(t *testing.T) {
	hash, err := service.HashPassword(secret.New(rootPassword), bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	require.NoError(t, err)
	base := embedded(t, "kickstart.cfg.tmpl")
	rawYAMLCorrupted := 0
	offsets := map[int]bool{}
	for _, pad := range []string{"", "x", "xy"} {
		t.Run("pad"+pad, func(t *testing.T) {
			r := buildRunner(t)
			r.input("root-password", "").input("root-password-hash", hash)
			ks := "# offset " + pad + "\n" + base
			r.write("ks.cfg.tmpl", ks)
			r.input("kickstart", "ks.cfg.tmpl")
			offsets[strings.Index(ks, "%ROOTPW_HASH%")%3] = true

			res := r.run()
			require.Equal(t, 0, res.code, res)
			require.Contains(t, res.stdout, "::add-mask::"+hash+"\n")
			masks := runnerMasks(res.stdout, hash, githubToken, awsSecret)

			require.Equal(t, res.summary, maskLines(res.summary, masks), "the runner's masking changes the summary")
			file, err := os.ReadFile(filepath.Join(r.workspace, res.outputs["service-yml"]))
			require.NoError(t, err)
			if maskLines(string(file), masks) != string(file) {
				rawYAMLCorrupted++ // what the summary showed before: the file itself
			}

			var want map[string]any
			require.NoError(t, yaml.Unmarshal(file, &want))
			fences := yamlFenceRE.FindAllStringSubmatch(maskLines(res.summary, masks), -1)
			require.Len(t, fences, 1, "one YAML in the summary")
			var got map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(fences[0][2]), &got), "the YAML left in the summary parses")
			info := got["info"].([]any)[0].(map[string]any)
			require.Contains(t, info["contents"], "characters of base64: left out here")
			info["contents"] = want["info"].([]any)[0].(map[string]any)["contents"]
			require.Equal(t, want, got, "the summary's YAML is the artifact's, but for contents")
		})
	}
	require.Len(t, offsets, 3, "the hash was tried at all three byte offsets modulo 3")
	require.NotZero(t, rawYAMLCorrupted, "the masking model bites: the full YAML would have been corrupted at some offset")
}
