package publish

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
)

// Fixed hints, also listed in the README's troubleshooting table as the CLI
// prints them (a test checks). Options are written {name}: each surface
// spells them its own way (option.Surface.Expand).
const (
	HintBucket         = "create the bucket first, or fix {s3-bucket}, {s3-endpoint} and {s3-region} (the bucket must exist in that store and region)"
	HintAccess         = "the credentials from the AWS default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity) are wrong or lack permission: they need s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:AbortMultipartUpload on the key"
	HintCredentials    = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or web identity (in GitHub Actions: aws-actions/configure-aws-credentials with OIDC); esxi-byoi takes no credential flags"
	HintConflict       = "a published ISO is referenced by live service YAMLs: publish the new ISO under another name or prefix ({s3-prefix} in a bucket, another {publish-dir}), or allow {replace} if no service uses the old object"
	HintNotPublic      = "object is not publicly readable: the on-prem controller downloads secure_url without credentials; add a bucket policy allowing anonymous s3:GetObject on the prefix, or give {public-url-prefix} for a public front (CDN, website endpoint)"
	HintUnknownCA      = "pass {ca-file} with the CA that signed the S3 endpoint's certificate (the same file is trusted when verifying the download)"
	HintUnreachable    = "check {s3-endpoint} (https://host:port) and that the store is reachable from here (firewalls, HTTPS_PROXY, NO_PROXY)"
	HintKeyIsDirectory = "the key is also a \"directory\" of other objects (KEY/...), and the store cannot hold a file of the same name: publish under another name or prefix, or remove the objects under KEY/"
	HintKeyRefused     = "the store refuses conditional writes to this key although nothing is there: allow replacing ({replace}), which writes once without the condition"
	HintOrphan         = "abort the leftover upload (aws s3api abort-multipart-upload --bucket B --key K --upload-id ID) and add a lifecycle rule AbortIncompleteMultipartUpload to the bucket"
)

// BucketError is a bucket that does not exist.
type BucketError struct {
	Bucket   string
	Endpoint string // "" for AWS
	Err      error
}

func (e *BucketError) Error() string {
	return fmt.Sprintf("bucket %q does not exist at %s", e.Bucket, endpointName(e.Endpoint))
}

func (e *BucketError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *BucketError) Hint() string { return HintBucket }

// AccessError is a request the store refused for the credentials given.
type AccessError struct {
	Op   string // "check", "upload", "download"
	URI  string // s3://bucket/key
	Code string // AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId, Forbidden
	Err  error
}

func (e *AccessError) Error() string {
	return fmt.Sprintf("%s %s: access denied (%s)", e.Op, e.URI, e.Code)
}

func (e *AccessError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *AccessError) Hint() string { return HintAccess }

// CredentialsError is an AWS default chain that yielded no credentials.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string {
	return "no S3 credentials from the AWS default chain (environment, shared config, web identity)"
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *CredentialsError) Hint() string { return HintCredentials }

// ConflictError is a different object already published under the key (or
// file in the directory). It is never overwritten without Replace.
type ConflictError struct {
	Where      string // s3://bucket/key or the file path
	Size       int64  // of the existing object
	SHA256     string // of the existing object; "" when it carries none
	WantSize   int64
	WantSHA256 string
	Concurrent bool // another writer published it while we uploaded
}

func (e *ConflictError) Error() string {
	have := fmt.Sprintf("%d bytes, sha256 %s", e.Size, e.SHA256)
	if e.SHA256 == "" {
		have = fmt.Sprintf("%d bytes, no sha256 metadata (not published by esxi-byoi)", e.Size)
	}
	who := "already holds"
	if e.Concurrent {
		who = "was published concurrently by another writer and holds"
	}
	return fmt.Sprintf("%s %s a different ISO (%s; this one: %d bytes, sha256 %s): refusing to overwrite it",
		e.Where, who, have, e.WantSize, e.WantSHA256)
}

// Hint implements the CLI's fix line.
func (e *ConflictError) Hint() string { return HintConflict }

// NotPublicError is a published object that an anonymous client, like the
// on-prem controller, may not read.
type NotPublicError struct {
	URL    string // public URL tried (redacted)
	URI    string // s3://bucket/key
	Status string // "403 Forbidden"
	Err    error  // the anonymous download's error
}

func (e *NotPublicError) Error() string {
	return fmt.Sprintf("%s is not publicly readable at %s: an anonymous GET got %s", e.URI, e.URL, e.Status)
}

func (e *NotPublicError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *NotPublicError) Hint() string { return HintNotPublic }

// EndpointError is a store that could not be reached or not trusted.
type EndpointError struct {
	Endpoint string // "" for AWS
	Err      error  // an *httpclient.Error
}

func (e *EndpointError) Error() string {
	if e.Endpoint == "" {
		return fmt.Sprintf("AWS S3: %v", e.Err)
	}
	return fmt.Sprintf("S3 endpoint %s: %v", e.Endpoint, e.Err)
}

func (e *EndpointError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *EndpointError) Hint() string {
	var he *httpclient.Error
	if !errors.As(e.Err, &he) {
		return HintUnreachable
	}
	switch he.Kind {
	case httpclient.KindUnknownAuthority:
		return HintUnknownCA
	case httpclient.KindRefused, httpclient.KindDNS, httpclient.KindTimeout, httpclient.KindReset, httpclient.KindNotTLS:
		return HintUnreachable
	}
	return he.Hint()
}

// UploadError is an upload that failed after it started. Aborted says whether
// its multipart upload (if any) was aborted, so that no parts are left behind.
type UploadError struct {
	URI      string
	UploadID string // "" for a single PUT
	Aborted  bool
	AbortErr error // why the abort failed, when it did
	Err      error
}

func (e *UploadError) Error() string {
	s := fmt.Sprintf("upload %s: %v", e.URI, e.Err)
	var ae *AccessError
	if errors.As(e.Err, &ae) {
		s = ae.Error() // names the upload and the object already
	}
	switch {
	case e.UploadID == "":
	case e.Aborted:
		s += " (multipart upload aborted, no parts left)"
	default:
		s += fmt.Sprintf(" (multipart upload %s could NOT be aborted: %v)", e.UploadID, e.AbortErr)
	}
	return s
}

func (e *UploadError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *UploadError) Hint() string {
	if e.UploadID != "" && !e.Aborted {
		return HintOrphan
	}
	var h interface{ Hint() string }
	if errors.As(e.Err, &h) {
		return h.Hint()
	}
	return "try again; an identical object already published is detected and not uploaded twice"
}

// classify turns an SDK error into one of the typed errors above, or wraps it
// with the operation and object.
func classify(op, uri, bucket, endpoint string, err error) error {
	if err == nil {
		return nil
	}
	d := typed(op, uri, bucket, endpoint, err)
	switch d.(type) {
	case *CredentialsError, *BucketError, *EndpointError, *AccessError:
		return d
	}
	return fmt.Errorf("%s %s: %w", op, uri, d)
}

// typed is [describe], with an answer about the credentials or their
// permissions made an *AccessError for op on uri.
func typed(op, uri, bucket, endpoint string, err error) error {
	d := describe(bucket, endpoint, err)
	var se *StoreError
	if errors.As(d, &se) && se.denied() {
		return &AccessError{Op: op, URI: uri, Code: se.Code, Err: err}
	}
	return d
}

// describe turns an SDK error into a typed error that does not name the
// object (the caller does, once): *CredentialsError, *BucketError,
// *EndpointError, *StoreError, or err itself.
func describe(bucket, endpoint string, err error) error {
	var se *v4.SigningError
	if errors.As(err, &se) || strings.Contains(err.Error(), "get identity: ") {
		return &CredentialsError{Err: err}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if ae.ErrorCode() == "NoSuchBucket" {
			return &BucketError{Bucket: bucket, Endpoint: endpoint, Err: err}
		}
		return &StoreError{Status: httpStatus(err), Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Err: err}
	}
	// Transport failures: classify the innermost error (x509, dial...), which
	// reads better than the SDK's whole chain.
	inner := err
	var ue *url.Error
	var rse *smithyhttp.RequestSendError
	switch {
	case errors.As(err, &ue):
		inner = ue.Err
	case errors.As(err, &rse):
		inner = rse.Err
	}
	if d := httpclient.Describe(inner); d != inner {
		return &EndpointError{Endpoint: endpoint, Err: d}
	}
	return err
}

// StoreError is an S3 error answer without a type of its own here: its code
// and message, without the SDK's request IDs.
type StoreError struct {
	Status  int    // HTTP status; 0 when unknown
	Code    string // S3 error code: InternalError, ExistingObjectIsDirectory…
	Message string
	Err     error // the SDK's error
}

func (e *StoreError) Error() string {
	s := e.Code
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + strings.TrimSuffix(e.Message, ".")
	}
	return s
}

func (e *StoreError) Unwrap() error { return e.Err }

// denied reports an answer about the credentials or their permissions.
func (e *StoreError) denied() bool {
	switch e.Code {
	case "AccessDenied", "Forbidden", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken":
		return true
	}
	return e.Status == http.StatusForbidden
}

// KeyRefusedError is a write the store refused although it holds no object
// at the key: it refused the conditional write (412) or answered
// ExistingObjectIsDirectory (409). Directory says whether objects exist
// under KEY/, which is what makes a store that keeps objects as files (or
// emulates directories) refuse a file of the same name.
type KeyRefusedError struct {
	URI       string // s3://bucket/key
	Answer    string // what the store answered, e.g. "412 PreconditionFailed to the conditional write"
	Directory bool   // objects exist under KEY/
	Replaced  bool   // the unconditional retry (Replace) was refused too
	Err       error
}

func (e *KeyRefusedError) Error() string {
	s := fmt.Sprintf("%s: the store refused the write (%s) and holds no object at the key", e.URI, e.Answer)
	if e.Replaced {
		s += ", also without the condition"
	}
	if e.Directory {
		s += fmt.Sprintf("; it holds objects under %s/, so it treats the key as a directory", e.URI)
	}
	return s
}

func (e *KeyRefusedError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *KeyRefusedError) Hint() string {
	if e.Directory {
		return HintKeyIsDirectory
	}
	return HintKeyRefused
}

// httpStatus returns the HTTP status of an SDK response error, or 0.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// apiCode returns the S3 error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// preconditionFailed reports a conditional write that lost: the key was
// created by someone else after our HEAD.
func preconditionFailed(err error) bool {
	c := apiCode(err)
	return c == "PreconditionFailed" || c == "ConditionalRequestConflict" || httpStatus(err) == http.StatusPreconditionFailed
}

// conditionalUnsupported reports a store that rejects If-None-Match on writes
// (501 NotImplemented, or a 400 that names the header) rather than ignoring it.
func conditionalUnsupported(err error) bool {
	if apiCode(err) == "NotImplemented" || httpStatus(err) == http.StatusNotImplemented {
		return true
	}
	if httpStatus(err) != http.StatusBadRequest {
		return false
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	m := strings.ToLower(ae.ErrorCode() + " " + ae.ErrorMessage())
	return strings.Contains(m, "if-none-match") || strings.Contains(m, "conditional")
}

func endpointName(endpoint string) string {
	if endpoint == "" {
		return "AWS S3"
	}
	return endpoint
}
