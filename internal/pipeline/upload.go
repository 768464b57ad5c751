package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/publish/docroot"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
)

// publishers are the publish backends; the first the options select is used.
// A new backend is a package exporting a publish.Backend, and one line here.
var publishers = []publish.Backend{
	publish.S3Backend, // S3Bucket: an S3-compatible HTTPS bucket
	docroot.Backend,   // PublishDir: a directory a web server serves
}

// Upload publishes the ISO through the run's publisher (S3 bucket or
// directory); an identical object already there is left alone, a different
// one refused unless Replace. A remastered ISO waits under a staging name
// and is renamed over Output only once the publish succeeded, so a refused
// publish leaves an existing ISO at Output alone. Needs: ISO. Sets: Object.
// Skipped when no backend is selected (the user copies the ISO themselves).
type Upload struct{}

func (Upload) String() string { return "publishing ISO" }

func (Upload) Skip(st *State) (string, bool) {
	return "no {s3-bucket} or {publish-dir}", !st.Opts.Publishing()
}

func (Upload) Run(ctx context.Context, st *State) error {
	if st.ISO == nil {
		return Bug("Upload needs the ISO")
	}
	p, err := st.publisher(ctx)
	if err != nil {
		return err
	}
	obj, err := p.Publish(ctx, publish.File{Path: st.ISO.Output, Size: st.ISO.Size, SHA256: st.ISO.SHA256, Progress: st.Progress})
	if err != nil {
		return err
	}
	st.Object = obj
	fmt.Fprintf(st.Log, "  %s\n", obj.Summary())
	if st.ISO.Output != st.Opts.Output { // staged by Remaster: now it may replace Output
		if err := os.Rename(st.ISO.Output, st.Opts.Output); err != nil {
			return fmt.Errorf("move the published ISO to %s: %w", st.Opts.Output, err)
		}
		st.ISO.Output = st.Opts.Output
	}
	return nil
}

// Digest hashes an existing ISO for `esxi-byoi publish`, where no remaster
// stage has. Needs: Opts.Output. Sets: ISO (Output, Size, SHA256 only).
type Digest struct{}

func (Digest) String() string { return "hashing ISO" }

func (Digest) Run(ctx context.Context, st *State) error {
	size, sum, err := publish.Digest(ctx, st.Opts.Output, st.Progress)
	if err != nil {
		return err
	}
	st.ISO = &remaster.Result{Output: st.Opts.Output, Size: size, SHA256: sum}
	return nil
}

// Publishing reports whether the options select a publish backend: the one
// test of "is anything published", whichever backend it is.
func (o *Options) Publishing() bool {
	d, _ := o.destination()
	_, ok := publish.Select(publishers, d)
	return ok
}

// destination is where the options ask to publish the ISO. The error is the
// public URL's; the destination is complete apart from it.
func (o *Options) destination() (publish.Destination, error) {
	url, err := o.PublicURL()
	return publish.Destination{
		Name: filepath.Base(o.Output), URL: url, Replace: o.Replace,
		S3Bucket: o.S3Bucket, S3Prefix: o.S3Prefix, S3: o.s3Config(),
		Dir: o.PublishDir,
	}, err
}

func (o *Options) s3Config() publish.S3Config {
	return publish.S3Config{Endpoint: o.S3Endpoint, Region: o.S3Region, PathStyle: o.S3PathStyle, CAFile: o.CAFile}
}

// publisher returns the run's publisher, made on first use (by Preflight).
func (st *State) publisher(ctx context.Context) (publish.Publisher, error) {
	if st.pub != nil {
		return st.pub, nil
	}
	d, err := st.Opts.destination()
	if err != nil {
		return nil, err
	}
	b, ok := publish.Select(publishers, d)
	if !ok {
		return nil, Bug("no publish backend selected")
	}
	p, err := b.New(ctx, d)
	if err != nil {
		return nil, err
	}
	st.pub = p
	return p, nil
}

// readable reports whether the run's publisher can read what it published,
// with its own access.
func (st *State) readable(ctx context.Context) bool {
	return st.pub != nil && st.pub.Readable(ctx)
}

// remasterOutput is where Remaster writes the ISO: Output, or, when it will
// be published, the same name in a staging directory beside it, which Upload
// renames over Output after the publish (and the end of the run removes).
// The name stays the same so that progress and results show it.
func (st *State) remasterOutput() (string, error) {
	if st.pub == nil || safefile.Same(st.Opts.Input, st.Opts.Output) {
		return st.Opts.Output, nil // remaster refuses -o = -i itself (remaster.ErrSameFile)
	}
	dir, err := os.MkdirTemp(filepath.Dir(st.Opts.Output), "."+filepath.Base(st.Opts.Output)+".unpublished-")
	if err != nil {
		return "", fmt.Errorf("output directory %s is not writable: %w", filepath.Dir(st.Opts.Output), err)
	}
	st.cleanups = append(st.cleanups, func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, filepath.Base(st.Opts.Output)), nil
}

// s3Client returns the S3 client of an s3:// source, made on first use from
// the options (the AWS default chain supplies the credentials).
func (st *State) s3Client(ctx context.Context) (*publish.S3, error) {
	if st.s3 != nil {
		return st.s3, nil
	}
	c, err := publish.NewS3(ctx, st.Opts.s3Config())
	if err != nil {
		return nil, err
	}
	st.s3 = c
	return c, nil
}
