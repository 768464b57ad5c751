// Package publish puts the remastered ISO where the on-prem controller can
// download it: an S3-compatible HTTPS bucket, or a directory served by a web
// server. A published object is never overwritten with different bytes.
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
}
