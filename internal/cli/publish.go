package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
)

// runPublish uploads an existing ISO (no remaster) and verifies it: hash the
// file once (HEAD compares that sha256, the metadata stores it), then stream it
// up, then download it anonymously. There are no credential flags: S3
// credentials come from the AWS default chain (environment, shared config,
// web identity) only.
func runPublish(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "publish")
	v := option.Values{}
	optionFlags(fs, "publish", v)
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("publish", "want exactly one ISO to publish")
	}
	asJSON, err := jsonFlag("publish", v)
	if err != nil {
		return err
	}
	v["output"] = rest[0]
	o, err := pipeline.NewPublish(v, env.Getenv)
	if err != nil {
		return usageIfInvalid("publish", err)
	}
	st := &pipeline.State{Opts: o, Progress: env.Progress, Log: env.Stderr}
	if err := pipeline.Run(ctx, st, pipeline.Publish()); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, struct {
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
	fmt.Fprintf(w, "  to:       %s (%s)\n", obj.Where(), obj.Did())
	fmt.Fprintf(w, "  url:      %s\n", obj.URL)
	fmt.Fprintf(w, "  size:     %d bytes\n  sha256:   %s\n", obj.Size, obj.SHA256)
	if st.Check != nil {
		fmt.Fprintf(w, "  verified: anonymous download of %d bytes matches\n", st.Check.Size)
	} else {
		fmt.Fprintf(w, "  verified: no (%s true)\n", option.CLI.Name("skip-verify"))
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
