package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/publish/docroot"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

// Upload publishes the ISO to the S3 bucket (--s3-bucket) or copies it into
// the directory (--publish-dir); an identical object already there is left
// alone, a different one refused unless --replace. Needs: ISO. Sets: Object.
// Skipped when neither is set (the user copies the ISO themselves).
type Upload struct{}

func (Upload) String() string { return "publishing ISO" }

func (Upload) Skip(st *State) (string, bool) {
	return "no {s3-bucket} or {publish-dir}", st.Opts.S3Bucket == "" && st.Opts.PublishDir == ""
}

func (Upload) Run(ctx context.Context, st *State) error {
	if st.ISO == nil {
		return Bug("Upload needs the ISO")
	}
	o := st.Opts
	url, err := o.PublicURL()
	if err != nil {
		return err
	}
	var obj *publish.Object
	if o.PublishDir != "" {
		obj, err = docroot.Publish(ctx, docroot.Options{
			Dir: o.PublishDir, File: st.ISO.Output, Name: filepath.Base(o.Output), Size: st.ISO.Size,
			SHA256: st.ISO.SHA256, Replace: o.Replace, URL: url, Progress: st.Progress,
		})
	} else {
		var c *publish.S3
		if c, err = st.s3Client(ctx); err != nil {
			return err
		}
		obj, err = c.Publish(ctx, publish.Options{
			Bucket: o.S3Bucket, Key: o.S3Key(), File: st.ISO.Output, Size: st.ISO.Size, SHA256: st.ISO.SHA256,
			Replace: o.Replace, URL: url, Progress: st.Progress,
		})
	}
	if err != nil {
		return err
	}
	st.Object = obj
	where := obj.Path
	if obj.Bucket != "" {
		where = publish.URI(obj.Bucket, obj.Key)
	}
	if obj.Outcome == publish.SkippedIdentical {
		fmt.Fprintf(st.Log, "  already published: %s holds the same bytes, nothing uploaded\n", where)
	} else {
		fmt.Fprintf(st.Log, "  published %s\n", where)
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

// s3Client returns the one S3 client of the run, made on first use from the
// options (the AWS default chain supplies the credentials).
func (st *State) s3Client(ctx context.Context) (*publish.S3, error) {
	if st.s3 != nil {
		return st.s3, nil
	}
	c, err := publish.NewS3(ctx, publish.S3Config{
		Endpoint: st.Opts.S3Endpoint, Region: st.Opts.S3Region, PathStyle: st.Opts.S3PathStyle, CAFile: st.Opts.CAFile,
	})
	if err != nil {
		return nil, err
	}
	st.s3 = c
	return c, nil
}
