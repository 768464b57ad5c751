package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
)

// runBuild is the recipe's one-shot (glm-build-image-and-service.sh) with its
// flags, plus publishing: fetch a remote -i, remaster, publish (S3 or a
// directory), service YAML, verify. The flags come from the option table and
// pipeline.NewBuild turns them into Options, as it does the action's inputs.
func runBuild(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "build")
	v := option.Values{}
	optionFlags(fs, "build", v)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("build", "unexpected argument %q", fs.Arg(0))
	}
	asJSON, err := jsonFlag("build", v)
	if err != nil {
		return err
	}
	if v["root-password"] != "" {
		env.Warnf("%s", option.CLI.Expand("{root-password} puts the root password in the process list; prefer ESXI_ROOT_PASSWORD, {root-password-file} or {root-password-hash}"))
	}
	o, err := pipeline.NewBuild(v, env.Getenv)
	if err != nil {
		return usageIfInvalid("build", err)
	}
	st := &pipeline.State{Opts: o, Progress: env.Progress, Log: env.Stderr}
	err = pipeline.Run(ctx, st, pipeline.Build())
	printLint(env, st)
	if asJSON {
		// What was done, also on failure: a health verdict that fails the
		// build is part of its result, and so are lint findings.
		if jerr := writeJSON(env.Stdout, newBuildReport(st)); jerr != nil && err == nil {
			err = jerr
		}
		return err
	}
	if err != nil {
		if st.Registration != nil {
			// registered, then a controller said no: the ISO, the YAML and
			// the service exist, and the verdicts are part of the result
			printBuildResult(env, st)
		}
		return err
	}
	printBuildResult(env, st)
	return nil
}

// buildReport is `build --json`: the names are the action's outputs, with
// underscores (iso-sha256 ↔ iso_sha256). A field is absent when its stage did
// not run or failed.
type buildReport struct {
	ISOPath        string               `json:"iso_path,omitempty"`
	ISOSize        int64                `json:"iso_size,omitempty"`
	ISOSHA256      string               `json:"iso_sha256,omitempty"`
	ISOURL         string               `json:"iso_url,omitempty"`
	ESXiVersion    string               `json:"esxi_version,omitempty"`
	ESXiBuild      string               `json:"esxi_build,omitempty"`
	ServiceYML     string               `json:"service_yml,omitempty"`
	SvcVer         string               `json:"svc_ver,omitempty"`
	Published      string               `json:"published,omitempty"` // published | skipped-identical
	PublishedAt    string               `json:"published_at,omitempty"`
	Verified       bool                 `json:"verified"`
	ServiceID      string               `json:"service_id,omitempty"`
	DownloadHealth string               `json:"download_health,omitempty"`
	Registration   *portal.Registration `json:"registration,omitempty"`
	Health         *portal.HealthResult `json:"health,omitempty"`
	Lint           []kickstart.Finding  `json:"lint"`
}

func newBuildReport(st *pipeline.State) buildReport {
	r := buildReport{Lint: st.Lint, Verified: st.Check != nil, Registration: st.Registration, Health: st.Health}
	if r.Lint == nil {
		r.Lint = []kickstart.Finding{}
	}
	if iso := st.ISO; iso != nil {
		r.ISOPath, r.ISOSize, r.ISOSHA256 = st.Opts.Output, iso.Size, iso.SHA256
		r.ESXiVersion, r.ESXiBuild = iso.Version, iso.Build
		if st.Opts.Version != "" {
			r.ESXiVersion = st.Opts.Version
		}
	}
	if svc := st.Service; svc != nil {
		r.ServiceYML, r.SvcVer = st.Opts.ServiceOut, svc.SvcVer
		if len(svc.Files) > 0 {
			r.ISOURL = svc.Files[0].SecureURL
		}
	}
	if obj := st.Object; obj != nil {
		r.Published, r.PublishedAt = string(obj.Outcome), obj.Where()
	}
	if st.Registration != nil {
		r.ServiceID = st.Registration.ID
	}
	if st.Health != nil {
		r.DownloadHealth = st.Health.Summary()
	}
	return r
}

// usageIfInvalid makes option values the pipeline refused a usage error
// (exit 2, usage line), keeping the chain; other errors stay as they are.
func usageIfInvalid(cmd string, err error) error {
	var ie *pipeline.InvalidError
	if errors.As(err, &ie) {
		return &UsageError{Cmd: cmd, Err: err}
	}
	return err
}

func printBuildResult(env *Env, st *pipeline.State) {
	w, o, iso := env.Stdout, st.Opts, st.ISO
	f := st.Service.Files[0]
	fmt.Fprintf(w, "This build has generated a new Bare Metal ESXi service/image:\n")
	fmt.Fprintf(w, "  ISO:      %s (%d bytes, %s %s)\n", o.Output, iso.Size, f.Algorithm, f.Signature)
	fmt.Fprintf(w, "  service:  %s (%s, svc_ver %s)\n", o.ServiceOut, st.Service.Name, st.Service.SvcVer)
	if obj := st.Object; obj != nil {
		fmt.Fprintf(w, "  published: %s (%s)\n", obj.Where(), obj.Did())
	}
	switch {
	case st.Check != nil:
		fmt.Fprintf(w, "  verified: %s serves the same %d bytes\n", f.SecureURL, st.Check.Size)
	default:
		fmt.Fprintf(w, "  verified: no (%s true)\n", option.CLI.Name("skip-verify"))
	}
	printPortalResult(w, st)
	fmt.Fprintf(w, "\nNext steps:\n")
	switch {
	case st.Check == nil && st.Object != nil:
		fmt.Fprintf(w, "  1. The ISO is published at %s\n     (not checked: run esxi-byoi verify %s)\n", f.SecureURL, o.ServiceOut)
	case st.Check == nil:
		fmt.Fprintf(w, "  1. Copy %s to your web server so that it downloads from\n     %s\n     then check it with: esxi-byoi verify %s\n", o.Output, f.SecureURL, o.ServiceOut)
	default:
		fmt.Fprintf(w, "  1. The ISO is published at %s\n", f.SecureURL)
	}
	if reg := st.Registration; reg != nil {
		fmt.Fprintf(w, "  2. The HPE Bare Metal portal has the service: %s (ID %s, %s).\n", reg.Name, reg.ID, reg.Action)
	} else {
		fmt.Fprintf(w, "  2. In the HPE Bare Metal portal: Metal Consumption → OS/application images →\n     Add OS/application image, and upload %s.\n", o.ServiceOut)
	}
	fmt.Fprintf(w, "  3. Create a host with this OS image service.\n")
}

// printPortalResult prints the registration and each controller's verdict,
// one line per site.
func printPortalResult(w io.Writer, st *pipeline.State) {
	if reg := st.Registration; reg != nil {
		fmt.Fprintf(w, "  registered: %s %s (%s)\n", reg.Action, reg.ID, reg.Name)
	}
	h := st.Health
	if h == nil {
		return
	}
	fmt.Fprintf(w, "  download health: %s (%d controller(s))\n", h.Summary(), len(h.Controllers))
	for _, c := range h.Controllers {
		line := fmt.Sprintf("    %s: %s", c.Site, c.Verdict())
		if c.Reason != "" {
			line += " (" + c.Reason + ")"
		}
		fmt.Fprintln(w, line)
	}
}

// printLint prints each lint finding of the build once, on stderr, before
// anything else is reported: the error line only counts them.
func printLint(env *Env, st *pipeline.State) {
	for _, f := range st.Lint {
		fmt.Fprintln(env.Stderr, f.String())
	}
}
