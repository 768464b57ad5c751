package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// runVerify downloads each files[] entry of service YAMLs as the on-prem
// controller would and checks its size and digest. One YAML prints the
// details; several (or a directory) print one table, for a scheduled watch.
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
	if fs.NArg() == 0 {
		return usagef("verify", "want a service YAML file (or several, or a directory)")
	}
	if retries < 0 || stall <= 0 {
		return usagef("verify", "--retries must be >= 0 and --stall-timeout > 0")
	}
	if retries == 0 {
		retries = -1 // verify.Options: negative means none
	}
	base := verify.Options{CAFile: caFile, UserAgent: "esxi-byoi/" + Version, Progress: env.Progress, Retries: retries, StallTimeout: stall}
	if fs.NArg() == 1 {
		if st, err := os.Stat(fs.Arg(0)); err != nil || !st.IsDir() {
			return verifyOne(ctx, env, fs.Arg(0), base)
		}
	}
	files, err := serviceFiles(env, fs.Args())
	if err != nil {
		return err
	}
	return verifyMany(ctx, env, files, base)
}

// loadService reads and parses a service YAML that has something to verify.
func loadService(path string) (*service.Service, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	svc, err := service.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(svc.Files) == 0 {
		return nil, fmt.Errorf("%s: no files[] entry to verify (run 'esxi-byoi service validate %s')", path, path)
	}
	return svc, nil
}

func verifyFile(ctx context.Context, f service.File, base verify.Options) (*verify.Result, error) {
	o := base
	o.URL, o.Size, o.Digest, o.Algorithm, o.SkipTLSVerify = f.DownloadURL(), f.FileSize, f.Signature, f.Algorithm, f.SkipSSLVerify
	return verify.Run(ctx, o)
}

func verifyOne(ctx context.Context, env *Env, path string, base verify.Options) error {
	svc, err := loadService(path)
	if err != nil {
		return err
	}
	for i, f := range svc.Files {
		if f.SkipSSLVerify {
			env.Warnf("%s: files[%d] has skip_ssl_verify: true: the server certificate is NOT checked, here or by the on-prem controller", path, i)
		}
		res, err := verifyFile(ctx, f, base)
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
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tFILE\tURL\tRESULT\tDETAIL")
	var errs []error
	rows := 0
	for _, p := range paths {
		svc, err := loadService(p)
		if err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\tFAILED\t%s\n", p, oneLine(err.Error()))
			errs = append(errs, err)
			continue
		}
		for i, f := range svc.Files {
			rows++
			if f.SkipSSLVerify {
				env.Warnf("%s: files[%d] has skip_ssl_verify: true: the server certificate is NOT checked", p, i)
			}
			res, err := verifyFile(ctx, f, base)
			if err != nil {
				err = fmt.Errorf("%s: files[%d]: %w", p, i, err)
				errs = append(errs, err)
				fmt.Fprintf(tw, "%s\tfiles[%d]\t%s\tFAILED\t%s\n", p, i, httpclient.Redact(f.SecureURL), oneLine(err.Error()))
				continue
			}
			fmt.Fprintf(tw, "%s\tfiles[%d]\t%s\tverified\t%d bytes, %s\n", p, i, res.URL, res.Size, res.Algorithm)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d service file(s) failed verification: %w", len(errs), max(rows, len(errs)), errors.Join(errs...))
	}
	return nil
}

// serviceFiles expands the arguments of verify and health: a file is taken as
// given; a directory contributes every *.yml/*.yaml below it that has a
// svc_flavor (hidden directories such as .git and .github are skipped), so a
// scheduled watch can point at a folder of service YAMLs.
func serviceFiles(env *Env, args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		n := len(out)
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != a && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := strings.ToLower(filepath.Ext(p)); ext != ".yml" && ext != ".yaml" {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if svc, err := service.Parse(b); err != nil || svc.SvcFlavor == "" {
				env.Warnf("%s: skipped: not a service YAML (no svc_flavor)", p)
				return nil
			}
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no service YAML (*.yml or *.yaml with svc_flavor) found", a)
		}
	}
	return out, nil
}
