package publish_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// iso is a local file standing in for a remastered ISO, with the size and
// sha256 the remaster stage would hand on.
type iso struct {
	path   string
	data   []byte
	sha256 string
}

func newISO(t *testing.T, size int) iso {
	t.Helper()
	b := make([]byte, size)
	_, err := rand.Read(b)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "ESXi-8.0U3-BareMetal.iso")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	sum := sha256.Sum256(b)
	return iso{path: p, data: b, sha256: hex.EncodeToString(sum[:])}
}

// rig starts versitygw, points the AWS chain at it through the environment
// (and nothing else), and returns a publisher trusting its CA via CAFile.
func rig(t *testing.T) (*s3test.Server, *publish.S3) {
	t.Helper()
	srv := s3test.Start(t)
	srv.SetEnv(t)
	return srv, client(t, srv, srv.CAFile)
}

func client(t *testing.T, srv *s3test.Server, caFile string) *publish.S3 {
	t.Helper()
	c, err := publish.NewS3(t.Context(), publish.S3Config{Endpoint: srv.Endpoint, PathStyle: true, CAFile: caFile, AbortWindow: 30 * time.Second})
	require.NoError(t, err)
	return c
}

func opts(srv *s3test.Server, f iso, key string) publish.Options {
	return publish.Options{Bucket: srv.Bucket, Key: key, File: f.path, Size: int64(len(f.data)), SHA256: f.sha256,
		URL: srv.PublicURL(key), PartSize: publish.MinPartSize, Concurrency: 2}
}

// anonGet downloads url without credentials, as the controller does.
func anonGet(t *testing.T, srv *s3test.Server, url string) (int, []byte) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.TLSConfig()}}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func head(t *testing.T, srv *s3test.Server, key string) *s3.HeadObjectOutput {
	t.Helper()
	out, err := srv.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key)})
	require.NoError(t, err)
	return out
}

func requireNoUploads(t *testing.T, srv *s3test.Server) {
	t.Helper()
	ups, err := srv.Uploads(t.Context())
	require.NoError(t, err)
	require.Empty(t, ups, "orphaned multipart uploads")
}

// counter is a progress reporter that sums what tasks report.
type counter struct{ n atomic.Int64 }

func (c *counter) Start(string, int64) progress.Task { return c }
func (c *counter) Add(n int64)                       { c.n.Add(n) }
func (c *counter) Done()                             {}

func TestPublishUploadsPartsWithSHA256AndAnonymousDownloadMatches(t *testing.T) {
	srv, c := rig(t)
	f := newISO(t, 12<<20+12345) // 3 parts of 5 MiB
	key := srv.PublicPrefix + "esxi/ESXi-8.0U3-BareMetal.iso"
	o := opts(srv, f, key)
	var prog counter
	o.Progress = &prog
	obj, err := c.Publish(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, publish.Published, obj.Outcome)
	require.Equal(t, srv.PublicURL(key), obj.URL)
	require.Equal(t, int64(len(f.data)), prog.n.Load(), "progress reached the size")

	ops := srv.Ops()
	require.Equal(t, 1, ops["s3_CreateMultipartUpload"])
	require.Equal(t, 3, ops["s3_UploadPart"])
	require.Equal(t, 1, ops["s3_CompleteMultipartUpload"])
	require.Zero(t, ops["s3_PutObject"])

	h := head(t, srv, key)
	require.Equal(t, f.sha256, h.Metadata["sha256"])
	hc, err := srv.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key), ChecksumMode: "ENABLED"})
	require.NoError(t, err)
	require.NotEmpty(t, aws.ToString(hc.ChecksumCRC32), "parts carried CRC32 checksums (not CRC64NVME)")
	require.Equal(t, "application/x-iso9660-image", aws.ToString(h.ContentType))
	code, body := anonGet(t, srv, obj.URL)
	require.Equal(t, 200, code)
	require.True(t, bytes.Equal(f.data, body), "anonymous download is the ISO")
	requireNoUploads(t, srv)
}

func TestPublishSmallFileIsOnePut(t *testing.T) {
	srv, c := rig(t)
	f := newISO(t, 1<<20)
	obj, err := c.Publish(t.Context(), opts(srv, f, srv.PublicPrefix+"small.iso"))
	require.NoError(t, err)
	require.Equal(t, publish.Published, obj.Outcome)
	require.Equal(t, 1, srv.Ops()["s3_PutObject"])
	_, body := anonGet(t, srv, obj.URL)
	require.Equal(t, f.data, body)
}

// Re-running the same build publishes nothing: HEAD only, no PUT, the object
// is untouched.
func TestRepublishingTheSameISOUploadsNothing(t *testing.T) {
	srv, c := rig(t)
	f := newISO(t, 11<<20)
	key := srv.PublicPrefix + "same.iso"
	_, err := c.Publish(t.Context(), opts(srv, f, key))
	require.NoError(t, err)
	before, ops := head(t, srv, key), srv.Ops()
	require.Positive(t, ops["s3_UploadPart"], "the access log records writes")

	time.Sleep(1100 * time.Millisecond) // a rewrite would move LastModified
	obj, err := c.Publish(t.Context(), opts(srv, f, key))
	require.NoError(t, err)
	require.Equal(t, publish.SkippedIdentical, obj.Outcome)
	after, ops2 := head(t, srv, key), srv.Ops()
	for _, op := range []string{"s3_PutObject", "s3_CreateMultipartUpload", "s3_UploadPart", "s3_CompleteMultipartUpload"} {
		require.Equal(t, ops[op], ops2[op], "%s sent on an identical re-publish", op)
	}
	require.Equal(t, aws.ToString(before.ETag), aws.ToString(after.ETag))
	require.Equal(t, before.LastModified, after.LastModified)
}

func TestDifferentISOUnderTheSameKeyIsRefusedUnlessReplace(t *testing.T) {
	srv, c := rig(t)
	key := srv.PublicPrefix + "changed.iso"
	first, second := newISO(t, 6<<20), newISO(t, 6<<20)
	_, err := c.Publish(t.Context(), opts(srv, first, key))
	require.NoError(t, err)

	_, err = c.Publish(t.Context(), opts(srv, second, key))
	var ce *publish.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, first.sha256, ce.SHA256)
	require.Contains(t, err.Error(), "refusing to overwrite")
	require.Equal(t, publish.HintConflict, ce.Hint())
	_, body := anonGet(t, srv, srv.PublicURL(key))
	require.Equal(t, first.data, body, "the published object is unchanged")

	o := opts(srv, second, key)
	o.Replace = true
	obj, err := c.Publish(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, publish.Published, obj.Outcome)
	_, body = anonGet(t, srv, srv.PublicURL(key))
	require.Equal(t, second.data, body)
	requireNoUploads(t, srv)
}

// Two builds racing for one new key: If-None-Match: * lets exactly one win;
// the other reports a conflict, never a silent overwrite.
func TestConcurrentPublishersCannotClobberEachOther(t *testing.T) {
	srv, c := rig(t)
	key := srv.PublicPrefix + "race.iso"
	a, b := newISO(t, 11<<20), newISO(t, 11<<20)
	var wg sync.WaitGroup
	res := make([]error, 2)
	for i, f := range []iso{a, b} {
		wg.Go(func() { _, res[i] = c.Publish(t.Context(), opts(srv, f, key)) })
	}
	wg.Wait()
	var ce *publish.ConflictError
	switch {
	case res[0] == nil:
		require.ErrorAs(t, res[1], &ce)
		_, body := anonGet(t, srv, srv.PublicURL(key))
		require.Equal(t, a.data, body)
	case res[1] == nil:
		require.ErrorAs(t, res[0], &ce)
		_, body := anonGet(t, srv, srv.PublicURL(key))
		require.Equal(t, b.data, body)
	default:
		t.Fatalf("neither publisher won: %v / %v", res[0], res[1])
	}
	requireNoUploads(t, srv)
}

// blocker lets the first uploaded part through and then holds the upload
// until the test has killed the server.
type blocker struct {
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (b *blocker) Start(string, int64) progress.Task { return b }
func (b *blocker) Done()                             {}
func (b *blocker) Add(int64) {
	b.once.Do(func() { close(b.reached); <-b.release })
}

// The server dies mid-upload: the publish fails, no object appears, and the
// multipart upload is aborted once the server is back (no orphaned parts).
func TestServerKilledMidUploadLeavesNoObjectAndNoParts(t *testing.T) {
	srv, _ := rig(t)
	// One attempt per request: the SDK's own retries could otherwise finish
	// the upload after the restart, which is right but not what this tests.
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	c := client(t, srv, srv.CAFile)
	f := newISO(t, 40<<20)
	key := srv.PublicPrefix + "killed.iso"
	o := opts(srv, f, key)
	o.Concurrency = 1
	bl := &blocker{reached: make(chan struct{}), release: make(chan struct{})}
	o.Progress = bl
	go func() {
		<-bl.reached
		srv.Kill()
		close(bl.release)
		time.Sleep(1500 * time.Millisecond) // the publisher is retrying its abort now
		srv.Restart()
	}()
	_, err := c.Publish(t.Context(), o)
	var ue *publish.UploadError
	require.ErrorAs(t, err, &ue)
	require.NotEmpty(t, ue.UploadID)
	require.True(t, ue.Aborted, "abort after restart: %v", ue.AbortErr)
	require.Contains(t, err.Error(), "multipart upload aborted")

	_, herr := srv.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key)})
	require.Error(t, herr, "no object after a failed upload")
	requireNoUploads(t, srv)
}

// Bytes changed behind the store's back: HEAD still matches (size and
// metadata), so the re-publish is skipped, and verify, which downloads like the
// controller, catches the digest mismatch.
func TestObjectAlteredOnDiskFailsVerify(t *testing.T) {
	srv, c := rig(t)
	f := newISO(t, 6<<20)
	key := srv.PublicPrefix + "altered.iso"
	obj, err := c.Publish(t.Context(), opts(srv, f, key))
	require.NoError(t, err)

	fh, err := os.OpenFile(srv.ObjectPath(key), os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = fh.WriteAt([]byte{f.data[4096] ^ 0xff}, 4096)
	require.NoError(t, err)
	require.NoError(t, fh.Close())

	again, err := c.Publish(t.Context(), opts(srv, f, key))
	require.NoError(t, err)
	require.Equal(t, publish.SkippedIdentical, again.Outcome)
	_, err = verify.Run(t.Context(), verify.Options{URL: obj.URL, Size: obj.Size, Digest: obj.SHA256, CAFile: srv.CAFile, Retries: -1})
	var me *verify.MismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, "sha256sum", me.What)
}

// Credentials come from the AWS chain (here: the environment) and nowhere else.
func TestCredentialsComeFromTheEnvironmentOnly(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	f := newISO(t, 1<<20)
	key := srv.PublicPrefix + "creds.iso"

	t.Run("wrong secret", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
		_, err := client(t, srv, srv.CAFile).Publish(t.Context(), opts(srv, f, key))
		var ae *publish.AccessError
		require.ErrorAs(t, err, &ae)
		require.Equal(t, publish.HintAccess, ae.Hint())
		require.NotContains(t, err.Error(), "not-the-secret")
	})
	t.Run("none", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		_, err := publish.NewS3(t.Context(), publish.S3Config{Endpoint: srv.Endpoint, PathStyle: true, CAFile: srv.CAFile})
		var ce *publish.CredentialsError
		require.ErrorAs(t, err, &ce)
	})
	t.Run("from env", func(t *testing.T) {
		obj, err := client(t, srv, srv.CAFile).Publish(t.Context(), opts(srv, f, key))
		require.NoError(t, err)
		require.Equal(t, publish.Published, obj.Outcome)
	})
}

// The CA file is trusted whatever AWS_CA_BUNDLE says; without it, our CA is
// unknown and the error says to pass --ca-file.
func TestCAFileWithAndWithoutAWSCABundle(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	f := newISO(t, 1<<20)
	for name, bundle := range map[string]string{"unset": "", "system bundle": "/etc/ssl/certs/ca-certificates.crt", "the rig CA": srv.CAFile} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_CA_BUNDLE", bundle)
			key := srv.PublicPrefix + "ca-" + filepath.Base(t.Name()) + ".iso"
			_, err := client(t, srv, srv.CAFile).Publish(t.Context(), opts(srv, f, key))
			require.NoError(t, err)
		})
	}
	t.Run("wrong CA", func(t *testing.T) {
		t.Setenv("AWS_CA_BUNDLE", "")
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		other := tlstest.NewCA(t, "some other CA").WriteFile(t)
		_, err := client(t, srv, other).Publish(t.Context(), opts(srv, f, srv.PublicPrefix+"wrong-ca.iso"))
		var ee *publish.EndpointError
		require.ErrorAs(t, err, &ee)
		var he *httpclient.Error
		require.ErrorAs(t, err, &he)
		require.Equal(t, httpclient.KindUnknownAuthority, he.Kind)
		require.Equal(t, publish.HintUnknownCA, ee.Hint())
		require.Contains(t, err.Error(), "unknown authority")
	})
}

func TestClearErrorsForMissingBucketAndUnreachableEndpoint(t *testing.T) {
	srv, c := rig(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	f := newISO(t, 1<<20)

	o := opts(srv, f, "x.iso")
	o.Bucket = "no-such-bucket"
	_, err := c.Publish(t.Context(), o)
	var be *publish.BucketError
	require.ErrorAs(t, err, &be)
	require.Equal(t, publish.HintBucket, publishHint(err))

	dead, err := publish.NewS3(t.Context(), publish.S3Config{Endpoint: "https://127.0.0.1:1", PathStyle: true, CAFile: srv.CAFile})
	require.NoError(t, err)
	_, err = dead.Publish(t.Context(), opts(srv, f, "x.iso"))
	var ee *publish.EndpointError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, publish.HintUnreachable, ee.Hint())
	require.Contains(t, err.Error(), "connection refused")
}

func publishHint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// A context cancelled mid-upload (Ctrl-C) still aborts the multipart upload.
func TestCancelledUploadIsAborted(t *testing.T) {
	srv, c := rig(t)
	f := newISO(t, 30<<20)
	o := opts(srv, f, srv.PublicPrefix+"cancel.iso")
	o.Concurrency = 1
	ctx, cancel := context.WithCancel(t.Context())
	bl := &blocker{reached: make(chan struct{}), release: make(chan struct{})}
	o.Progress = bl
	go func() { <-bl.reached; cancel(); close(bl.release) }()
	_, err := c.Publish(ctx, o)
	require.Error(t, err)
	requireNoUploads(t, srv)
}

// A store that rejects If-None-Match (501 NotImplemented, here at
// CompleteMultipartUpload) gets the upload again without it: published, and
// no multipart upload left. A proxy in front of versitygw plays that store.
func TestStoreWithoutConditionalWritesFallsBack(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	c, refused := refusingConditionalWrites(t, srv, http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")

	f := newISO(t, 11<<20)
	key := srv.PublicPrefix + "no-conditional.iso"
	obj, err := c.Publish(t.Context(), opts(srv, f, key))
	require.NoError(t, err)
	require.Equal(t, publish.Published, obj.Outcome)
	require.EqualValues(t, 1, refused.Load(), "one conditional attempt, then without")
	_, body := anonGet(t, srv, srv.PublicURL(key))
	require.Equal(t, f.data, body)
	requireNoUploads(t, srv)
}

// refusingConditionalWrites returns a client for a proxy in front of srv that
// answers every conditional write (If-None-Match) with status and an S3
// error code, as stores without (or with odd) conditional writes do, and the
// count of writes it refused.
func refusingConditionalWrites(t *testing.T, srv *s3test.Server, status int, code, msg string) (*publish.S3, *atomic.Int32) {
	refused := new(atomic.Int32)
	proxy := srv.Proxy(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("If-None-Match") == "" {
			return false
		}
		refused.Add(1)
		s3test.ErrorAnswer(w, r, status, code, msg)
		return true
	})
	c, err := publish.NewS3(t.Context(), publish.S3Config{Endpoint: proxy.Endpoint, PathStyle: true, CAFile: proxy.CAFile})
	require.NoError(t, err)
	return c, refused
}
