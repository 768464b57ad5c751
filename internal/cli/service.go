package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// runService dispatches `esxi-byoi service SUBCOMMAND`.
func runService(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("service", "want a subcommand: validate")
	}
	switch args[0] {
	case "validate":
		return runServiceValidate(ctx, env, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(env.Stderr, "usage: esxi-byoi service validate FILE.yml...\n\n"+
			"validate checks HPE Bare Metal service YAML files against the portal's rules:\n"+
			"required fields, allowed values, https secure_url (unless skip_ssl_verify: true),\n"+
			"signature length for the algorithm, and that info[] contents decode and parse.")
		return flag.ErrHelp
	}
	return usagef("service", "unknown subcommand %q (want validate)", args[0])
}

// runServiceValidate prints "FILE: valid" or one "FILE:LINE: problem (fix: ...)"
// line per problem on stdout, and fails when any file has a problem.
func runServiceValidate(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "service")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("service", "want at least one service YAML file")
	}
	bad := 0
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			bad++
			fmt.Fprintf(env.Stdout, "%s: %v\n", path, err)
			continue
		}
		err = service.Validate(b)
		if err == nil {
			fmt.Fprintf(env.Stdout, "%s: valid\n", path)
			continue
		}
		bad++
		ps := service.Problems(err)
		if len(ps) == 0 {
			fmt.Fprintf(env.Stdout, "%s: %v\n", path, err)
		}
		for _, p := range ps {
			if p.Line > 0 {
				fmt.Fprintf(env.Stdout, "%s:%d: %v\n", path, p.Line, p)
			} else {
				fmt.Fprintf(env.Stdout, "%s: %v\n", path, p)
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d service files are not valid", bad, fs.NArg())
	}
	return nil
}
