package pipeline

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/source"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// Remaster writes the kickstart-ready ISO. Needs: Opts (and Source for a
// remote -i). Sets: ISO.
type Remaster struct{}

func (Remaster) String() string { return "remastering ISO" }

func (Remaster) Run(ctx context.Context, st *State) error {
	in := st.Opts.Input
	if st.Source != nil {
		in = st.Source.Path
		defer st.Source.Remove() // a downloaded vendor ISO is not needed any more
	}
	out, err := st.remasterOutput() // staged when it will be published: see Upload
	if err != nil {
		return err
	}
	res, err := remaster.Run(ctx, remaster.Options{
		Input: in, Output: out, Kernelopt: st.Opts.Kernelopt,
		SHA512: st.Opts.Algorithm == "sha512sum", Progress: st.Progress,
	})
	if err != nil {
		return err
	}
	st.ISO = res
	return nil
}

// RenderService writes the service YAML; its secure_url is Opts.PublicURL.
// Needs: ISO. Sets: YAML, Service.
type RenderService struct{}

func (RenderService) String() string { return "rendering service YAML" }

func (RenderService) Run(_ context.Context, st *State) error {
	if st.ISO == nil {
		return Bug("RenderService needs the remaster result")
	}
	o := st.Opts
	ver := o.Version
	if ver == "" {
		ver = st.ISO.Version
	}
	digest := st.ISO.SHA256
	if o.Algorithm == "sha512sum" {
		digest = st.ISO.SHA512
	}
	url, err := o.PublicURL()
	if err != nil {
		return err
	}
	b, svc, err := service.Render(service.Options{
		Version: ver, Date: o.Date, ISOSize: st.ISO.Size, Digest: digest, Algorithm: o.Algorithm,
		SecureURL: url, SkipSSLVerify: o.SkipSSL, DownloadTimeout: o.DownloadTmo,
		SourceISO: source.Name(o.Input), Kickstart: o.Kickstart, Template: o.Template,
	})
	if err != nil {
		return err
	}
	if err := safefile.WriteFile(o.ServiceOut, b); err != nil {
		return err
	}
	st.YAML, st.Service = b, svc
	return nil
}

// SecureURL is <prefix>/<base name of the output ISO>, as the recipe builds it.
func SecureURL(prefix, output string) string {
	return strings.TrimRight(prefix, "/") + "/" + url.PathEscape(filepath.Base(output))
}

// Verify downloads secure_url anonymously and checks size and digest. Needs:
// Service (build) or Object (publish). Sets: Check. Skipped with skip-verify.
type Verify struct{}

func (Verify) String() string { return "verifying published ISO" }

func (Verify) Skip(st *State) (string, bool) {
	return "{skip-verify} true", st.Opts.SkipVerify
}

func (Verify) Run(ctx context.Context, st *State) error {
	vo := verify.Options{CAFile: st.Opts.CAFile, Progress: st.Progress}
	switch {
	case st.Service != nil && len(st.Service.Files) > 0:
		f := st.Service.Files[0]
		vo.URL, vo.Size, vo.Digest, vo.Algorithm, vo.SkipTLSVerify = f.SecureURL, f.FileSize, f.Signature, f.Algorithm, f.SkipSSLVerify
	case st.Object != nil:
		o := st.Object
		vo.URL, vo.Size, vo.Digest, vo.Algorithm, vo.SkipTLSVerify = o.URL, o.Size, o.SHA256, "sha256sum", st.Opts.SkipSSL
	default:
		return Bug("Verify needs the rendered service or the published object")
	}
	res, err := verify.Run(ctx, vo)
	if err != nil {
		// An anonymous 403 for an object the publisher itself can read means
		// the bucket does not let the controller read it.
		var he *verify.HTTPError
		if o := st.Object; o != nil && o.Bucket != "" && errors.As(err, &he) &&
			(he.StatusCode == http.StatusForbidden || he.StatusCode == http.StatusUnauthorized) && st.readable(ctx) {
			return &publish.NotPublicError{URL: he.URL, URI: o.Where(), Status: he.Status, Err: err}
		}
		return err
	}
	st.Check = res
	return nil
}
