// Package cli is the command-line surface of esxi-byoi: it parses flags into the
// options of the core packages, runs them, prints results on stdout and
// progress, warnings and errors on stderr, and decides the exit code. It holds no
// domain logic of its own.
//
// Size: about 1,000 lines, over the ~800-line guide, because it is one small
// file per command (remaster.go, build.go, publish.go, kickstart.go, ...).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1  // bad input, unreachable peer, mismatch
	ExitUsage = 2  // bad flags or arguments
	ExitBug   = 70 // internal error (EX_SOFTWARE)
)

// UsageError is a command-line mistake; it exits 2 and prints the usage line.
type UsageError struct {
	Cmd string
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

func usagef(cmd, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Msg: fmt.Sprintf(format, args...)}
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
		fmt.Fprintln(stdout, "esxi-byoi", Version)
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

// Version is set at build time with -ldflags "-X .../cli.Version=v1.2.3".
var Version = "dev"

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
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "error: %s\nusage: esxi-byoi %s %s\n", oneLine(ue.Msg), cmd.name, cmd.usage)
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
	msg := "error: " + oneLine(err.Error())
	if h := pipeline.Hint(err); h != "" {
		msg += " (fix: " + h + ")"
	}
	fmt.Fprintln(stderr, msg)
	return ExitError
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

// newFlags returns a FlagSet that reports errors as *UsageError instead of exiting.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parse parses args and wraps flag errors as usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef(fs.Name(), "%s", err.Error())
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
