package pipeline_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
	"github.com/esxi-byoi/esxi-byoi/internal/sample/sampletest"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sampletest.Cleanup()
	os.Exit(code)
}

// s3Build is a build of the shared sample ISO published to versitygw.
func s3Build(t *testing.T, srv *s3test.Server) pipeline.Options {
	dir := t.TempDir()
	return pipeline.Options{
		Input: sampletest.Small(t), Output: filepath.Join(dir, "ESXi-8.0U3-BareMetal.iso"), ServiceOut: filepath.Join(dir, "service.yml"),
		S3Bucket: srv.Bucket, S3Prefix: srv.PublicPrefix, S3Endpoint: srv.Endpoint, S3PathStyle: true, CAFile: srv.CAFile,
		KickstartName: "(embedded)", KickstartTemplate: shippedKickstart(t),
	}
}

// shippedKickstart is the built-in kickstart template, which Lint (the first
// stage of a build) checks; pipeline.NewBuild sets it from the kickstart option.
func shippedKickstart(t *testing.T) []byte {
	b, err := templates.FS.ReadFile("kickstart.cfg.tmpl")
	require.NoError(t, err)
	return b
}

// writes counts the store's write requests.
func writes(srv *s3test.Server) int {
	ops := srv.Ops()
	return ops["s3_PutObject"] + ops["s3_CreateMultipartUpload"] + ops["s3_UploadPart"]
}

// A wrong CA, a missing bucket or a missing directory is found first: no
// remaster, no output file, nothing written to the store.
func TestPreflightFindsABadDestinationBeforeAnyWork(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	for name, tc := range map[string]struct {
		edit  func(o *pipeline.Options)
		check func(t *testing.T, err error)
	}{
		"missing bucket": {
			edit: func(o *pipeline.Options) { o.S3Bucket = "no-such-bucket" },
			check: func(t *testing.T, err error) {
				var be *publish.BucketError
				require.ErrorAs(t, err, &be)
				require.Equal(t, "no-such-bucket", be.Bucket)
			},
		},
		"wrong CA": {
			edit: func(o *pipeline.Options) { o.CAFile = tlstest.NewCA(t, "some other CA").WriteFile(t) },
			check: func(t *testing.T, err error) {
				var ee *publish.EndpointError
				require.ErrorAs(t, err, &ee)
				require.Equal(t, publish.HintUnknownCA, ee.Hint())
			},
		},
		"missing directory": {
			edit: func(o *pipeline.Options) {
				*o = pipeline.Options{Input: o.Input, Output: o.Output, ServiceOut: o.ServiceOut, KickstartTemplate: o.KickstartTemplate,
					PublishDir: filepath.Join(t.TempDir(), "absent"), PublicURLPrefix: "https://images.example.com/esxi"}
			},
			check: func(t *testing.T, err error) { require.ErrorIs(t, err, os.ErrNotExist) },
		},
	} {
		t.Run(name, func(t *testing.T) {
			o := s3Build(t, srv)
			tc.edit(&o)
			before := writes(srv)
			var log bytes.Buffer
			st := &pipeline.State{Opts: o, Log: &log}
			err := pipeline.Run(t.Context(), st, pipeline.Build())
			tc.check(t, err)
			require.ErrorContains(t, err, "checking publish destination: ")
			require.Nil(t, st.ISO, "nothing was remastered")
			require.NotContains(t, log.String(), "remastering")
			require.NoFileExists(t, o.Output)
			require.Equal(t, before, writes(srv))
		})
	}
}

// requireOnly says that dir holds exactly names (no staging leftovers).
func requireOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	require.ElementsMatch(t, names, got)
}

// A refused publish leaves an existing ISO at -o alone (the remastered one
// waited under a staging name, now removed); an accepted one replaces it.
func TestRefusedPublishLeavesTheExistingOutputAlone(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	o := s3Build(t, srv)
	old := []byte("the ISO of an earlier build")
	require.NoError(t, os.WriteFile(o.Output, old, 0o644))
	key := publish.Key(o.S3Prefix, filepath.Base(o.Output))
	_, err := srv.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key),
		Body: bytes.NewReader([]byte("different bytes"))})
	require.NoError(t, err)

	err = pipeline.Run(t.Context(), &pipeline.State{Opts: o}, pipeline.Build())
	var ce *publish.ConflictError
	require.ErrorAs(t, err, &ce)
	got, rerr := os.ReadFile(o.Output)
	require.NoError(t, rerr)
	require.Equal(t, old, got, "the existing output ISO was replaced by a build whose publish was refused")
	requireOnly(t, filepath.Dir(o.Output), filepath.Base(o.Output))

	o.Replace = true
	st := &pipeline.State{Opts: o}
	require.NoError(t, pipeline.Run(t.Context(), st, []pipeline.Stage{pipeline.Preflight{}, pipeline.Remaster{}, pipeline.Upload{}}))
	require.Equal(t, o.Output, st.ISO.Output)
	fi, err := os.Stat(o.Output)
	require.NoError(t, err)
	require.Equal(t, st.ISO.Size, fi.Size(), "the published ISO is now at -o")
	requireOnly(t, filepath.Dir(o.Output), filepath.Base(o.Output))
	require.Equal(t, publish.Published, st.Object.Outcome)
}

// -o inside the published directory: a different file there is refused and
// stays as it was (the remaster used to write over it before the check).
func TestRefusedDirectoryPublishLeavesThePublishedFileAlone(t *testing.T) {
	dir := t.TempDir()
	o := pipeline.Options{Input: sampletest.Small(t), Output: filepath.Join(dir, "ESXi.iso"), ServiceOut: filepath.Join(t.TempDir(), "service.yml"),
		PublishDir: dir, PublicURLPrefix: "https://images.example.com/esxi", KickstartTemplate: shippedKickstart(t)}
	old := []byte("an ISO that live services download")
	require.NoError(t, os.WriteFile(o.Output, old, 0o644))
	err := pipeline.Run(t.Context(), &pipeline.State{Opts: o}, pipeline.Build())
	var ce *publish.ConflictError
	require.ErrorAs(t, err, &ce)
	got, rerr := os.ReadFile(o.Output)
	require.NoError(t, rerr)
	require.Equal(t, old, got)
	requireOnly(t, dir, "ESXi.iso")
	require.False(t, errors.Is(err, os.ErrNotExist))
}

// Staging the output must not hide -o = -i: the remaster still refuses it,
// and the input is untouched.
func TestOutputThatIsTheInputIsStillRefusedWhenPublishing(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ESXi.iso")
	orig, err := os.ReadFile(sampletest.Small(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, orig, 0o644))
	o := pipeline.Options{Input: in, Output: in, ServiceOut: filepath.Join(dir, "service.yml"),
		PublishDir: t.TempDir(), PublicURLPrefix: "https://images.example.com/esxi", KickstartTemplate: shippedKickstart(t)}
	err = pipeline.Run(t.Context(), &pipeline.State{Opts: o}, pipeline.Build())
	require.ErrorIs(t, err, remaster.ErrSameFile)
	got, err := os.ReadFile(in)
	require.NoError(t, err)
	require.True(t, bytes.Equal(orig, got), "the input ISO was modified")
	requireOnly(t, dir, "ESXi.iso")
}
