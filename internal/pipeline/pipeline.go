// Package pipeline strings the stages of a build together: remaster the ISO,
// render the service YAML, verify the published ISO. Each stage is a small
// type with one job; the CLI (and later the GitHub action) pick the list and
// run it. Stages take validated Options and hand results on through State.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// Stage is one step of a build. Stages run in order and hand results on
// through *State.
type Stage interface {
	String() string // title, a gerund: "remastering ISO"
	Run(ctx context.Context, st *State) error
}

// Skipper is implemented by stages that can be skipped, decided up front.
type Skipper interface {
	Skip(st *State) (reason string, skip bool)
}

// Options are the validated inputs of a build; stages never read env or flags.
type Options struct {
	Input       string // vendor ISO
	Output      string // remastered ISO
	ServiceOut  string // service YAML
	Version     string // ESXi version for the service name; "" = detected
	URLPrefix   string // secure_url = URLPrefix + "/" + base name of Output
	Kernelopt   remaster.KerneloptEdit
	Kickstart   []byte // kickstart template with the root hash substituted
	Template    []byte // service YAML template (nil: embedded default)
	Algorithm   string // sha256sum | sha512sum
	SkipSSL     bool   // skip_ssl_verify in the YAML (and when verifying)
	CAFile      string
	SkipVerify  bool // -x true
	Date        time.Time
	DownloadTmo int

	// Publishing. With neither S3Bucket nor PublishDir set nothing is
	// uploaded and the user copies the ISO to URLPrefix themselves.
	S3Bucket        string
	S3Prefix        string // key = S3Prefix + base name of Output
	S3Endpoint      string // any S3-compatible HTTPS endpoint; "" = AWS
	S3Region        string
	S3PathStyle     bool
	PublicURLPrefix string // URL base the controller uses; "" = derived from endpoint/bucket/key
	PublishDir      string // copy the ISO atomically into this directory instead
	Replace         bool   // allow replacing a published object with different bytes
}

// Validate checks everything up front and reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	need := func(v, flag string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", flag))
		}
	}
	need(o.Input, "-i/--iso")
	need(o.Output, "-o/--output")
	need(o.ServiceOut, "-s/--service")
	need(o.URLPrefix, "-p/--image-url-prefix")
	if o.Algorithm != "" && o.Algorithm != "sha256sum" && o.Algorithm != "sha512sum" {
		errs = append(errs, fmt.Errorf("--algorithm %q: want sha256sum or sha512sum", o.Algorithm))
	}
	if o.ServiceOut != "" && o.ServiceOut == o.Output {
		errs = append(errs, errors.New("-s and -o name the same file"))
	}
	return errors.Join(errs...)
}

// State carries what later stages need.
type State struct {
	Opts     Options
	Progress progress.Reporter
	Log      io.Writer // stage titles and skips

	ISO     *remaster.Result // set by Remaster
	YAML    []byte           // set by RenderService
	Service *service.Service // set by RenderService
	Object  *publish.Object  // set by Upload (outcome: published | skipped-identical)
	Check   *verify.Result   // set by Verify
}

// Build is the recipe's one-shot: remaster, render the YAML, verify.
func Build() []Stage {
	return []Stage{
		Remaster{},      // first: everything after needs the ISO's size and digest
		RenderService{}, // the YAML embeds URL + digest; still no network
		Verify{},        // last: fetch exactly what the controller will fetch
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
	for _, s := range stages {
		if sk, ok := s.(Skipper); ok {
			if why, skip := sk.Skip(st); skip {
				fmt.Fprintf(st.Log, "• %s: skipped (%s)\n", s, why)
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
