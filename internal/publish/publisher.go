package publish

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// Publisher is one place an ISO can be published: an S3 bucket, a web
// server's directory. It is made for one ISO (see [Destination]) by its
// [Backend]. Callers never ask which kind it is.
type Publisher interface {
	// Preflight checks that the destination is reachable, trusted and
	// exists, without writing: a wrong CA or a missing bucket is found
	// before the ISO is built.
	Preflight(ctx context.Context) error
	// Publish puts the file there; an identical object is left alone, a
	// different one refused unless Destination.Replace.
	Publish(ctx context.Context, f File) (*Object, error)
	// Readable reports whether the publisher can read the published object
	// with its own access (credentials, file system), to tell "not publicly
	// readable" from "not there" when an anonymous download fails. It reads
	// no content (S3: a HEAD, which s3:GetObject governs too).
	Readable(ctx context.Context) bool
}

// Destination is where the user asked to publish one ISO. Each backend
// reads its own fields and ignores the others.
type Destination struct {
	Name    string // file name of the ISO: the last part of the key, the file in Dir
	URL     string // public URL the controller downloads (secure_url)
	Replace bool   // allow replacing different bytes

	S3Bucket string   // S3: the bucket
	S3Prefix string   // S3: key = Key(S3Prefix, Name)
	S3       S3Config // S3: endpoint, region, CA

	Dir string // directory (a web server's docroot)
}

// File is the local ISO to publish, with the size and sha256 the build
// computed (never re-read to hash).
type File struct {
	Path     string
	Size     int64
	SHA256   string
	Progress progress.Reporter
}

// Backend makes publishers of one kind. A new kind is a package that
// exports a Backend, and one line in the caller's list of backends.
type Backend struct {
	// Selected reports whether d asks for this backend; it does no I/O.
	Selected func(d Destination) bool
	// New makes the publisher for d; it may load credentials but sends no
	// request (that is Preflight's job).
	New func(ctx context.Context, d Destination) (Publisher, error)
}

// Select returns the first of backends that d selects.
func Select(backends []Backend, d Destination) (Backend, bool) {
	for _, b := range backends {
		if b.Selected(d) {
			return b, true
		}
	}
	return Backend{}, false
}

// S3Backend publishes to Destination.S3Bucket.
var S3Backend = Backend{
	Selected: func(d Destination) bool { return d.S3Bucket != "" },
	New: func(ctx context.Context, d Destination) (Publisher, error) {
		c, err := NewS3(ctx, d.S3)
		if err != nil {
			return nil, err
		}
		return c.For(d), nil
	},
}

// For returns the publisher of one ISO in this store.
func (s *S3) For(d Destination) Publisher {
	return &s3Publisher{s: s, d: d, key: Key(d.S3Prefix, d.Name)}
}

// s3Publisher is [S3] bound to one bucket and key.
type s3Publisher struct {
	s   *S3
	d   Destination
	key string
}

func (p *s3Publisher) Preflight(ctx context.Context) error { return p.s.CheckBucket(ctx, p.d.S3Bucket) }

func (p *s3Publisher) Publish(ctx context.Context, f File) (*Object, error) {
	return p.s.Publish(ctx, Options{
		Bucket: p.d.S3Bucket, Key: p.key, File: f.Path, Size: f.Size, SHA256: f.SHA256,
		Replace: p.d.Replace, URL: p.d.URL, Progress: f.Progress,
	})
}

func (p *s3Publisher) Readable(ctx context.Context) bool {
	have, err := p.s.head(ctx, p.d.S3Bucket, p.key)
	return err == nil && have != nil
}

// CheckBucket sends HEAD bucket: it proves the endpoint answers over trusted
// TLS, the credentials are accepted, and the bucket exists in that store. A
// *BucketError, *EndpointError, *AccessError or *CredentialsError otherwise.
func (s *S3) CheckBucket(ctx context.Context, bucket string) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
	if err == nil {
		return nil
	}
	// HEAD has no body, so a missing bucket is a bare 404 (code NotFound).
	if c := apiCode(err); c == "NotFound" || c == "NoSuchBucket" || httpStatus(err) == 404 {
		return &BucketError{Bucket: bucket, Endpoint: s.cfg.Endpoint, Err: err}
	}
	return classify("check bucket", "s3://"+bucket, bucket, s.cfg.Endpoint, err)
}

// Where says where the object was published, for messages: s3://bucket/key
// or the file's path.
func (o *Object) Where() string {
	if o.Bucket != "" {
		return URI(o.Bucket, o.Key)
	}
	return o.Path
}

// Did says what this run did to publish the object, for a line that names
// Where beside it: "uploaded", "already there with the same bytes: nothing
// uploaded", or, for the loser of a race with identical bytes, that it
// uploaded and found them published first.
func (o *Object) Did() string {
	switch {
	case o.Outcome == SkippedIdentical && o.Raced:
		return fmt.Sprintf("uploaded %s, but another writer published the same bytes first: that identical object is kept", progress.Bytes(o.Size))
	case o.Outcome == SkippedIdentical:
		return "already there with the same bytes: nothing uploaded"
	}
	return "uploaded"
}

// Summary is one line that says what the publish did, and where.
func (o *Object) Summary() string {
	switch {
	case o.Outcome == SkippedIdentical && o.Raced:
		return fmt.Sprintf("uploaded %s, but another writer published the same bytes at %s first: that identical object is kept",
			progress.Bytes(o.Size), o.Where())
	case o.Outcome == SkippedIdentical:
		return "already published: " + o.Where() + " holds the same bytes, nothing uploaded"
	}
	return "published " + o.Where()
}
