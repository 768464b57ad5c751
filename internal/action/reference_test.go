package action_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/action"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
)

var update = flag.Bool("update", false, "rewrite action.yml, the README action reference and the golden files")

const (
	actionYML  = "../../action.yml"
	readme     = "../../README.md"
	refBegin   = "<!-- action-reference:begin (generated from internal/option/table.go and internal/action/inputs.go) -->\n"
	refEnd     = "<!-- action-reference:end -->\n"
	ymlHeading = "# Generated from internal/option/table.go (inputs) and internal/action/inputs.go (outputs):\n# edit them, then run\n" +
		"# `go test ./internal/action -run TestActionYAMLAndREADMEMatchTheTable -update`.\n"
)

// quote writes s as a YAML double-quoted scalar (JSON strings are valid YAML).
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// doc is an input's description: the option's doc with the action's names.
func doc(o *option.Option) string {
	d := option.Action.Expand(o.Doc)
	if o.Required {
		d += " Required in build mode."
	}
	if o.Secret {
		d += " Secret: masked in the log."
	}
	return d
}

func renderActionYAML() string {
	var b strings.Builder
	b.WriteString(ymlHeading)
	b.WriteString("name: esxi-byoi\n")
	b.WriteString("description: " + quote("Turn a VMware ESXi installer ISO into an HPE Bare Metal OS service: remastered ISO and service YAML, published to S3 and verified; or preview kickstart changes on a pull request.") + "\n")
	b.WriteString("author: esxi-byoi\nbranding:\n  icon: server\n  color: blue\n\ninputs:\n")
	for _, i := range option.Inputs() {
		fmt.Fprintf(&b, "  %s:\n    description: %s\n    required: false\n", i.Name, quote(doc(i)))
		switch {
		case i.YAMLDefault != "":
			fmt.Fprintf(&b, "    default: %s\n", quote(i.YAMLDefault))
		case i.Default != "":
			fmt.Fprintf(&b, "    default: %s\n", quote(i.Default))
		}
	}
	b.WriteString("\noutputs:\n")
	for _, o := range action.Outputs {
		fmt.Fprintf(&b, "  %s:\n    description: %s\n", o.Name, quote(o.Doc))
	}
	b.WriteString("\nruns:\n  using: docker\n  # The image is built from this repository's Dockerfile in every job; pin the prebuilt\n" +
		"  # image instead (uses: docker://ghcr.io/esxi-byoi/esxi-byoi@sha256:...) for speed, see the README.\n" +
		"  image: Dockerfile\n")
	return b.String()
}

func renderReference() string {
	var b strings.Builder
	b.WriteString(refBegin)
	b.WriteString("\n| input | default | CLI flag | description |\n|---|---|---|---|\n")
	md := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, i := range option.Inputs() {
		def := i.Default
		if i.YAMLDefault != "" {
			def = i.YAMLDefault
		}
		if def != "" {
			def = "`" + def + "`"
		}
		flag := i.FlagNames()
		if flag != "" {
			flag = "`" + flag + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", i.Name, md(def), md(flag), md(doc(i)))
	}
	b.WriteString("\n| output | description |\n|---|---|\n")
	for _, o := range action.Outputs {
		fmt.Fprintf(&b, "| `%s` | %s |\n", o.Name, md(o.Doc))
	}
	b.WriteString("\n" + refEnd)
	return b.String()
}

// TestActionYAMLAndREADMEMatchTheTable holds action.yml and the README's
// action reference to the one table of inputs and outputs.
func TestActionYAMLAndREADMEMatchTheTable(t *testing.T) {
	want := renderActionYAML()
	if *update {
		require.NoError(t, os.WriteFile(actionYML, []byte(want), 0o644))
	}
	got, err := os.ReadFile(actionYML)
	require.NoError(t, err)
	require.Equal(t, want, string(got), "action.yml is out of date: run with -update")

	// What the runner reads: every input and output of the table, kebab-case,
	// a docker action built from the Dockerfile.
	var y struct {
		Inputs map[string]struct {
			Description string `yaml:"description"`
			Required    bool   `yaml:"required"`
			Default     string `yaml:"default"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"outputs"`
		Runs struct{ Using, Image string } `yaml:"runs"`
	}
	require.NoError(t, yaml.Unmarshal(got, &y))
	require.Len(t, y.Inputs, len(option.Inputs()))
	for _, i := range option.Inputs() {
		require.Regexp(t, `^[a-z0-9]+(-[a-z0-9]+)*$`, i.Name)
		in, ok := y.Inputs[i.Name]
		require.True(t, ok, i.Name)
		require.NotEmpty(t, in.Description)
	}
	require.Equal(t, "${{ github.token }}", y.Inputs["github-token"].Default)
	require.Len(t, y.Outputs, len(action.Outputs))
	require.Equal(t, "docker", y.Runs.Using)
	require.Equal(t, "Dockerfile", y.Runs.Image)

	ref := renderReference()
	b, err := os.ReadFile(readme)
	require.NoError(t, err)
	s := string(b)
	i, k := strings.Index(s, refBegin), strings.Index(s, refEnd)
	require.True(t, i >= 0 && k > i, "README lacks the action reference markers")
	if *update {
		s = s[:i] + ref + s[k+len(refEnd):]
		require.NoError(t, os.WriteFile(readme, []byte(s), 0o644))
		k = i + len(ref) - len(refEnd)
	}
	require.Equal(t, ref, s[i:k+len(refEnd)], "README action reference is out of date: run with -update")
}

// Every flag of `esxi-byoi build` has an action input, except the two
// file names the action derives from output-dir and --json (the action's
// result is its outputs and summary).
func TestEveryBuildFlagHasAnInput(t *testing.T) {
	var missing []string
	for _, o := range option.For("build") {
		if o.Input == 0 {
			missing = append(missing, o.Name)
		}
	}
	require.Equal(t, []string{"output", "service", "json"}, missing)
}

var exampleRE = regexp.MustCompile("(?s)<!-- example: (\\S+) -->\n```yaml\n(.*?)```\n")

// TestREADMEExamplesAreTheExampleFiles keeps the README's example workflows
// byte-identical to the files users copy from .github/examples/.
func TestREADMEExamplesAreTheExampleFiles(t *testing.T) {
	b, err := os.ReadFile(readme)
	require.NoError(t, err)
	s := string(b)
	ms := exampleRE.FindAllStringSubmatchIndex(s, -1)
	require.GreaterOrEqual(t, len(ms), 3, "the README shows the release, weekly and preview examples")
	var out strings.Builder
	last := 0
	for _, m := range ms {
		file := s[m[2]:m[3]]
		want, err := os.ReadFile(filepath.Join("../..", file))
		require.NoError(t, err)
		if !*update {
			require.Equal(t, string(want), s[m[4]:m[5]], "README example %s is out of date: run with -update", file)
		}
		out.WriteString(s[last:m[4]] + string(want))
		last = m[5]
	}
	out.WriteString(s[last:])
	if *update {
		require.NoError(t, os.WriteFile(readme, []byte(out.String()), 0o644))
	}
}

// TestWorkflowsPassActionlint lints the project's workflows and the examples,
// including the inputs that `uses: ./` steps give action.yml and, through
// shellcheck (installed by scripts/deps.sh), their run: scripts: actionlint's
// library checks no script unless it is told the shellcheck command.
func TestWorkflowsPassActionlint(t *testing.T) {
	_, err := exec.LookPath("shellcheck")
	require.NoError(t, err, "shellcheck is missing: run scripts/deps.sh")
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever, Oneline: true, Shellcheck: "shellcheck"})
	require.NoError(t, err)
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	require.NoError(t, err)
	examples, err := filepath.Glob("../../.github/examples/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	require.Len(t, examples, 5)
	errs, err := l.LintFiles(append(files, examples...), nil)
	require.NoError(t, err)
	require.Empty(t, errs, out.String())
}

var inputReadRE = regexp.MustCompile(`\bin\["([^"]*)"\]`)

// Every input the action's code reads by name (j.in["…"]) is an input of the
// option table, so of action.yml: a misspelt name would read "" forever.
func TestInputsReadByNameAreInTheTable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range inputReadRE.FindAllStringSubmatch(string(b), -1) {
			o := option.Lookup(m[1])
			require.True(t, o != nil && o.Input != 0, "%s reads input %q, which action.yml does not have", f, m[1])
			seen++
		}
	}
	require.Greater(t, seen, 10)
}

var stepOutputRE = regexp.MustCompile(`steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)

// The examples' steps that use this action give only inputs action.yml
// has, and read only outputs it sets. (actionlint checks this for `uses: ./`
// only: it cannot read a remote action's action.yml.)
func TestExamplesUseOnlyTheActionsInputsAndOutputs(t *testing.T) {
	inputs := map[string]bool{}
	for _, o := range option.Inputs() {
		inputs[o.Name] = true
	}
	outputs := map[string]bool{}
	for _, o := range action.Outputs {
		outputs[o.Name] = true
	}
	steps := 0
	eachWorkflow(t, func(f string, b []byte, w workflow) {
		for _, j := range w.Jobs {
			ours := map[string]bool{}
			for _, s := range j.Steps {
				if s.Uses != "./" && !strings.HasPrefix(s.Uses, "esxi-byoi/esxi-byoi@") {
					continue
				}
				steps++
				if s.ID != "" {
					ours[s.ID] = true
				}
				for k := range s.With {
					require.True(t, inputs[k], "%s: input %q is not in action.yml", f, k)
				}
			}
			for _, m := range stepOutputRE.FindAllStringSubmatch(string(b), -1) {
				if ours[m[1]] {
					require.True(t, outputs[m[2]], "%s: output %q of step %s is not in action.yml", f, m[2], m[1])
				}
			}
		}
	})
	require.GreaterOrEqual(t, steps, 5)
}
