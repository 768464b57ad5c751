package pipeline

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// Remaster writes the kickstart-ready ISO. Needs: Opts. Sets: ISO.
type Remaster struct{}

func (Remaster) String() string { return "remastering ISO" }

func (Remaster) Run(ctx context.Context, st *State) error {
	res, err := remaster.Run(ctx, remaster.Options{
		Input: st.Opts.Input, Output: st.Opts.Output, Kernelopt: st.Opts.Kernelopt,
		SHA512: st.Opts.Algorithm == "sha512sum", Progress: st.Progress,
	})
	if err != nil {
		return err
	}
	st.ISO = res
	return nil
}

// RenderService writes the service YAML. Needs: ISO. Sets: YAML, Service.
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
	b, svc, err := service.Render(service.Options{
		Version: ver, Date: o.Date, ISOSize: st.ISO.Size, Digest: digest, Algorithm: o.Algorithm,
		SecureURL: SecureURL(o.URLPrefix, o.Output), SkipSSLVerify: o.SkipSSL, DownloadTimeout: o.DownloadTmo,
		SourceISO: filepath.Base(o.Input), Kickstart: o.Kickstart, Template: o.Template,
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
// Service. Sets: Check. Skipped with -x true.
type Verify struct{}

func (Verify) String() string { return "verifying published ISO" }

func (Verify) Skip(st *State) (string, bool) {
	return "-x true", st.Opts.SkipVerify
}

func (Verify) Run(ctx context.Context, st *State) error {
	if st.Service == nil || len(st.Service.Files) == 0 {
		return Bug("Verify needs the rendered service")
	}
	f := st.Service.Files[0]
	res, err := verify.Run(ctx, verify.Options{
		URL: f.SecureURL, Size: f.FileSize, Digest: f.Signature, Algorithm: f.Algorithm,
		SkipTLSVerify: f.SkipSSLVerify, CAFile: st.Opts.CAFile, Progress: st.Progress,
	})
	if err != nil {
		return err
	}
	st.Check = res
	return nil
}
