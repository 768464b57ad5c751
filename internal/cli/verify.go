package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
	"github.com/esxi-byoi/esxi-byoi/internal/version"
	"github.com/esxi-byoi/esxi-byoi/internal/watch"
)

// runVerify downloads each files[] entry of service YAMLs as the on-prem
// controller would and checks its size and digest. One YAML prints the
// details; several (or a directory) print one table, for a scheduled watch.
func runVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "verify")
	v := option.Values{}
	optionFlags(fs, "verify", v)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("verify", "want a service YAML file (or several, or a directory)")
	}
	retries, _ := strconv.Atoi(v.Get("retries"))           // checked by the flag
	stall, _ := time.ParseDuration(v.Get("stall-timeout")) // checked by the flag
	caFile := v["ca-file"]
	if retries < 0 || stall <= 0 {
		return usagef("verify", "--retries must be >= 0 and --stall-timeout > 0")
	}
	if retries == 0 {
		retries = -1 // verify.Options: negative means none
	}
	base := verify.Options{CAFile: caFile, UserAgent: version.UserAgent(), Progress: env.Progress, Retries: retries, StallTimeout: stall}
	if fs.NArg() == 1 {
		if st, err := os.Stat(fs.Arg(0)); err != nil || !st.IsDir() {
			return verifyOne(ctx, env, fs.Arg(0), base)
		}
	}
	files, err := watch.ServiceFiles(fs.Args(), env.Warnf)
	if err != nil {
		return err
	}
	return verifyMany(ctx, env, files, base)
}

func verifyOne(ctx context.Context, env *Env, path string, base verify.Options) error {
	svc, err := watch.LoadService(path)
	if err != nil {
		return err
	}
	for i, f := range svc.Files {
		if f.SkipSSLVerify {
			env.Warnf("%s: files[%d] has skip_ssl_verify: true: the server certificate is NOT checked, here or by the on-prem controller", path, i)
		}
		res, err := watch.VerifyFile(ctx, f, base)
		if err != nil {
			return fmt.Errorf("%s: files[%d]: %w", path, i, err)
		}
		tls := "verified"
		if res.InsecureTLS {
			tls = "NOT verified (skip_ssl_verify: true)"
		}
		fmt.Fprintf(env.Stdout, "verified %s\n  size:      %d bytes (%s), as in the YAML\n  %-10s %s, as in the YAML\n  tls:       %s\n  fetched:   %s in %s, %d attempt(s)\n",
			res.URL, res.Size, progress.Bytes(res.Size), res.Algorithm+":", res.Digest, tls, res.Proto,
			res.Duration.Round(time.Millisecond), res.Attempts)
	}
	return nil
}

// verifyMany verifies every file of every YAML, prints one table row per file
// and fails when any of them failed.
func verifyMany(ctx context.Context, env *Env, paths []string, base verify.Options) error {
	rows := watch.Verify(ctx, paths, base, env.Warnf)
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tFILE\tURL\tRESULT\tDETAIL")
	for _, r := range rows {
		if r.Err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\tFAILED\t%s\n", r.Service, r.FileName(), r.URL, oneLine(r.Err.Error()))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tverified\t%d bytes, %s\n", r.Service, r.FileName(), r.Result.URL, r.Result.Size, r.Result.Algorithm)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return watch.VerifyFailed(rows)
}
