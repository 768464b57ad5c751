package publish_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
)

// sizes covers both write paths: one PUT (If-None-Match on the PUT) and a
// multipart upload (If-None-Match on CompleteMultipartUpload).
var sizes = map[string]int{"single PUT": 1 << 20, "multipart": 11 << 20}

// versitygw keeps objects as files: a key that is also a "directory" (objects
// under KEY/, none at KEY) cannot be written. It answers a PUT with 409
// ExistingObjectIsDirectory and fails CompleteMultipartUpload. The message
// says so, with or without replace, and no parts are left.
func TestKeyThatIsADirectoryIsRefusedWithATrueMessage(t *testing.T) {
	srv, c := rig(t)
	for name, size := range sizes {
		t.Run(name, func(t *testing.T) {
			key := srv.PublicPrefix + strings.ReplaceAll(name, " ", "-") + "/ESXi.iso"
			_, err := srv.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket),
				Key: aws.String(key + "/other"), Body: bytes.NewReader([]byte("x"))})
			require.NoError(t, err)
			f := newISO(t, size)
			for _, replace := range []bool{false, true} {
				o := opts(srv, f, key)
				o.Replace = replace
				_, err := c.Publish(t.Context(), o)
				var ke *publish.KeyRefusedError
				require.ErrorAs(t, err, &ke, "replace=%v", replace)
				require.True(t, ke.Directory)
				require.Contains(t, err.Error(), "holds no object at the key")
				require.Contains(t, err.Error(), "objects under "+publish.URI(srv.Bucket, key)+"/")
				require.NotContains(t, err.Error(), "concurrently")
				require.Equal(t, publish.HintKeyIsDirectory, ke.Hint())
				if name == "single PUT" {
					require.Contains(t, err.Error(), "409 ExistingObjectIsDirectory")
				}
			}
			requireNoUploads(t, srv)
		})
	}
}

// A store that answers 412 to the conditional write while holding nothing at
// the key (SeaweedFS does so for a key that is also a "directory"), played by
// a proxy in front of versitygw: no claim of a concurrent writer; with
// replace, one retry without the condition publishes the ISO.
func TestConditionalWriteRefusedWithNoObjectAtTheKey(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	c, refused := refusingConditionalWrites(t, srv, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	for name, size := range sizes {
		t.Run(name, func(t *testing.T) {
			f := newISO(t, size)
			key := srv.PublicPrefix + strings.ReplaceAll(name, " ", "-") + ".iso"
			refused.Store(0)
			_, err := c.Publish(t.Context(), opts(srv, f, key))
			var ke *publish.KeyRefusedError
			require.ErrorAs(t, err, &ke)
			require.False(t, ke.Directory, "nothing is under KEY/ in this store")
			require.Contains(t, err.Error(), "412 PreconditionFailed to the conditional write")
			require.Contains(t, err.Error(), "holds no object at the key")
			require.NotContains(t, err.Error(), "concurrently")
			require.Equal(t, publish.HintKeyRefused, ke.Hint())
			require.EqualValues(t, 1, refused.Load())

			refused.Store(0)
			o := opts(srv, f, key)
			o.Replace = true
			obj, err := c.Publish(t.Context(), o)
			require.NoError(t, err)
			require.Equal(t, publish.Published, obj.Outcome)
			require.EqualValues(t, 1, refused.Load(), "one conditional try, then one without")
			_, body := anonGet(t, srv, srv.PublicURL(key))
			require.Equal(t, f.data, body)
			requireNoUploads(t, srv)
		})
	}
}

// The loser of a race with identical bytes uploaded the ISO and then found
// the same ISO there: it says that, not "nothing uploaded". A proxy lets the
// other writer finish just before our conditional write reaches versitygw.
func TestLoserOfARaceWithIdenticalBytesSaysWhatItDid(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	for name, size := range sizes {
		t.Run(name, func(t *testing.T) {
			f := newISO(t, size)
			key := srv.PublicPrefix + strings.ReplaceAll(name, " ", "-") + "-race.iso"
			var other atomic.Bool
			proxy := srv.Proxy(t, func(_ http.ResponseWriter, r *http.Request) bool {
				if r.Header.Get("If-None-Match") != "" && other.CompareAndSwap(false, true) {
					_, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket),
						Key: aws.String(key), Body: bytes.NewReader(f.data), Metadata: map[string]string{"sha256": f.sha256}})
					require.NoError(t, err)
				}
				return false
			})
			c, err := publish.NewS3(t.Context(), publish.S3Config{Endpoint: proxy.Endpoint, PathStyle: true, CAFile: proxy.CAFile})
			require.NoError(t, err)
			var prog counter
			o := opts(srv, f, key)
			o.Progress = &prog
			obj, err := c.Publish(t.Context(), o)
			require.NoError(t, err)
			require.True(t, other.Load(), "the other writer went first")
			require.Equal(t, publish.SkippedIdentical, obj.Outcome)
			require.True(t, obj.Raced)
			if name == "multipart" { // the transfer manager reports a single PUT only once it succeeded
				require.Equal(t, int64(size), prog.n.Load(), "every part was uploaded")
			}
			require.Contains(t, obj.Did(), "uploaded "+progress.Bytes(int64(size)))
			require.Contains(t, obj.Summary(), publish.URI(srv.Bucket, key))
			require.Contains(t, obj.Summary(), "another writer published the same bytes")
			require.NotContains(t, obj.Summary(), "nothing uploaded")
			requireNoUploads(t, srv)
		})
	}
}

// Ctrl-C mid-upload: the error wraps context.Canceled, is one line naming the
// object once, without the SDK's text, and the SDK logs nothing to stderr.
func TestCtrlCMidUploadIsOneClearLine(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	// The SDK's default logger writes to the os.Stderr it finds when the
	// client is made: point it at a file first.
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	require.NoError(t, err)
	old := os.Stderr
	os.Stderr = stderr
	t.Cleanup(func() { os.Stderr = old })
	c := client(t, srv, srv.CAFile)

	f := newISO(t, 30<<20)
	key := srv.PublicPrefix + "ctrl-c.iso"
	o := opts(srv, f, key)
	o.Concurrency = 1
	ctx, cancel := context.WithCancel(t.Context())
	bl := &blocker{reached: make(chan struct{}), release: make(chan struct{})}
	o.Progress = bl
	go func() { <-bl.reached; cancel(); close(bl.release) }()
	_, err = c.Publish(ctx, o)
	require.ErrorIs(t, err, context.Canceled)
	msg := err.Error()
	require.NotContains(t, msg, "\n")
	require.Equal(t, 1, strings.Count(msg, publish.URI(srv.Bucket, key)), "the object is named once: %s", msg)
	require.NotContains(t, msg, "operation error", "no SDK text")
	require.Contains(t, msg, "aborted, no parts left")
	requireNoUploads(t, srv)
	os.Stderr = old
	require.NoError(t, stderr.Close())
	logged, err := os.ReadFile(stderr.Name())
	require.NoError(t, err)
	require.Empty(t, string(logged), "the SDK logged to stderr")
}
