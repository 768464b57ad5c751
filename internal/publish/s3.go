package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// DefaultAbortWindow is how long [S3.Publish] keeps trying to abort a failed
// multipart upload, so a store that went away for a moment is left clean.
const DefaultAbortWindow = 2 * time.Minute

// S3Config says how to reach an S3-compatible store. Credentials are not part
// of it: they come from the AWS default chain only (environment, shared config
// and profiles, web identity), so GitHub OIDC works unchanged.
type S3Config struct {
	Endpoint  string // any S3-compatible https:// endpoint; "" = AWS
	Region    string // "" = from the AWS chain (AWS_REGION, profile); us-east-1 for a custom endpoint
	PathStyle bool   // https://endpoint/bucket/key instead of https://bucket.endpoint/key
	// CAFile is a PEM bundle of extra trusted CAs, added to the system roots;
	// verify trusts the same file. AWS_CA_BUNDLE, when set, is added too.
	CAFile string
	// AbortWindow bounds the retries of AbortMultipartUpload after a failed
	// upload; 0 means DefaultAbortWindow.
	AbortWindow time.Duration
}

// S3 is a client of one S3-compatible store. It publishes ISOs without ever
// replacing different bytes, and opens objects for the s3:// source.
type S3 struct {
	cfg    S3Config
	client *s3.Client
}

// NewS3 loads the AWS default configuration (credentials, region, retries,
// AWS_CA_BUNDLE) over the one HTTP client setup of package httpclient and
// returns a client for cfg. It retrieves the credentials once (a
// *CredentialsError when the chain has none), and sends no S3 request.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	apply, err := httpclient.TransportOptions(httpclient.Options{CAFile: cfg.CAFile})
	if err != nil {
		return nil, err
	}
	// aws-sdk-go-v2 adds AWS_CA_BUNDLE only to its own BuildableClient; any
	// other client fails with "unable to add custom RootCAs HTTPClient".
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(apply)),
		// The SDK logs to stderr by itself ("SDK … WARN failed to discard
		// remaining HTTP response body" after a Ctrl-C): our errors say what
		// happened, in one line.
		config.WithLogger(logging.Nop{}),
	}
	region := cfg.Region
	if region == "" && cfg.Endpoint != "" {
		region = "us-east-1" // signing needs one; most S3-compatible stores accept any
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	ac, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	// Ask the chain now: a missing credential is then one clear error before
	// any file is read, not a failure inside the first request.
	if _, err := ac.Credentials.Retrieve(ctx); err != nil {
		return nil, &CredentialsError{Err: err}
	}
	if ac.Region == "" {
		return nil, &option.Error{Option: "s3-region", Msg: "no S3 region", Fix: "pass {s3-region}, or set AWS_REGION"}
	}
	client := s3.NewFromConfig(ac, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
		}
		o.UsePathStyle = cfg.PathStyle
		// Checksums are chosen per upload (CRC32); downloads are checked
		// against our own sha256, so the SDK's response validation adds nothing.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if cfg.AbortWindow <= 0 {
		cfg.AbortWindow = DefaultAbortWindow
	}
	cfg.Region = ac.Region
	return &S3{cfg: cfg, client: client}, nil
}

// Region is the region in use, from the config or the AWS chain.
func (s *S3) Region() string { return s.cfg.Region }

// Open starts a download of s3://bucket/key and returns its body and size.
// The caller closes the body.
func (s *S3) Open(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error) {
	uri := URI(bucket, key)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		var nk *types.NoSuchKey
		if errors.As(err, &nk) {
			return nil, 0, &option.Error{Option: "iso", Msg: fmt.Sprintf("download %s: no such object", uri), Fix: "check the bucket and key of {iso} s3://bucket/key"}
		}
		return nil, 0, classify("download", uri, bucket, s.cfg.Endpoint, err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// remote is what HEAD says about a published object.
type remote struct {
	size   int64
	sha256 string // our "sha256" user metadata; "" when absent
	etag   string
}

// head returns the object at bucket/key, or nil when there is none.
func (s *S3) head(ctx context.Context, bucket, key string) (*remote, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		var nf *types.NotFound
		var nk *types.NoSuchKey
		if errors.As(err, &nf) || errors.As(err, &nk) {
			return nil, nil
		}
		return nil, classify("check", URI(bucket, key), bucket, s.cfg.Endpoint, err)
	}
	return &remote{
		size:   aws.ToInt64(out.ContentLength),
		sha256: strings.ToLower(out.Metadata[metaSHA256]),
		etag:   aws.ToString(out.ETag),
	}, nil
}

// abort aborts a multipart upload, retrying with backoff for the abort window
// even when ctx is cancelled (Ctrl-C must not leave parts behind). An upload
// already gone counts as aborted.
func (s *S3) abort(ctx context.Context, bucket, key, id string) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.AbortWindow)
	defer cancel()
	_, err := retry.Policy{Base: 500 * time.Millisecond, Max: 10 * time.Second}.Do(actx, func(int) error {
		_, err := s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id})
		var nu *types.NoSuchUpload
		if errors.As(err, &nu) || apiCode(err) == "NoSuchUpload" {
			return nil
		}
		return err
	})
	if err != nil {
		return classify("abort upload of", URI(bucket, key), bucket, s.cfg.Endpoint, err)
	}
	return nil
}

// transfer returns a transfer manager for one upload.
func (s *S3) transfer(partSize int64, concurrency int) *transfermanager.Client {
	return transfermanager.New(s.client, func(o *transfermanager.Options) {
		o.PartSizeBytes = partSize
		o.MultipartUploadThreshold = partSize
		o.Concurrency = concurrency
		// CRC32 per part: cheap, and checked by the store. Not CRC64NVME,
		// which fails at CompleteMultipartUpload with transfermanager v0.5.7.
		o.ChecksumAlgorithm = tmtypes.ChecksumAlgorithmCrc32
		// A fresh context for the abort after a failure, even on Ctrl-C.
		o.FailTimeout = 30 * time.Second
	})
}

// URI is s3://bucket/key, for messages.
func URI(bucket, key string) string { return "s3://" + bucket + "/" + key }
