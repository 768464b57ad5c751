package publish

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// Upload tuning for 0.4–1.2 GB ISOs: 8 MiB parts give 50–150 parts, cheap to
// retry; 4 in flight keep a long link busy. Part buffers take (Concurrency+1)
// × PartSize = 40 MiB. Against versitygw on 2 cores, 16 MiB parts or 2 in
// flight were no faster (bench/publish.sh), only bigger.
const (
	DefaultPartSize    = 8 << 20
	DefaultConcurrency = 4
	MinPartSize        = 5 << 20 // S3's minimum for all parts but the last
)

// metaSHA256 is the user metadata (x-amz-meta-sha256) holding the hex sha256
// of a published ISO: what HEAD compares before anything is uploaded.
const metaSHA256 = "sha256"

// Options describe one ISO to publish.
type Options struct {
	Bucket string
	Key    string // see [Key]
	File   string // local ISO, read once
	Size   int64  // its size, from the remaster stage
	SHA256 string // its lowercase hex sha256, from the remaster stage (never re-read)
	// Replace allows overwriting an object with different bytes. Without it
	// a different object under Key is a *ConflictError.
	Replace     bool
	URL         string // public URL, copied into Object.URL
	PartSize    int64  // 0 = DefaultPartSize; at least MinPartSize
	Concurrency int    // parts in flight; 0 = DefaultConcurrency
	Progress    progress.Reporter
}

func (o *Options) check() error {
	if b, err := hex.DecodeString(o.SHA256); err != nil || len(b) != 32 {
		return fmt.Errorf("publish %s: sha256 %q is not a hex digest", o.File, o.SHA256)
	}
	if o.Bucket == "" || o.Key == "" || o.File == "" || o.Size <= 0 {
		return fmt.Errorf("publish: bucket, key, file and size are required")
	}
	o.SHA256 = strings.ToLower(o.SHA256)
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.PartSize < MinPartSize {
		return fmt.Errorf("publish: part size %d is below S3's minimum of 5 MiB", o.PartSize)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	return nil
}

// Publish uploads o.File to o.Bucket/o.Key unless it is already there.
//
// It HEADs the key first: the same size and the same "sha256" metadata mean
// the same ISO, and nothing is uploaded (Outcome SkippedIdentical). Anything
// else under the key is a *ConflictError unless o.Replace. A new object is
// written with If-None-Match: * so that two builds racing for one key cannot
// overwrite each other: the loser re-checks and reports identical (Raced) or
// conflict. A store that refuses the write with no object at the key (the
// key is a "directory" of other objects) is a *KeyRefusedError; with
// o.Replace a refused conditional write is retried once without the
// condition. Large files go up as a multipart upload that reads the file
// once and is aborted on any failure (*UploadError says whether that
// worked). A cancelled ctx gives an error that wraps context.Canceled.
func (s *S3) Publish(ctx context.Context, o Options) (*Object, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	uri := URI(o.Bucket, o.Key)
	obj := &Object{URL: o.URL, Bucket: o.Bucket, Key: o.Key, Size: o.Size, SHA256: o.SHA256}
	have, err := s.head(ctx, o.Bucket, o.Key)
	if err != nil {
		return nil, err
	}
	if have != nil {
		if have.size == o.Size && have.sha256 == o.SHA256 {
			obj.Outcome = SkippedIdentical
			return obj, nil
		}
		if !o.Replace {
			return nil, &ConflictError{Where: uri, Size: have.size, SHA256: have.sha256, WantSize: o.Size, WantSHA256: o.SHA256}
		}
	}
	// Only a new key is written conditionally: Replace means overwrite.
	conditional := have == nil
	var refused *KeyRefusedError // a conditional write refused with no object there
	for {
		err := s.upload(ctx, o, conditional)
		switch {
		case err == nil:
			obj.Outcome = Published
			return obj, nil
		case ctx.Err() != nil:
			return nil, err
		case conditional && conditionalUnsupported(err):
			// The store rejects If-None-Match instead of ignoring it, and
			// for a multipart upload it says so only at Complete (the upload
			// has been aborted). Upload again without the condition: this is
			// the one case that reads the file twice, and only the HEAD
			// above guards against a concurrent writer.
			conditional = false
			continue
		case conditional && preconditionFailed(err):
			have, herr := s.head(ctx, o.Bucket, o.Key)
			if herr != nil {
				return nil, herr
			}
			if have == nil {
				// Refused, yet nothing is there: no writer won. Some stores
				// (SeaweedFS) answer so when objects exist under KEY/.
				refused = &KeyRefusedError{URI: uri, Answer: answer(err) + " to the conditional write",
					Directory: s.isDirectory(ctx, o.Bucket, o.Key), Err: err}
				if o.Replace {
					conditional = false // once: the next pass is unconditional
					continue
				}
				return nil, refused
			}
			// Another writer created the key after our HEAD.
			if have.size == o.Size && have.sha256 == o.SHA256 {
				obj.Outcome, obj.Raced = SkippedIdentical, true
				return obj, nil
			}
			return nil, &ConflictError{Where: uri, Size: have.size, SHA256: have.sha256, WantSize: o.Size, WantSHA256: o.SHA256, Concurrent: true}
		}
		var ue *UploadError
		if errors.As(err, &ue) && ue.UploadID != "" && !ue.Aborted {
			return nil, err // parts left behind: the most urgent news
		}
		// A store that keeps objects as files cannot hold a file where a
		// "directory" of other objects is: versitygw answers 409
		// ExistingObjectIsDirectory, or fails CompleteMultipartUpload.
		var answered *StoreError // the store answered: worth asking what is under KEY/
		if apiCode(err) == "ExistingObjectIsDirectory" || (have == nil && errors.As(err, &answered) && s.isDirectory(ctx, o.Bucket, o.Key)) {
			if refused != nil {
				refused.Replaced, refused.Directory = true, true
				return nil, refused
			}
			return nil, &KeyRefusedError{URI: uri, Answer: answer(err), Directory: true, Err: err}
		}
		if refused != nil {
			refused.Replaced = true
			refused.Err = err
			return nil, refused
		}
		return nil, err
	}
}

// isDirectory reports whether objects exist under key + "/". Errors count as
// no: it only sharpens a message.
func (s *S3) isDirectory(ctx context.Context, bucket, key string) bool {
	out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(key + "/"), MaxKeys: aws.Int32(1)})
	return err == nil && len(out.Contents) > 0
}

// answer names a store's answer briefly: "412 PreconditionFailed".
func answer(err error) string {
	code, st := apiCode(err), httpStatus(err)
	switch {
	case code != "" && st != 0:
		return fmt.Sprintf("%d %s", st, code)
	case code != "":
		return code
	case st != 0:
		return fmt.Sprintf("HTTP %d", st)
	}
	return err.Error()
}

// upload sends the file once, as one PUT below the part size or as a
// multipart upload, with the sha256 as metadata and CRC32 checksums.
func (s *S3) upload(ctx context.Context, o Options, conditional bool) error {
	uri := URI(o.Bucket, o.Key)
	f, err := os.Open(o.File)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return err
	} else if st.Size() != o.Size {
		return fmt.Errorf("publish %s: file is %d bytes, the build made %d: it changed since", o.File, st.Size(), o.Size)
	}
	in := &transfermanager.UploadObjectInput{
		Bucket:      aws.String(o.Bucket),
		Key:         aws.String(o.Key),
		Body:        f, // an io.Seeker: the size is known and parts are re-readable for SDK retries
		ContentType: aws.String("application/x-iso9660-image"),
		Metadata:    map[string]string{metaSHA256: o.SHA256},
	}
	if conditional {
		in.IfNoneMatch = aws.String("*")
	}
	task := o.Progress.Start("uploading "+uri, o.Size)
	defer task.Done()
	_, err = s.transfer(o.PartSize, o.Concurrency).UploadObject(ctx, in, func(tm *transfermanager.Options) {
		tm.ObjectProgressListeners.Register(&listener{task: task})
	})
	if err == nil {
		return nil
	}
	var mu transfermanager.MultipartUploadError
	if !errors.As(err, &mu) {
		if ctx.Err() == nil && (preconditionFailed(err) || conditionalUnsupported(err) || apiCode(err) == "ExistingObjectIsDirectory") {
			return err // handled by Publish
		}
		return &UploadError{URI: uri, Err: s.cause(ctx, o, err)}
	}
	// The transfer manager tried one abort already; it cannot have worked if
	// the store is down, so try again for a while (an upload already gone is
	// fine). Cause first: the transfer manager's own text is noisy.
	cause := errors.Unwrap(mu)
	if cause == nil {
		cause = err
	}
	ue := &UploadError{URI: uri, UploadID: mu.UploadID(), Err: s.cause(ctx, o, cause)}
	if ue.AbortErr = s.abort(ctx, o.Bucket, o.Key, mu.UploadID()); ue.AbortErr == nil {
		ue.Aborted = true
	}
	if ue.Aborted && ctx.Err() == nil && (preconditionFailed(cause) || conditionalUnsupported(cause)) {
		return cause // handled by Publish; nothing is left behind
	}
	return ue
}

// cause is why an upload failed, without naming the object (UploadError
// does): the context's own error after Ctrl-C, not the SDK's text about it.
func (s *S3) cause(ctx context.Context, o Options, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return context.Cause(ctx)
	}
	return typed("upload", URI(o.Bucket, o.Key), o.Bucket, s.cfg.Endpoint, err)
}

// listener turns the transfer manager's running totals into progress.
type listener struct {
	task progress.Task
	mu   sync.Mutex
	done int64
}

func (l *listener) OnObjectBytesTransferred(_ context.Context, e *transfermanager.ObjectBytesTransferredEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.BytesTransferred > l.done {
		l.task.Add(e.BytesTransferred - l.done)
		l.done = e.BytesTransferred
	}
}
