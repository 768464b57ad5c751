package cli_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
)

var update = flag.Bool("update", false, "rewrite the README's CLI reference tables")

// referenced are the commands whose flags the README's reference tables list
// from the option table.
var referenced = []string{"remaster", "build", "publish", "verify", "register", "health"}

// renderFlags is the README table of cmd's flags.
func renderFlags(cmd string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- cli-reference:%s:begin (generated from internal/option/table.go) -->\n\n", cmd)
	b.WriteString("| flag | meaning |\n|---|---|\n")
	for _, o := range option.For(cmd) {
		f := "--" + o.Flag
		if o.Short != "" {
			f = "-" + o.Short + ", " + f
		}
		if o.Kind != option.Bool && o.Arg != "" {
			f += " " + o.Arg
		}
		doc := option.CLI.Expand(o.Doc)
		fmt.Fprintf(&b, "| `%s` | %s |\n", f, strings.ReplaceAll(doc, "|", `\|`))
	}
	fmt.Fprintf(&b, "\n<!-- cli-reference:%s:end -->\n", cmd)
	return b.String()
}

var helpFlagRE = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)

// TestCLIFlagsAndREADMEMatchTheTable holds each command's flags (as -h
// prints them) and the README's flag tables to the option table.
func TestCLIFlagsAndREADMEMatchTheTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(b)
	for _, cmd := range referenced {
		_, _, stderr := run(t, cmd, "-h")
		var got, want []string
		for _, m := range helpFlagRE.FindAllStringSubmatch(stderr, -1) {
			got = append(got, m[1])
		}
		for _, o := range option.For(cmd) {
			for _, f := range []string{o.Short, o.Flag} {
				if f != "" {
					want = append(want, f)
				}
			}
			doc := strings.ReplaceAll(option.CLI.Expand(o.Doc), "`", "")
			require.Contains(t, stderr, "\t"+doc[:min(len(doc), 40)], "esxi-byoi %s -h: --%s is not documented by the option table", cmd, o.Flag)
		}
		slices.Sort(got)
		slices.Sort(want)
		require.Equal(t, want, got, "esxi-byoi %s -h lists other flags than the option table", cmd)

		table := renderFlags(cmd)
		begin := fmt.Sprintf("<!-- cli-reference:%s:begin", cmd)
		end := fmt.Sprintf("<!-- cli-reference:%s:end -->\n", cmd)
		i, k := strings.Index(readme, begin), strings.Index(readme, end)
		require.True(t, i >= 0 && k > i, "README lacks the %s reference markers", cmd)
		if *update {
			readme = readme[:i] + table + readme[k+len(end):]
			continue
		}
		require.Equal(t, table, readme[i:k+len(end)], "README's %s flags are out of date: run with -update", cmd)
	}
	if *update {
		require.NoError(t, os.WriteFile("../../README.md", []byte(readme), 0o644))
	}
}

// -h shows each flag's argument once (in the flag line, not again as the
// first word of its text) and no "(default false)" for a switch.
func TestHelpNamesEachArgumentOnce(t *testing.T) {
	code, _, stderr := run(t, "build", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, stderr, "  -ca-file CA.pem\n    \tPEM bundle of extra CAs")
	require.Contains(t, stderr, "  -health-timeout D\n    \tHow long")
	require.Contains(t, stderr, "  -replace\n    \tAllow replacing")
	require.NotContains(t, stderr, "(default false)")
	require.NotContains(t, stderr, "\tALGORITHM files[0]", "the argument repeated as the text's first word")
	require.Contains(t, stderr, "  -x true\n    \ttrue skips downloading", "an argument that is the text's own first word stays")
}
