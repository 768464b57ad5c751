// Package publish puts the remastered ISO where the on-prem controller can
// download it: an S3-compatible HTTPS bucket ([S3.Publish], on aws-sdk-go-v2's
// service/s3 and feature/s3/transfermanager), or a directory served by a web
// server (subpackage docroot). Both are a [Publisher] made by a [Backend], so
// callers hold one list of backends and never ask which kind ran; a new kind
// is a package exporting a Backend. A published object is never overwritten with
// different bytes: HEAD (or stat) first, an identical one is skipped, a
// different one is refused unless Replace, and new keys are written with
// If-None-Match: *. A failed multipart upload is aborted, so no parts are
// left behind.
//
// It is the only home of aws-sdk-go-v2 besides the test rig: [S3.Open] also
// serves the s3:// source of package source. Credentials come from the AWS
// default chain only, never from options. It does not download anything to
// check it; package verify does that, anonymously, as the controller will.
//
// Over the ~800-line guide because S3's failure modes each get a typed error
// with a true message and fix (errors.go is a third of the package); the
// publishing logic itself is small.
package publish

// Outcome says what a publish did.
type Outcome string

// Outcomes.
const (
	Published        Outcome = "published"         // uploaded (or copied) now
	SkippedIdentical Outcome = "skipped-identical" // the same bytes were already there
)

// Object is a published ISO.
type Object struct {
	URL     string  `json:"url"` // public URL the controller downloads (secure_url)
	Bucket  string  `json:"bucket,omitempty"`
	Key     string  `json:"key,omitempty"`
	Path    string  `json:"path,omitempty"` // for directory publishing
	Size    int64   `json:"size"`
	SHA256  string  `json:"sha256"`
	Outcome Outcome `json:"outcome"`
	// Raced is set with SkippedIdentical when this run uploaded the ISO but
	// another writer had published the same bytes first (the store kept
	// theirs): the outcome is the same, the work done was not.
	Raced bool `json:"raced,omitempty"`
}
