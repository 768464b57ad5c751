package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
)

// publishFlags registers the publishing flags shared by build and publish.
// There are no credential flags: S3 credentials come from the AWS default
// chain (environment, shared config, web identity) only.
func publishFlags(fs *flag.FlagSet, o *pipeline.Options) {
	fs.StringVar(&o.S3Bucket, "s3-bucket", "", "publish the ISO to this S3 (or S3-compatible) bucket; credentials from the AWS default chain")
	fs.StringVar(&o.S3Prefix, "s3-prefix", "", `key prefix ("esxi/"): the key is PREFIX/<ISO name>`)
	fs.StringVar(&o.S3Endpoint, "s3-endpoint", "", "https:// endpoint of an S3-compatible store (default: AWS)")
	fs.StringVar(&o.S3Region, "s3-region", "", "region of the bucket (default: AWS_REGION, AWS_DEFAULT_REGION or the profile)")
	fs.BoolVar(&o.S3PathStyle, "s3-path-style", false, "path-style addressing (https://endpoint/bucket/key), as most S3-compatible stores want")
	fs.StringVar(&o.PublicURLPrefix, "public-url-prefix", "", "URL the controller downloads from: the bucket root (with --s3-bucket) or the directory (with --publish-dir); default for S3: derived from endpoint, bucket and key")
	fs.StringVar(&o.PublishDir, "publish-dir", "", "copy the ISO atomically into this directory (a web server's docroot) instead of S3")
	fs.BoolVar(&o.Replace, "replace", false, "allow replacing a published object that holds different bytes")
}

// regionFromEnv fills --s3-region from the environment the AWS chain reads
// too, so that the public URL of an AWS bucket is known before any request.
func regionFromEnv(env *Env, o *pipeline.Options) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if o.S3Region == "" {
			o.S3Region = env.Getenv(k)
		}
	}
}

// skipTestFlag parses -x: "true" skips the download check.
func skipTestFlag(cmd, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, usagef(cmd, "-x takes true or false, not %q", v)
}

// runPublish uploads an existing ISO (no remaster) and verifies it: hash the
// file once (HEAD compares that sha256, the metadata stores it), then stream it
// up, then download it anonymously.
func runPublish(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "publish")
	var o pipeline.Options
	var skipTest string
	var asJSON bool
	publishFlags(fs, &o)
	fs.StringVar(&o.URLPrefix, "p", "", "URL of the directory the ISO is served from: secure_url = PREFIX/<ISO name>")
	fs.StringVar(&o.URLPrefix, "image-url-prefix", "", "same as -p")
	fs.StringVar(&o.CAFile, "ca-file", "", "CA bundle (PEM) trusted for the S3 endpoint and the verification")
	fs.StringVar(&skipTest, "x", "", `"true" skips downloading the published ISO to verify it`)
	fs.StringVar(&skipTest, "skip-test", "", "same as -x")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("publish", "want exactly one ISO to publish")
	}
	o.Output = rest[0]
	if o.SkipVerify, err = skipTestFlag("publish", skipTest); err != nil {
		return err
	}
	regionFromEnv(env, &o)
	if err := o.ValidatePublish(); err != nil {
		return usagef("publish", "%v", err)
	}
	st := &pipeline.State{Opts: o, Progress: env.Progress, Log: env.Stderr}
	if err := pipeline.Run(ctx, st, pipeline.Publish()); err != nil {
		return err
	}
	if asJSON {
		e := json.NewEncoder(env.Stdout)
		e.SetIndent("", "  ")
		return e.Encode(struct {
			*publish.Object
			Verified bool `json:"verified"`
		}{st.Object, st.Check != nil})
	}
	fmt.Fprintf(env.Stdout, "published %s\n", o.Output)
	printPublished(env, st)
	return nil
}

// printPublished prints where the ISO went and whether it was checked.
func printPublished(env *Env, st *pipeline.State) {
	w, obj := env.Stdout, st.Object
	if obj == nil {
		return
	}
	where := obj.Path
	if obj.Bucket != "" {
		where = publish.URI(obj.Bucket, obj.Key)
	}
	what := "uploaded"
	if obj.Outcome == publish.SkippedIdentical {
		what = "already there with the same bytes: nothing uploaded"
	}
	fmt.Fprintf(w, "  to:       %s (%s)\n", where, what)
	fmt.Fprintf(w, "  url:      %s\n", obj.URL)
	fmt.Fprintf(w, "  size:     %d bytes\n  sha256:   %s\n", obj.Size, obj.SHA256)
	if st.Check != nil {
		fmt.Fprintf(w, "  verified: anonymous download of %d bytes matches\n", st.Check.Size)
	} else {
		fmt.Fprintf(w, "  verified: no (-x true)\n")
	}
}

// parseInterleaved parses flags before and after positional arguments
// ("publish ISO --s3-bucket b" as well as "publish --s3-bucket b ISO").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
