package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
)

type stage struct {
	name string
	run  func(*pipeline.State) error
	skip bool
}

func (s stage) String() string                                  { return s.name }
func (s stage) Run(_ context.Context, st *pipeline.State) error { return s.run(st) }

type skipping struct{ stage }

func (s skipping) Skip(*pipeline.State) (string, bool) { return "not needed", s.skip }

func TestRunOrdersSkipsWrapsAndRecovers(t *testing.T) {
	var log bytes.Buffer
	var ran []string
	rec := func(n string) func(*pipeline.State) error {
		return func(*pipeline.State) error { ran = append(ran, n); return nil }
	}
	boom := errors.New("boom")
	st := &pipeline.State{Log: &log}
	err := pipeline.Run(t.Context(), st, []pipeline.Stage{
		stage{name: "one", run: rec("one")},
		skipping{stage{name: "two", run: rec("two"), skip: true}},
		stage{name: "three", run: func(*pipeline.State) error { return boom }},
		stage{name: "four", run: rec("four")},
	})
	require.ErrorIs(t, err, boom)
	require.EqualError(t, err, "three: boom")
	require.Equal(t, []string{"one"}, ran)
	require.Contains(t, log.String(), "• two: skipped (not needed)")

	err = pipeline.Run(t.Context(), st, []pipeline.Stage{stage{name: "panics", run: func(*pipeline.State) error { panic("nil map") }}})
	var bug *pipeline.BugError
	require.ErrorAs(t, err, &bug)
}

func TestStagesRefuseMissingInputsAsBugs(t *testing.T) {
	for _, s := range []pipeline.Stage{pipeline.RenderService{}, pipeline.Verify{}, pipeline.Upload{}} {
		err := s.Run(t.Context(), &pipeline.State{})
		var bug *pipeline.BugError
		require.ErrorAs(t, err, &bug, s.String())
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	o := pipeline.Options{Algorithm: "md5"}
	err := o.Validate()
	for _, want := range []string{"-i/--iso", "-o/--output", "-s/--service", "-p/--image-url-prefix", `"md5"`} {
		require.ErrorContains(t, err, want)
	}
}

// The service YAML and the ISO are one file also by another spelling of its
// path (safefile.Same, as for the input and the output).
func TestValidateRefusesServiceOutThatIsTheOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ESXi.iso")
	for _, svc := range []string{out, filepath.Join(dir, ".", "ESXi.iso")} {
		o := pipeline.Options{Input: "in.iso", Output: out, ServiceOut: svc, URLPrefix: "https://h/esxi"}
		require.ErrorContains(t, o.Validate(), "names the same file", svc)
	}
	o := pipeline.Options{Input: "in.iso", Output: out, ServiceOut: filepath.Join(dir, "service.yml"), URLPrefix: "https://h/esxi"}
	require.NoError(t, o.Validate())
}

func TestSecureURLIsPrefixPlusOutputName(t *testing.T) {
	require.Equal(t, "https://h/img/ESXi%20a.iso", pipeline.SecureURL("https://h/img/", "/tmp/x/ESXi a.iso"))
}

func TestPublicURLIsKnownBeforeUpload(t *testing.T) {
	for name, tc := range map[string]struct {
		o    pipeline.Options
		want string
	}{
		"-p, no publishing": {pipeline.Options{URLPrefix: "https://h/img/"}, "https://h/img/ESXi%20a.iso"},
		"-p with S3 (the ISO's directory)": {pipeline.Options{URLPrefix: "https://cdn/esxi", S3Bucket: "b", S3Prefix: "x/y"},
			"https://cdn/esxi/ESXi%20a.iso"},
		"public prefix with S3 (the bucket root)": {pipeline.Options{PublicURLPrefix: "https://cdn/", S3Bucket: "b", S3Prefix: "x/y/"},
			"https://cdn/x/y/ESXi%20a.iso"},
		"public prefix with a directory": {pipeline.Options{PublicURLPrefix: "https://www/esxi", PublishDir: "/srv/www/esxi"},
			"https://www/esxi/ESXi%20a.iso"},
		"derived, path-style": {pipeline.Options{S3Bucket: "b", S3Prefix: "public", S3Endpoint: "https://127.0.0.1:7070", S3PathStyle: true},
			"https://127.0.0.1:7070/b/public/ESXi%20a.iso"},
		"derived, AWS": {pipeline.Options{S3Bucket: "b", S3Region: "eu-central-1"}, "https://b.s3.eu-central-1.amazonaws.com/ESXi%20a.iso"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.o.Output = "/tmp/x/ESXi a.iso"
			got, err := tc.o.PublicURL()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestValidatePublishing(t *testing.T) {
	base := func() pipeline.Options {
		return pipeline.Options{Input: "in.iso", Output: "out.iso", ServiceOut: "out.yml"}
	}
	ok := base()
	ok.S3Bucket, ok.S3Endpoint, ok.S3PathStyle = "b", "https://s3.lab:9000", true
	require.NoError(t, ok.Validate(), "-p is optional with S3")

	// Each problem is an *option.Error naming its option, not a flag.
	for name, tc := range map[string]struct {
		edit      func(*pipeline.Options)
		opt, want string
	}{
		"no URL at all":       {func(o *pipeline.Options) {}, "image-url-prefix", "-p/--image-url-prefix: required"},
		"bucket and dir":      {func(o *pipeline.Options) { o.S3Bucket, o.PublishDir, o.URLPrefix = "b", "/srv", "https://h" }, "publish-dir", "not both"},
		"dir without URL":     {func(o *pipeline.Options) { o.PublishDir = "/srv" }, "image-url-prefix", "--publish-dir: needs --public-url-prefix"},
		"http endpoint":       {func(o *pipeline.Options) { o.S3Bucket, o.S3Endpoint = "b", "http://s3.lab" }, "s3-endpoint", "--s3-endpoint"},
		"replace alone":       {func(o *pipeline.Options) { o.URLPrefix, o.Replace = "https://h", true }, "replace", "--replace: needs"},
		"public prefix alone": {func(o *pipeline.Options) { o.PublicURLPrefix = "https://h" }, "public-url-prefix", "without them, use -p"},
		"-p and public": {func(o *pipeline.Options) {
			o.S3Bucket, o.S3Region, o.URLPrefix, o.PublicURLPrefix = "b", "r", "https://a", "https://b"
		}, "public-url-prefix", "not both"},
		"plain http source": {func(o *pipeline.Options) { o.Input, o.URLPrefix = "http://x/a.iso", "https://h" }, "iso", "plain http"},
		"bad s3 source":     {func(o *pipeline.Options) { o.Input, o.URLPrefix = "s3://bucket-only", "https://h" }, "iso", "s3://bucket/key"},
	} {
		t.Run(name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			err := o.Validate()
			require.ErrorContains(t, err, tc.want)
			var oe *option.Error
			require.ErrorAs(t, err, &oe)
			require.Equal(t, tc.opt, oe.Option)
			require.NotContains(t, option.Action.Message(err), "--s3", "the action's text names inputs")
		})
	}
	aws := base()
	aws.S3Bucket = "b"
	require.ErrorContains(t, aws.Validate(), "--s3-region", "the public URL of an AWS bucket needs its region")
	p := pipeline.Options{}
	require.ErrorContains(t, p.ValidatePublish(), "--s3-bucket: required (or --publish-dir)")
}

func TestUploadAndFetchAreSkippedWhenNotAsked(t *testing.T) {
	st := &pipeline.State{Opts: pipeline.Options{Input: "/local/in.iso"}}
	_, skip := pipeline.Upload{}.Skip(st)
	require.True(t, skip)
	_, skip = pipeline.Fetch{}.Skip(st)
	require.True(t, skip)
	st.Opts.Input, st.Opts.PublishDir = "https://vendor/x.iso", "/srv"
	_, skip = pipeline.Upload{}.Skip(st)
	require.False(t, skip)
	_, skip = pipeline.Fetch{}.Skip(st)
	require.False(t, skip)
}
