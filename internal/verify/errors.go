package verify

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// MismatchError is a downloaded file that differs from the service YAML.
type MismatchError struct {
	What string // "size", "sha256sum" or "sha512sum"
	Want string // from the YAML
	Got  string // downloaded
}

func (e *MismatchError) Error() string {
	if e.What == "size" {
		return fmt.Sprintf("size mismatch: the service YAML says %s, the server sent %s", e.Want, e.Got)
	}
	return fmt.Sprintf("%s mismatch: the service YAML says %s, the downloaded file has %s", e.What, e.Want, e.Got)
}

// Hint implements the CLI's fix line.
func (e *MismatchError) Hint() string {
	return "the object at secure_url is not the ISO this YAML describes (an old or partial upload, or the YAML of another build): " +
		"upload the ISO again, or regenerate the YAML from the file you published"
}

// HTTPError is a response other than 200 OK.
type HTTPError struct {
	URL        string // redacted
	StatusCode int
	Status     string
	After      time.Duration // the server's Retry-After (429, 503); 0 when absent
}

// RetryAfter is the pause the server asked for before the next try.
func (e *HTTPError) RetryAfter() time.Duration { return e.After }

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// Hint implements the CLI's fix line.
func (e *HTTPError) Hint() string {
	switch c := e.StatusCode; {
	case c == http.StatusForbidden || c == http.StatusUnauthorized:
		return "object is not publicly readable: the controller downloads secure_url without credentials; " +
			"add a bucket policy/ACL allowing anonymous GET or use a public URL prefix"
	case c == http.StatusNotFound:
		return "wrong key or not uploaded yet: check secure_url (the image URL prefix and the ISO name) and that the upload finished"
	case c == http.StatusTooManyRequests || c >= 500:
		return "the server failed or is overloaded: try again later and check the server's logs"
	}
	return "the server refused the download: secure_url must answer an anonymous GET with 200 OK and the ISO"
}

// Transient reports whether the status may change by itself.
func (e *HTTPError) Transient() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
}

// StallError is a download that received nothing for Timeout.
type StallError struct {
	URL     string // redacted
	Timeout time.Duration
	Phase   string // "waiting for the response" or "reading the body"
	Read    int64  // body bytes received before the stall
}

func (e *StallError) Error() string {
	return fmt.Sprintf("GET %s: stalled %s: no data for %s (timeout) after %s", e.URL, e.Phase, e.Timeout, progress.Bytes(e.Read))
}

// Hint implements the CLI's fix line.
func (e *StallError) Hint() string {
	return "the server stopped sending: check the server and the network path (proxies, firewalls); " +
		"the controller gives up after download_timeout too"
}

// BodyError is a transfer that broke off while reading the body.
type BodyError struct {
	URL  string // redacted
	Read int64
	Err  error
}

func (e *BodyError) Error() string {
	return fmt.Sprintf("GET %s: download broke off after %s: %v", e.URL, progress.Bytes(e.Read), e.Err)
}

func (e *BodyError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *BodyError) Hint() string {
	var h interface{ Hint() string }
	if errors.As(e.Err, &h) && h.Hint() != "" {
		return h.Hint()
	}
	return "the connection broke during the download: try again and check the server and the network path"
}

// InputError is a service YAML value verify cannot use.
type InputError struct{ Msg, Fix string }

func (e *InputError) Error() string { return e.Msg }

// Hint implements the CLI's fix line.
func (e *InputError) Hint() string { return e.Fix }

// Transient reports whether err may pass on a later attempt: connection
// failures and timeouts, 5xx/429/408, stalls and broken-off bodies. TLS trust,
// 4xx, mismatches and input errors are final.
func Transient(err error) bool {
	var se *StallError
	var be *BodyError
	if errors.As(err, &se) || errors.As(err, &be) {
		return true
	}
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}
