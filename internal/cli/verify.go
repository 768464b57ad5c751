package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// runVerify downloads each files[] entry of a service YAML as the on-prem
// controller would and checks its size and digest.
func runVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "verify")
	var caFile string
	var retries int
	var stall time.Duration
	fs.StringVar(&caFile, "ca-file", "", "PEM file with the CA that signed the server certificate (added to the system roots)")
	fs.IntVar(&retries, "retries", verify.DefaultRetries, "retries of transient failures (connection errors, 5xx, stalls); 0: none")
	fs.DurationVar(&stall, "stall-timeout", verify.DefaultStallTimeout, "fail an attempt that receives no data for this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("verify", "want exactly one service YAML file")
	}
	if retries < 0 || stall <= 0 {
		return usagef("verify", "--retries must be >= 0 and --stall-timeout > 0")
	}
	if retries == 0 {
		retries = -1 // verify.Options: negative means none
	}
	path := fs.Arg(0)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	svc, err := service.Parse(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(svc.Files) == 0 {
		return fmt.Errorf("%s: no files[] entry to verify (run 'esxi-byoi service validate %s')", path, path)
	}
	for i, f := range svc.Files {
		if f.SkipSSLVerify {
			env.Warnf("%s: files[%d] has skip_ssl_verify: true: the server certificate is NOT checked, here or by the on-prem controller", path, i)
		}
		res, err := verify.Run(ctx, verify.Options{
			URL: f.DownloadURL(), Size: f.FileSize, Digest: f.Signature, Algorithm: f.Algorithm,
			SkipTLSVerify: f.SkipSSLVerify, CAFile: caFile, UserAgent: "esxi-byoi/" + Version,
			Progress: env.Progress, Retries: retries, StallTimeout: stall,
		})
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
