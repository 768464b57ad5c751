package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/secret"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// runBuild is the recipe's one-shot (glm-build-image-and-service.sh) with its
// flags, plus publishing: fetch a remote -i, remaster, publish (S3 or a
// directory), service YAML, verify.
func runBuild(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "build")
	var o pipeline.Options
	var pw, pwFile, pwHash, ksPath, tmplPath, skipTest string
	both := func(p *string, short, long, usage string) {
		fs.StringVar(p, short, "", usage)
		fs.StringVar(p, long, "", usage)
	}
	both(&o.Input, "i", "iso", "vendor ESXi installer ISO")
	both(&o.Version, "v", "esxi-version", "ESXi version for the service name (default: detected from the ISO)")
	both(&pw, "r", "root-password", "root password (visible in the process list: prefer the env or a file)")
	both(&o.URLPrefix, "p", "image-url-prefix", "URL the ISO will be served under; secure_url = PREFIX/<name of -o> (optional with --s3-bucket or --publish-dir)")
	both(&o.Output, "o", "output", "remastered ISO to write")
	both(&o.ServiceOut, "s", "service", "service YAML to write")
	both(&skipTest, "x", "skip-test", `"true" skips downloading secure_url to verify it`)
	fs.StringVar(&pwFile, "root-password-file", "", "file holding the root password (first line)")
	fs.StringVar(&pwHash, "root-password-hash", "", "precomputed SHA-512 crypt hash ($6$...) of the root password")
	fs.StringVar(&ksPath, "kickstart", "", "kickstart template (default: the embedded templates/kickstart.cfg.tmpl)")
	fs.StringVar(&tmplPath, "service-template", "", "service YAML template (default: the embedded one)")
	fs.StringVar(&o.Algorithm, "algorithm", "sha256sum", "signature algorithm: sha256sum or sha512sum")
	fs.BoolVar(&o.SkipSSL, "skip-ssl-verify", false, "set skip_ssl_verify: true (server with a private or self-signed certificate)")
	fs.StringVar(&o.CAFile, "ca-file", "", "CA bundle (PEM) trusted for the https:// or s3:// source, the S3 endpoint and the verification")
	publishFlags(fs, &o)
	kerneloptFlags(fs, &o.Kernelopt)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("build", "unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.SkipVerify, err = skipTestFlag("build", skipTest); err != nil {
		return err
	}
	regionFromEnv(env, &o)
	if err := o.Validate(); err != nil {
		return usagef("build", "%v", err)
	}
	hash, err := rootHash(env, pwHash, pwFile, secret.New(pw))
	if err != nil {
		return err
	}
	ks, err := readOr(ksPath, "kickstart.cfg.tmpl")
	if err != nil {
		return err
	}
	if o.Kickstart, err = kickstart.SubstituteRootpw(ks, hash); err != nil {
		return fmt.Errorf("kickstart %s: %w", nameOr(ksPath, "(embedded)"), err)
	}
	if tmplPath != "" {
		if o.Template, err = os.ReadFile(tmplPath); err != nil {
			return fmt.Errorf("service template: %w", err)
		}
	}
	if o.Date, err = service.BuildDate(env.Getenv); err != nil {
		return err
	}
	st := &pipeline.State{Opts: o, Progress: env.Progress, Log: env.Stderr}
	if err := pipeline.Run(ctx, st, pipeline.Build()); err != nil {
		return err
	}
	printBuildResult(env, st)
	return nil
}

// rootHash resolves the root password in the documented order and returns
// only its SHA-512 crypt hash; the password itself goes no further.
func rootHash(env *Env, hash, file string, flag secret.String) (string, error) {
	switch {
	case hash != "":
		if err := service.ValidHash(hash); err != nil {
			return "", err
		}
		return hash, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--root-password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return service.HashPassword(secret.New(strings.TrimRight(line, "\r")), nil)
	case env.Getenv("ESXI_ROOT_PASSWORD") != "":
		return service.HashPassword(secret.New(env.Getenv("ESXI_ROOT_PASSWORD")), nil)
	case !flag.IsZero():
		env.Warnf("-r puts the root password in the process list; prefer ESXI_ROOT_PASSWORD, --root-password-file or --root-password-hash")
		return service.HashPassword(flag, nil)
	}
	return "", usagef("build", "no root password: set ESXI_ROOT_PASSWORD, or pass --root-password-hash, --root-password-file or -r")
}

// readOr reads path, or the embedded template name when path is "".
func readOr(path, embedded string) ([]byte, error) {
	if path == "" {
		return fs.ReadFile(templates.FS, embedded)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

func nameOr(p, d string) string {
	if p == "" {
		return d
	}
	return p
}

func printBuildResult(env *Env, st *pipeline.State) {
	w, o, iso := env.Stdout, st.Opts, st.ISO
	f := st.Service.Files[0]
	fmt.Fprintf(w, "This build has generated a new Bare Metal ESXi service/image:\n")
	fmt.Fprintf(w, "  ISO:      %s (%d bytes, %s %s)\n", o.Output, iso.Size, f.Algorithm, f.Signature)
	fmt.Fprintf(w, "  service:  %s (%s, svc_ver %s)\n", o.ServiceOut, st.Service.Name, st.Service.SvcVer)
	if obj := st.Object; obj != nil {
		where, what := obj.Path, "uploaded"
		if obj.Bucket != "" {
			where = publish.URI(obj.Bucket, obj.Key)
		}
		if obj.Outcome == publish.SkippedIdentical {
			what = "already there with the same bytes: nothing uploaded"
		}
		fmt.Fprintf(w, "  published: %s (%s)\n", where, what)
	}
	switch {
	case st.Check != nil:
		fmt.Fprintf(w, "  verified: %s serves the same %d bytes\n", f.SecureURL, st.Check.Size)
	default:
		fmt.Fprintf(w, "  verified: no (-x true)\n")
	}
	fmt.Fprintf(w, "\nNext steps:\n")
	switch {
	case st.Check == nil && st.Object != nil:
		fmt.Fprintf(w, "  1. The ISO is published at %s\n     (not checked: run esxi-byoi verify %s)\n", f.SecureURL, o.ServiceOut)
	case st.Check == nil:
		fmt.Fprintf(w, "  1. Copy %s to your web server so that it downloads from\n     %s\n     then check it with: esxi-byoi verify %s\n", o.Output, f.SecureURL, o.ServiceOut)
	default:
		fmt.Fprintf(w, "  1. The ISO is published at %s\n", f.SecureURL)
	}
	fmt.Fprintf(w, "  2. In the HPE Bare Metal portal: Metal Consumption → OS/application images →\n     Add OS/application image, and upload %s.\n", o.ServiceOut)
	fmt.Fprintf(w, "  3. Create a host with this OS image service.\n")
}
