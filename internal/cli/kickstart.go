package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// Names under which the embedded defaults appear in messages: the paths of the
// files in the repository, so that FILE:LINE points at something to edit.
const (
	embeddedKickstart = "templates/kickstart.cfg.tmpl"
	embeddedHosts     = "templates/hosts"
)

// runKickstart is `esxi-byoi kickstart lint|render`.
func runKickstart(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("kickstart", "missing subcommand: lint or render")
	}
	switch args[0] {
	case "lint":
		return runKickstartLint(env, args[1:])
	case "render":
		return runKickstartRender(env, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(env.Stderr, "usage: esxi-byoi kickstart lint [--installer-only] [--json] [--hosts DIR] [--templating-input hostdef-v3|hostdef-v4] [FILE]\n       esxi-byoi kickstart render --host HOST.yaml|SAMPLE [--root-password-hash HASH] [FILE]")
		return flag.ErrHelp
	default:
		return usagef("kickstart", "unknown subcommand %q: want lint or render", args[0])
	}
}

// runKickstartLint checks a kickstart template against sample hosts. Each
// finding goes to stderr once, as FILE:LINE: message (hosts: ...), the summary
// to stdout; with --json the report goes to stdout instead. Any error fails.
func runKickstartLint(env *Env, args []string) error {
	fs := newFlags(env, "kickstart lint")
	hostsDir := fs.String("hosts", "", "directory of sample hosts (*.yaml, hostdef-v3); default: the embedded "+embeddedHosts)
	installerOnly := fs.Bool("installer-only", false, "apply only what the ESXi installer does (errors stop the install, warnings do not); "+
		"without it the HPE Bare Metal portal's rules apply too")
	asJSON := fs.Bool("json", false, "print the findings as JSON on stdout")
	templatingInput := fs.String("templating-input", "", "the service's templating_input (hostdef-v3 or hostdef-v4): a field or sample host the portal's data of that version lacks is an error; default: not known, a hostdef-v4 field is a warning")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: esxi-byoi kickstart lint [--installer-only] [--json] [--hosts DIR] [--templating-input hostdef-v3|hostdef-v4] [FILE]")
		fmt.Fprintln(env.Stderr, "Renders the kickstart template FILE (default: the embedded "+embeddedKickstart+") for every sample host\n"+
			"and checks each result like the ESXi installer and, unless --installer-only, the HPE Bare Metal portal.\n"+
			"A plain kickstart (no template actions) is checked once. Each finding prints once as\n"+
			"FILE:LINE: message (hosts: ...); errors fail the command, warnings do not (unless the file says paranoid).")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef(fs.Name(), "want at most one template FILE, got %d", len(pos))
	}
	name, src, err := readKickstart(pos)
	if err != nil {
		return err
	}
	rules := "installer and portal"
	if *installerOnly {
		rules = "installer"
	}
	var hosts []kickstart.Host
	if *hostsDir == "" {
		hosts, err = kickstart.LoadHosts(templates.FS, "hosts", "templates")
	} else {
		hosts, err = kickstart.LoadHosts(os.DirFS(*hostsDir), ".", filepath.ToSlash(*hostsDir))
	}
	if err != nil {
		if *asJSON {
			// machines read stdout: the broken host files are findings too
			if jerr := writeJSON(env.Stdout, hostReport(name, rules, err)); jerr != nil {
				return jerr
			}
		}
		return hostErrors(env, err)
	}
	if *templatingInput != "" {
		if _, err := kickstart.ParseSchema(*templatingInput); err != nil {
			return usagef(fs.Name(), "--templating-input %q: want hostdef-v3 or hostdef-v4", *templatingInput)
		}
	}
	findings := kickstart.Group(kickstart.Linter{InstallerOnly: *installerOnly, TemplatingInput: *templatingInput}.Lint(name, src, hosts))
	errs, warns := kickstart.CountFindings(findings)
	checked := fmt.Sprintf("%d %s checked", len(hosts), plural(len(hosts), "host", "hosts"))
	if kickstart.IsPlain(src) {
		checked, hosts = "plain kickstart, checked once", nil
	}
	if *asJSON {
		names := make([]string, len(hosts))
		for i, h := range hosts {
			names[i] = h.Def.Name
		}
		if err := writeJSON(env.Stdout, lintReport{File: name, Rules: rules, Hosts: names, Errors: errs, Warnings: warns, Findings: findings}); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(env.Stderr, f.String())
		}
		fmt.Fprintf(env.Stdout, "%s: %s (%s rules): %s\n", name, checked, rules, kickstart.Tally(errs, warns))
	}
	if errs > 0 {
		return fmt.Errorf("kickstart lint: %s: %d %s", name, errs, plural(errs, "error", "errors"))
	}
	return nil
}

// lintReport is the --json output of kickstart lint.
type lintReport struct {
	File     string              `json:"file"`
	Rules    string              `json:"rules"` // "installer and portal" or "installer"
	Hosts    []string            `json:"hosts"` // sample hosts rendered; empty for a plain kickstart
	Errors   int                 `json:"errors"`
	Warnings int                 `json:"warnings"`
	Findings []kickstart.Finding `json:"findings"`
}

// hostReport is the --json report of a lint that stopped at the sample hosts:
// each problem of a host file is an error finding, nothing was rendered.
func hostReport(name, rules string, err error) lintReport {
	var problems []*kickstart.LintError
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		le := &kickstart.LintError{File: name, Msg: e.Error()}
		if errors.As(e, &le) {
			cp := *le // the host file's own problem, not ours to change
			le = &cp
		}
		le.Rules = kickstart.TemplateRules // the data the template is rendered with
		problems = append(problems, le)
	}
	findings := kickstart.Group(problems)
	return lintReport{File: name, Rules: rules, Hosts: []string{}, Errors: len(findings), Findings: findings}
}

// runKickstartRender prints the kickstart the portal would serve to one host.
// The rootpw line keeps kickstart.RootpwPlaceholder unless a hash is given.
func runKickstartRender(env *Env, args []string) error {
	fs := newFlags(env, "kickstart render")
	hostFile := fs.String("host", "", "host definition: a hostdef-v3 YAML file, or the name of an embedded sample host ("+embeddedHosts+"/NAME.yaml, e.g. esx-bfs-fc); required")
	hash := fs.String("root-password-hash", "", "SHA-512 crypt hash ($6$...) to put in place of "+kickstart.RootpwPlaceholder+
		"; without it the placeholder stays, as in the template the portal receives before the build substitutes it")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: esxi-byoi kickstart render --host HOST.yaml|SAMPLE [--root-password-hash HASH] [FILE]")
		fmt.Fprintln(env.Stderr, "Prints the kickstart that the template FILE (default: the embedded "+embeddedKickstart+") renders for one host.")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *hostFile == "" {
		return usagef(fs.Name(), "--host HOST.yaml is required")
	}
	if len(pos) > 1 {
		return usagef(fs.Name(), "want at most one template FILE, got %d", len(pos))
	}
	name, src, err := readKickstart(pos)
	if err != nil {
		return err
	}
	if *hash != "" {
		if src, err = kickstart.SubstituteRootpw(src, *hash); err != nil {
			return err
		}
	}
	host, err := loadRenderHost(*hostFile)
	if err != nil {
		return hostErrors(env, err)
	}
	tmpl, err := kickstart.Parse(name, src)
	if err != nil {
		return err
	}
	out, err := kickstart.Render(tmpl, &host.Def)
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(out)
	return err
}

// loadRenderHost reads the host file at arg. When there is no such file and arg
// is a bare name, it is the embedded sample host arg or arg.yaml: the binary
// carries templates/hosts, which a user without the repository cannot give
// as a path. A name that matches neither says which sample hosts there are.
func loadRenderHost(arg string) (kickstart.Host, error) {
	h, err := kickstart.LoadHostFile(arg)
	if !errors.Is(err, fs.ErrNotExist) || strings.ContainsAny(arg, `/\`) {
		return h, err
	}
	names, lerr := fs.Glob(templates.FS, "hosts/*.yaml")
	if lerr != nil {
		return h, err
	}
	for i, n := range names {
		n = strings.TrimSuffix(path.Base(n), ".yaml")
		if n == arg || n+".yaml" == arg {
			src, rerr := templates.FS.ReadFile("hosts/" + n + ".yaml")
			if rerr != nil {
				return kickstart.Host{}, rerr
			}
			file := embeddedHosts + "/" + n + ".yaml"
			def, derr := kickstart.DecodeHost(file, bytes.NewReader(src))
			if derr != nil {
				return kickstart.Host{}, derr
			}
			return kickstart.Host{File: file, Def: *def}, nil
		}
		names[i] = n
	}
	return h, &hostNotFoundError{err: err, samples: names}
}

// hostNotFoundError is a --host that is neither a file nor a sample host; its
// fix lists the sample hosts.
type hostNotFoundError struct {
	err     error
	samples []string
}

func (e *hostNotFoundError) Error() string { return e.err.Error() }
func (e *hostNotFoundError) Unwrap() error { return e.err }
func (e *hostNotFoundError) Hint() string {
	return "give the path of a host YAML file, or the name of a sample host: " + strings.Join(e.samples, ", ")
}

// readKickstart returns the template named by pos, or the embedded default.
func readKickstart(pos []string) (string, []byte, error) {
	if len(pos) == 0 {
		src, err := templates.FS.ReadFile("kickstart.cfg.tmpl")
		return embeddedKickstart, src, err
	}
	if st, err := os.Stat(pos[0]); err == nil && st.IsDir() {
		return "", nil, fmt.Errorf("read kickstart template: %s is a directory: give the template file in it, e.g. %s", pos[0], filepath.Join(pos[0], "kickstart.cfg.tmpl"))
	}
	src, err := os.ReadFile(pos[0])
	if err != nil {
		return "", nil, fmt.Errorf("read kickstart template: %w", err)
	}
	return pos[0], src, nil
}

// hostErrors prints every host file problem as FILE:LINE: message and returns
// one error that counts them.
func hostErrors(env *Env, err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var le *kickstart.LintError
	if len(list) == 1 && !errors.As(list[0], &le) {
		return err // not about a file's content: one "error:" line is enough
	}
	for _, e := range list {
		fmt.Fprintln(env.Stderr, e.Error())
	}
	return fmt.Errorf("kickstart: %d %s in host definitions", len(list), plural(len(list), "problem", "problems"))
}

// parseInterspersed parses flags that may come before or after the
// positional arguments (`lint FILE --hosts DIR`), and returns the positional
// ones. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
