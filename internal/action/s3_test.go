package action_test

import (
	"context"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// s3Runner builds on a tag push with publishing to the versitygw rig: the
// AWS chain of this process points at it, as configure-aws-credentials
// would set the job's environment.
func s3Runner(t *testing.T, srv *s3test.Server) *runner {
	srv.SetEnv(t)
	r := newRunner(t, "push", "push_tag.json")
	r.env["GITHUB_REF"] = "refs/tags/esxi-8.0U3"
	r.env["AWS_ACCESS_KEY_ID"], r.env["AWS_SECRET_ACCESS_KEY"], r.env["AWS_REGION"] = srv.AccessKey, srv.SecretKey, srv.Region
	r.secrets = append(r.secrets, srv.SecretKey)
	r.input("iso", smallSample(t)).input("root-password", rootPassword).input("github-token", githubToken).
		input("s3-bucket", srv.Bucket).input("s3-prefix", srv.PublicPrefix+"esxi").input("s3-endpoint", srv.Endpoint).
		input("s3-path-style", "true").input("ca-file", srv.CAFile)
	return r
}

// The full build end to end: remaster, upload to S3-compatible storage over
// TLS with a private CA, service YAML pointing at the public object, and an
// anonymous download that checks size and digest. A second run finds the same
// bytes published and uploads nothing.
func TestBuildPublishesToS3AndVerifies(t *testing.T) {
	srv := s3test.Start(t)
	r := s3Runner(t, srv)

	res := r.run()
	require.Equal(t, 0, res.code, res)
	name := "VMware-VMvisor-Installer-8.0U3-24022510.x86_64-BareMetal.iso"
	key := srv.PublicPrefix + "esxi/" + name
	o := res.outputs
	require.Equal(t, "true", o["published"])
	require.Equal(t, srv.PublicURL(key), o["iso-url"])
	stored, err := os.ReadFile(srv.ObjectPath(key))
	require.NoError(t, err)
	local, err := os.ReadFile(r.workspace + "/" + o["iso-path"])
	require.NoError(t, err)
	require.Equal(t, local, stored, "the object is the remastered ISO")
	y, err := os.ReadFile(r.workspace + "/" + o["service-yml"])
	require.NoError(t, err)
	svc, err := service.Parse(y)
	require.NoError(t, err)
	require.Equal(t, srv.PublicURL(key), svc.Files[0].SecureURL)
	require.Equal(t, o["iso-sha256"], svc.Files[0].Signature)
	require.Contains(t, res.summary, "| published | published |")
	require.Contains(t, res.summary, "| verified | yes: "+o["iso-size"]+" bytes, same digest")
	requireGroups(t, res, "remastering ISO", "verifying published ISO")

	puts := srv.Ops()["s3_PutObject"] + srv.Ops()["s3_CreateMultipartUpload"]
	res = r.run()
	require.Equal(t, 0, res.code, res)
	require.Equal(t, "skipped-identical", res.outputs["published"])
	require.Equal(t, puts, srv.Ops()["s3_PutObject"]+srv.Ops()["s3_CreateMultipartUpload"], "nothing uploaded again")
	require.Contains(t, res.summary, "| published | skipped-identical |")
}

// A scheduled rebuild reads the vendor ISO from s3:// with the job's AWS
// credentials, and derives the ISO name from the key.
func TestScheduledBuildFetchesTheVendorISOFromS3(t *testing.T) {
	srv := s3test.Start(t)
	vendor, err := os.Open(smallSample(t))
	require.NoError(t, err)
	defer vendor.Close()
	src := srv.PrivatePrefix + "media/" + path.Base(smallSample(t))
	_, err = srv.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(src), Body: vendor})
	require.NoError(t, err)

	r := s3Runner(t, srv)
	r.env["GITHUB_EVENT_NAME"], r.env["GITHUB_EVENT_PATH"], r.env["GITHUB_REF"] = "schedule", "testdata/events/schedule.json", "refs/heads/main"
	r.input("iso", "s3://"+srv.Bucket+"/"+src)

	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.True(t, strings.HasSuffix(res.outputs["iso-url"], "/VMware-VMvisor-Installer-8.0U3-24022510.x86_64-BareMetal.iso"), res.outputs["iso-url"])
	require.Equal(t, "true", res.outputs["published"])
	require.Contains(t, res.summary, "| verified | yes: ")
}

// Build mode lints the kickstart against the sample hosts first: a template
// with an installer error fails with one annotation per finding at its file
// and line, before any file is written or any object uploaded.
func TestBuildWithALintErrorFailsBeforeAnythingIsWritten(t *testing.T) {
	srv := s3test.Start(t)
	r := s3Runner(t, srv)
	ks := strings.Replace(embedded(t, "kickstart.cfg.tmpl"), "vmaccepteula\n", "vmaccepteula\nserialnum --esx=reboot-now\n", 1)
	r.write("ks/esxi.cfg.tmpl", ks)
	r.input("kickstart", "ks/esxi.cfg.tmpl")
	line := 0
	for i, l := range strings.Split(ks, "\n") {
		if l == "serialnum --esx=reboot-now" {
			line = i + 1
		}
	}
	before := srv.Ops()["s3_PutObject"] + srv.Ops()["s3_CreateMultipartUpload"]

	res := r.run()
	require.Equal(t, 1, res.code, res)
	var errs []string
	for _, a := range res.annotations("error") {
		if strings.Contains(a.props, "file=ks/esxi.cfg.tmpl") {
			require.Contains(t, a.props, "line="+strconv.Itoa(line), a.msg)
			require.Contains(t, a.msg, "(hosts ", "one annotation names every host it applies to")
			errs = append(errs, a.msg)
		}
	}
	require.Len(t, errs, 1, "one annotation per finding, not one per host")
	require.NotContains(t, res.stdout, "remastering ISO", "nothing runs after a failed lint")
	out, err := os.ReadDir(r.workspace + "/esxi-byoi-out")
	if err != nil {
		require.ErrorIs(t, err, os.ErrNotExist)
	}
	require.Empty(t, out, "no output written")
	require.Equal(t, before, srv.Ops()["s3_PutObject"]+srv.Ops()["s3_CreateMultipartUpload"], "nothing uploaded")
	require.Empty(t, res.outputs["iso-path"])
}
