// Package pipeline strings the stages of a build together: lint the
// kickstart against the sample hosts, check the publish destination, fetch a
// remote vendor ISO, remaster it, publish it, render the service YAML, verify
// the published ISO, and, when asked, register the service in the HPE Bare
// Metal portal and wait for the controllers' download health. Each stage is a
// small type with one job; the CLI and the GitHub action pick the list and
// run it. Both build the Options here, from the values of the option table
// (see [NewBuild]); stages take validated Options and hand results on through
// State.
//
// Over the ~800-line guide (about 1,300 lines) because it is the one place
// where option values become validated Options for every surface (build,
// publish, watch: options.go and Validate), beside ten thin stage adapters,
// one topic a file; splitting the validation from the stages would only make
// the two surfaces' shared entry point harder to find.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/source"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// Stage is one step of a build. Stages run in order and hand results on
// through *State.
type Stage interface {
	String() string // title, a gerund: "remastering ISO"
	Run(ctx context.Context, st *State) error
}

// Skipper is implemented by stages that can be skipped, decided up front.
// The reason names options as {name}, so each surface prints its own names.
type Skipper interface {
	Skip(st *State) (reason string, skip bool)
}

// Options are the validated inputs of a build; stages never read env or flags.
type Options struct {
	Input      string // vendor ISO
	Output     string // remastered ISO
	ServiceOut string // service YAML
	Version    string // ESXi version for the service name; "" = detected
	URLPrefix  string // secure_url = URLPrefix + "/" + base name of Output (see PublicURL)
	Kernelopt  remaster.KerneloptEdit
	Kickstart  []byte // kickstart template with the root hash substituted
	// KickstartTemplate is the template as read, with its root password
	// placeholder: what Lint checks.
	KickstartTemplate []byte
	KickstartName     string // where Kickstart came from, for messages ("(embedded)" for the built-in one)
	RootHash          string // SHA-512 crypt hash of the root password, in Kickstart (the action masks it)
	Hosts             string // directory of sample hosts the kickstart is linted against; "" = built-in
	Template          []byte // service YAML template (nil: embedded default)
	Algorithm         string // sha256sum | sha512sum
	SkipSSL           bool   // skip_ssl_verify in the YAML (and when verifying)
	CAFile            string
	SkipVerify        bool // skip-verify: no download check
	Date              time.Time
	DownloadTmo       int

	// Publishing. With neither S3Bucket nor PublishDir set nothing is
	// uploaded and the user copies the ISO to URLPrefix themselves.
	S3Bucket        string
	S3Prefix        string // key = S3Prefix + "/" + base name of Output (see S3Key)
	S3Endpoint      string // any S3-compatible HTTPS endpoint; "" = AWS
	S3Region        string
	S3PathStyle     bool
	PublicURLPrefix string // URL of the bucket root (or of PublishDir) the controller uses; "" = derived (see PublicURL)
	PublishDir      string // copy the ISO atomically into this directory instead
	Replace         bool   // allow replacing a published object with different bytes

	// The HPE Bare Metal portal (stages Register and Health; see portal.go).
	Register           bool
	Health             bool
	Portal             portal.Config // Portal.CAFile "" = CAFile
	HealthTimeout      time.Duration // 0 = portal.DefaultHealthTimeout
	HealthPollInterval time.Duration // 0 = portal.DefaultPollInterval
}

// Validate checks the options of a build up front and reports every problem
// at once, each an *option.Error naming its option.
func (o *Options) Validate() error {
	var errs []error
	if o.Input == "" {
		errs = append(errs, &option.Error{Option: "iso", Msg: "required", Fix: "give {iso}: the vendor ISO as a path, an https:// URL or s3://bucket/key"})
	}
	for _, need := range [][2]string{{"output", o.Output}, {"service", o.ServiceOut}} {
		if need[1] == "" {
			errs = append(errs, &option.Error{Option: need[0], Msg: "required"})
		}
	}
	if o.URLPrefix == "" && o.PublicURLPrefix == "" && o.S3Bucket == "" {
		errs = append(errs, &option.Error{Option: "image-url-prefix", Msg: "required (or publish with {s3-bucket} or {publish-dir})",
			Fix: "give {image-url-prefix}: the https:// URL the ISO will be served under"})
	}
	if o.Algorithm != "" && o.Algorithm != "sha256sum" && o.Algorithm != "sha512sum" {
		errs = append(errs, &option.Error{Option: "algorithm", Msg: fmt.Sprintf("%q: want sha256sum or sha512sum", o.Algorithm)})
	}
	if o.Output != "" && !source.IsRemote(o.Input) && safefile.Same(o.Input, o.Output) {
		// found here, before the lint and the preflight, and named as an option
		errs = append(errs, &option.Error{Option: "output", Msg: o.Output, Err: remaster.ErrSameFile})
	}
	if safefile.Same(o.ServiceOut, o.Output) {
		errs = append(errs, &option.Error{Option: "service", Msg: "names the same file as {output}"})
	}
	if err := source.Check(o.Input); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, CheckKernelopt(o.Kernelopt))
	errs = append(errs, checkCAFile(o.CAFile))
	errs = append(errs, o.validatePublishing()...)
	return errors.Join(errs...)
}

// checkCAFile reads the CA file before anything runs: the stages that
// trust it (the ISO download, the S3 endpoint, the verification) come after
// the remaster, too late to find a typo in its name.
func checkCAFile(file string) error {
	if file == "" {
		return nil
	}
	if _, err := httpclient.TLSConfig(httpclient.Options{CAFile: file}); err != nil {
		return &option.Error{Option: "ca-file", Err: err}
	}
	return nil
}

// CheckKernelopt is remaster's CheckBuild with the option that caused the
// problem named (kernelopt, kernelopt-add or kernelopt-remove), so that each
// surface spells it, and the portal's reason as the fix.
func CheckKernelopt(e remaster.KerneloptEdit) error {
	err := e.CheckBuild()
	var te *bootcfg.TokenError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		name := map[string]string{"add": "kernelopt-add", "remove": "kernelopt-remove"}[te.Op]
		if name == "" {
			name = "kernelopt"
		}
		return &option.Error{Option: name, Err: te}
	case errors.Is(err, remaster.ErrNoPortalKickstart):
		name := "kernelopt-add" // a ks=… token replaced the portal's
		for _, k := range e.Remove {
			if strings.EqualFold(k, "ks") {
				name = "kernelopt-remove"
			}
		}
		v, _ := e.Value()
		return &option.Error{Option: name, Msg: fmt.Sprintf("gives kernelopt=%q", v), Err: remaster.ErrNoPortalKickstart,
			Fix: "keep " + remaster.PortalKickstart + ": the portal serves the rendered kickstart as " + remaster.KickstartPath +
				" on the virtual CD, and without it the installer waits for a person (or give the whole value with {kernelopt} if you really mean it)"}
	}
	return err
}

// ValidatePublish checks the options of `esxi-byoi publish ISO`: Output is
// the ISO to publish.
func (o *Options) ValidatePublish() error {
	var errs []error
	if o.Output == "" {
		errs = append(errs, errors.New("the ISO to publish is required"))
	}
	if o.S3Bucket == "" && o.PublishDir == "" {
		errs = append(errs, &option.Error{Option: "s3-bucket", Msg: "required (or {publish-dir})"})
	}
	errs = append(errs, checkCAFile(o.CAFile))
	errs = append(errs, o.validatePublishing()...)
	return errors.Join(errs...)
}

func (o *Options) validatePublishing() []error {
	var errs []error
	bad := func(name, msg string) { errs = append(errs, &option.Error{Option: name, Msg: msg}) }
	publishing := o.S3Bucket != "" || o.PublishDir != ""
	switch {
	case o.S3Bucket != "" && o.PublishDir != "":
		bad("publish-dir", "give {s3-bucket} or {publish-dir}, not both")
	case o.URLPrefix != "" && o.PublicURLPrefix != "":
		bad("public-url-prefix", "give {image-url-prefix} or {public-url-prefix}, not both ({image-url-prefix}: URL of the ISO's directory; {public-url-prefix}: URL of the bucket root)")
	case !publishing && o.PublicURLPrefix != "":
		bad("public-url-prefix", "needs {s3-bucket} or {publish-dir} (without them, use {image-url-prefix})")
	case o.PublishDir != "" && o.URLPrefix == "" && o.PublicURLPrefix == "":
		bad("publish-dir", "needs {public-url-prefix} (or {image-url-prefix}): the https:// URL the directory is served under")
	}
	if !publishing && o.Replace {
		bad("replace", "needs {s3-bucket} or {publish-dir}")
	}
	if o.S3Bucket == "" && o.S3Prefix != "" {
		bad("s3-prefix", "needs {s3-bucket}")
	}
	if o.S3Endpoint != "" {
		if u, err := url.Parse(o.S3Endpoint); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
			bad("s3-endpoint", fmt.Sprintf("%q: want an https:// URL such as https://s3.example.com:9000", httpclient.Redact(o.S3Endpoint)))
		}
	}
	for _, p := range [][2]string{{"image-url-prefix", o.URLPrefix}, {"public-url-prefix", o.PublicURLPrefix}} {
		if p[1] == "" {
			continue
		}
		if u, err := url.Parse(p[1]); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && o.SkipSSL)) {
			bad(p[0], fmt.Sprintf("%q: want an https:// URL", httpclient.Redact(p[1])))
		}
	}
	if len(errs) == 0 && publishing && o.Output != "" {
		if _, err := o.PublicURL(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// S3Key is the object key of the ISO: --s3-prefix + the name of -o.
func (o *Options) S3Key() string { return publish.Key(o.S3Prefix, filepath.Base(o.Output)) }

// PublicURL is the secure_url the controller downloads, known before anything
// is uploaded (RenderService writes it into the YAML):
//
//	-p PREFIX                       PREFIX/<name of -o>  (the recipe's rule)
//	--public-url-prefix + S3        PREFIX/<key>         (the URL of the bucket root)
//	--public-url-prefix + dir       PREFIX/<name of -o>  (the URL of the directory)
//	S3 alone                        derived from endpoint, region, bucket and key
func (o *Options) PublicURL() (string, error) {
	name := filepath.Base(o.Output)
	switch {
	case o.URLPrefix != "":
		return SecureURL(o.URLPrefix, o.Output), nil
	case o.PublicURLPrefix != "" && o.S3Bucket != "":
		return publish.JoinURL(o.PublicURLPrefix, o.S3Key()), nil
	case o.PublicURLPrefix != "":
		return publish.JoinURL(o.PublicURLPrefix, name), nil
	case o.S3Bucket != "":
		return publish.ObjectURL(o.S3Endpoint, o.S3Region, o.S3PathStyle, o.S3Bucket, o.S3Key())
	}
	return "", &option.Error{Option: "image-url-prefix", Msg: "no URL for the ISO: required"}
}

// State carries what later stages need.
type State struct {
	Opts     Options
	Progress progress.Reporter
	Log      io.Writer // stage titles and skips
	// Surface names options in skip reasons: a Skipper writes them as
	// {name} (see option.Surface.Expand).
	Surface option.Surface

	Lint    []kickstart.Finding // set by Lint (warnings too, and when it fails)
	Source  *source.File        // set by Fetch (remote -i only)
	ISO     *remaster.Result    // set by Remaster (or Digest)
	Object  *publish.Object     // set by Upload (outcome: published | skipped-identical)
	YAML    []byte              // set by RenderService
	Service *service.Service    // set by RenderService
	Check   *verify.Result      // set by Verify

	Registration *portal.Registration // set by Register
	Health       *portal.HealthResult // set by Health (also when not every controller is OK)

	s3       *publish.S3       // made on first use by Fetch (s3:// source)
	pub      publish.Publisher // made on first use by Preflight (or Upload)
	portal   *portal.Client    // made on first use by Register or Health
	cleanups []func()          // run by Run at the end, success or not
}

// Build is the recipe's one-shot: fetch, remaster, publish, render the YAML,
// verify; then, when asked, register the YAML in the HPE Bare Metal portal
// and wait for every on-prem controller's download verdict.
func Build() []Stage {
	return []Stage{
		Lint{},          // first: a kickstart the installer or portal would stop on fails before anything is written
		Preflight{},     // a wrong CA or a missing bucket is found before any download or remaster
		Fetch{},         // only for an https:// or s3:// -i: the vendor ISO on local disk
		Remaster{},      // everything after needs the ISO's size and digest
		Upload{},        // before the YAML: a refused publish leaves no YAML pointing at other bytes
		RenderService{}, // the YAML embeds the public URL (known up front) + digest
		Verify{},        // fetch exactly what the controller will fetch
		Register{},      // only with register: the portal gets a YAML whose ISO was checked
		Health{},        // only with health: every controller's fresh verdict on that service
	}
}

// Publish is `esxi-byoi publish ISO`: hash the existing ISO, publish, verify.
func Publish() []Stage {
	return []Stage{
		// Preflight: before hashing a large ISO, the destination is there and trusted.
		Preflight{},
		Digest{}, // one read for the sha256 HEAD compares and the metadata holds
		Upload{}, // a second read, streamed in parts
		Verify{}, // as the controller will
	}
}

// Run runs stages in order. It owns what cuts across them: titles, skips,
// timing of slow stages, error context and panics (→ *BugError).
func Run(ctx context.Context, st *State, stages []Stage) (err error) {
	defer Recover(&err)
	if st.Progress == nil {
		st.Progress = progress.Discard
	}
	if st.Log == nil {
		st.Log = io.Discard
	}
	defer func() {
		for _, f := range st.cleanups {
			f()
		}
		st.cleanups = nil
	}()
	for _, s := range stages {
		if sk, ok := s.(Skipper); ok {
			if why, skip := sk.Skip(st); skip {
				fmt.Fprintf(st.Log, "• %s: skipped (%s)\n", s, st.Surface.Expand(why))
				continue
			}
		}
		fmt.Fprintf(st.Log, "• %s\n", s)
		start := time.Now()
		if err := s.Run(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			fmt.Fprintf(st.Log, "  took %s\n", d.Round(time.Second))
		}
	}
	return nil
}
