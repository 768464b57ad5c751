// Package cli is the command-line surface of esxi-byoi: it parses flags into the
// options of the core packages, runs them, prints results on stdout and
// progress, warnings and errors on stderr, and decides the exit code. It holds no
// domain logic of its own.
//
// Over the ~800-line guide because it is one small file per command
// (remaster.go, build.go, publish.go, kickstart.go, ...).
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/version"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitError       = 1   // bad input, unreachable peer, mismatch
	ExitUsage       = 2   // bad flags or arguments
	ExitBug         = 70  // internal error (EX_SOFTWARE)
	ExitInterrupted = 130 // Ctrl-C or SIGTERM: 128 + SIGINT, as shells report it
)

// UsageError is a command-line mistake; it exits 2 and prints the usage line.
// Err, when set, is the typed cause (an *option.Error, a
// *pipeline.InvalidError), reachable with errors.As.
type UsageError struct {
	Cmd string
	Msg string
	Err error
}

// Error is Msg when set (usagef formats the cause into it already), else
// the cause's own message.
func (e *UsageError) Error() string {
	if e.Msg != "" || e.Err == nil {
		return e.Msg
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *UsageError) Unwrap() error { return e.Err }

// usagef returns a *UsageError; a %w verb keeps its operand as the cause.
func usagef(cmd, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &UsageError{Cmd: cmd, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Env is what a command may touch of the process: its streams, its environment
// and the progress reporter chosen for stderr.
type Env struct {
	Stdout   io.Writer
	Stderr   io.Writer
	Getenv   func(string) string
	Progress progress.Reporter
}

// Warnf prints a warning line on stderr.
func (e *Env) Warnf(format string, args ...any) {
	fmt.Fprintf(e.Stderr, "warning: "+format+"\n", args...)
}

type command struct {
	name    string
	usage   string // argument synopsis after the name
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands is the whole CLI, in the order `esxi-byoi help` lists it.
func commands() []command {
	return []command{
		{"remaster", "-i IN.iso -o OUT.iso [flags]", "write a kickstart-ready copy of an ESXi installer ISO", runRemaster},
		{"inspect", "[--json] IN.iso", "print volume ID, ESXi version, El Torito entries and kernelopt values", runInspect},
		{"sample-iso", "-o FILE [--size 600MiB]", "write an ESXi-like ISO for demos, tests and benchmarks", runSampleISO},
		{"kickstart", "lint|render [flags] [FILE]", "lint the kickstart template against sample hosts, or render it for one host", runKickstart},
		{"build", "-i ISO -p URL_PREFIX -o OUT.iso -s OUT.yml [-x true] [flags]", "remaster the ISO and write its HPE Bare Metal service YAML, then verify the published ISO", runBuild},
		{"service", "validate FILE.yml...", "check HPE Bare Metal service YAML files against the portal's rules", runService},
		{"verify", "[--ca-file CA.pem] SERVICE.yml... | DIR", "download secure_url anonymously, as the on-prem controller does, and check size and digest (several YAMLs: one table)", runVerify},
		{"register", "[--json] [--metal-*] SERVICE.yml", "create or update (same svc_flavor + svc_ver) the service in the HPE Bare Metal portal", runRegister},
		{"health", "[--timeout 30m] [--poll-interval 15s] [--json] [--metal-*] (SERVICE.yml|DIR... | --service-id ID)", "ask every on-prem controller whether it can download the service, and wait for each fresh verdict", runHealth},
		{"publish", "ISO --s3-bucket B [--s3-*] | --publish-dir DIR [--public-url-prefix URL] [--replace] [-x true]", "publish an ISO to an S3-compatible bucket or a directory (never replacing different bytes), then verify it", runPublish},
		{"action", "", "run as the GitHub Action (inputs from INPUT_* variables; see action.yml)", runAction},
	}
}

// Main runs the CLI and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &Env{Stdout: stdout, Stderr: stderr, Getenv: getenv, Progress: reporterFor(stderr)}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "esxi-byoi", version.Version)
		return ExitOK
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == args[0] {
			cmd = &c
			break
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "error: unknown command %q\n", args[0])
		printHelp(stderr)
		return ExitUsage
	}
	err := runProtected(ctx, cmd, env, args[1:])
	return report(stderr, cmd, err, getenv("ESXI_BYOI_DEBUG") != "")
}

func runProtected(ctx context.Context, cmd *command, env *Env, args []string) (err error) {
	defer pipeline.Recover(&err)
	return cmd.run(ctx, env, args)
}

// report prints err as one line (plus the fix) and maps it to an exit code.
func report(stderr io.Writer, cmd *command, err error, debug bool) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "error: interrupted")
		return ExitInterrupted
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s\nusage: esxi-byoi %s %s\n", errorLine(err), cmd.name, cmd.usage)
		return ExitUsage
	}
	var be *pipeline.BugError
	if errors.As(err, &be) {
		fmt.Fprintf(stderr, "error: %s\n", oneLine(err.Error()))
		if debug {
			stderr.Write(be.Stack)
		} else {
			fmt.Fprintln(stderr, "(set ESXI_BYOI_DEBUG=1 for the stack trace)")
		}
		return ExitBug
	}
	fmt.Fprintln(stderr, errorLine(err))
	return ExitError
}

// errorLine is err as the CLI prints it: one line (joined problems
// separated by "; "), options named by their flags, then the fix when one is
// known.
func errorLine(err error) string {
	msg := "error: " + oneLine(strings.ReplaceAll(option.CLI.Message(err), "\n", "; "))
	if h := pipeline.Hint(err); h != "" {
		msg += " (fix: " + option.CLI.Expand(h) + ")"
	}
	return msg
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "esxi-byoi turns a stock VMware ESXi installer ISO into an HPE Bare Metal OS service.")
	fmt.Fprintln(w, "\nusage: esxi-byoi <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'esxi-byoi <command> -h' for the flags of one command.")
}

func reporterFor(stderr io.Writer) progress.Reporter {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progress.New(stderr, true)
	}
	return progress.New(stderr, false)
}

// synopsis is the argument synopsis of the command called name, from the
// command list; "[flags]" for a subcommand such as "kickstart lint".
func synopsis(name string) string {
	for _, c := range commands() {
		if c.name == name {
			return c.usage
		}
	}
	return "[flags]"
}

// newFlags returns a FlagSet that reports errors as *UsageError (through
// parse) instead of exiting.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(&flagOutput{w: env.Stderr})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: esxi-byoi %s %s\n", name, synopsis(name))
		printDefaults(fs)
	}
	return fs
}

// printDefaults is flag.PrintDefaults without its echo of the argument's
// name: an option's usage names its argument in backquotes up front
// ("`CA.pem` PEM bundle…", see option.Option.Usage), which PrintDefaults
// prints twice ("-ca-file CA.pem" then "CA.pem PEM bundle…"); and a switch
// that is off by default says no "(default false)".
func printDefaults(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		if arg != "" && strings.HasPrefix(f.Usage, "`"+arg+"` ") {
			usage = strings.TrimPrefix(usage, arg+" ")
		}
		line := "  -" + f.Name
		if arg != "" {
			line += " " + arg
		}
		line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
		if d := f.DefValue; d != "" && d != "false" && d != "0" {
			line += fmt.Sprintf(" (default %s)", d)
		}
		fmt.Fprintln(fs.Output(), line)
	})
}

// flagOutput holds what the flag package prints while parsing: the flag list
// reaches stderr when -h asked for it; after a parse error it is dropped,
// because report prints the error once, with the usage line.
type flagOutput struct {
	w   io.Writer
	buf bytes.Buffer
}

func (f *flagOutput) Write(p []byte) (int, error) { return f.buf.Write(p) }

// parse parses args and wraps flag errors as usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if out, ok := fs.Output().(*flagOutput); ok {
		if err == nil || errors.Is(err, flag.ErrHelp) {
			_, _ = out.buf.WriteTo(out.w)
		}
		out.buf.Reset()
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef(fs.Name(), "%w", err)
	}
	return nil
}

// jsonFlag reads --json. A value that is no boolean (--json=1) is a usage
// error, not a quiet fall back to text; TRUE and True are true, as in the
// action's inputs.
func jsonFlag(cmd string, v option.Values) (bool, error) {
	on, err := v.Bool("json")
	if err != nil {
		return false, &UsageError{Cmd: cmd, Err: err}
	}
	return on, nil
}

// optionFlags registers the flags of command cmd from the option table,
// each writing its value into v under the option's name (a short and a long
// spelling set the same value).
func optionFlags(fs *flag.FlagSet, cmd string, v option.Values) {
	for _, o := range option.For(cmd) {
		f := &optionFlag{v: v, o: o}
		for _, name := range []string{o.Short, o.Flag} {
			if name != "" {
				fs.Var(f, name, o.Usage())
			}
		}
	}
}

// optionFlag is one option's flag.Value.
type optionFlag struct {
	v option.Values
	o *option.Option
}

func (f *optionFlag) String() string {
	if f.o == nil {
		return ""
	}
	if f.o.Kind == option.Bool && f.o.Default == "false" {
		return "false" // the zero value: PrintDefaults shows no default
	}
	return f.o.Default
}

func (f *optionFlag) Set(s string) error {
	switch f.o.Kind {
	case option.List:
		f.v.Add(f.o.Name, s)
		return nil
	case option.Int:
		if _, err := strconv.Atoi(s); err != nil {
			return errors.New("want a whole number")
		}
	case option.Duration:
		if _, err := time.ParseDuration(s); err != nil {
			return errors.New("want a duration such as 30s")
		}
	}
	f.v[f.o.Name] = s
	return nil
}

// IsBoolFlag makes a Bool option a switch (--replace, no value).
func (f *optionFlag) IsBoolFlag() bool { return f.o != nil && f.o.Kind == option.Bool }
