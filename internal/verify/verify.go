// Package verify downloads a published image exactly as the HPE on-prem
// controller does (an anonymous HTTPS GET of secure_url) and checks its byte
// size and digest against the service YAML. The body is streamed through the
// hash, never held in memory or written to disk.
//
// It retries what may pass (connection failures, 5xx, a stalled body) with
// backoff, and never what will not (4xx, TLS trust, mismatches). Every failure
// is a typed error with a Hint that names the cause and the fix. It does not
// parse the service YAML (the caller passes the fields) and never sends
// credentials.
package verify

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// Defaults of [Options].
const (
	DefaultRetries      = 3
	DefaultStallTimeout = 60 * time.Second
)

// Options configure [Run].
type Options struct {
	URL       string // secure_url
	Size      int64  // file_size
	Digest    string // signature: hex digest
	Algorithm string // "sha256sum" (default) or "sha512sum"
	// SkipTLSVerify accepts any server certificate (skip_ssl_verify: true);
	// Result.InsecureTLS then says so. It also allows an http:// URL.
	SkipTLSVerify bool
	CAFile        string       // extra trusted CAs (PEM), e.g. a private CA
	Client        *http.Client // optional; default httpclient.New from CAFile and SkipTLSVerify, which a given Client must already reflect
	UserAgent     string       // default httpclient.UserAgent()
	Progress      progress.Reporter
	// Retries is how often a transient failure is retried: 0 means
	// DefaultRetries, a negative value none.
	Retries int
	// Sleep waits between attempts (1s, 2s, 4s… with jitter, at most 30s,
	// or the server's Retry-After); nil means retry.Sleep. Tests inject one.
	Sleep func(ctx context.Context, d time.Duration) error
	// StallTimeout fails an attempt that receives no byte (headers or body)
	// for this long; 0 means DefaultStallTimeout.
	StallTimeout time.Duration
}

// Result is a successful verification.
type Result struct {
	URL         string        // secure_url with any query string elided
	Size        int64         // bytes received
	Digest      string        // lowercase hex, equal to Options.Digest
	Algorithm   string        // "sha256sum" or "sha512sum"
	InsecureTLS bool          // certificate verification was off: say so
	Proto       string        // "HTTP/1.1", "HTTP/2.0"
	Attempts    int           // 1 when no retry was needed
	Duration    time.Duration // of the successful attempt
}

// Run downloads opts.URL and checks it. On a mismatch the error is a
// *[MismatchError]; on an HTTP status an *[HTTPError]; on a stall a
// *[StallError]; on a transport failure an *httpclient.Error.
func Run(ctx context.Context, opts Options) (*Result, error) {
	u, newHash, err := check(&opts)
	if err != nil {
		return nil, err
	}
	client := opts.Client
	if client == nil {
		client, err = httpclient.New(httpclient.Options{CAFile: opts.CAFile, InsecureSkipVerify: opts.SkipTLSVerify})
		if err != nil {
			return nil, err
		}
	}
	retries := opts.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	var res *Result
	attempts, err := retry.Policy{
		Attempts: max(1, retries+1), Base: time.Second, Max: 30 * time.Second,
		Retryable: Transient, Sleep: opts.Sleep,
	}.Do(ctx, func(int) error {
		var err error
		res, err = once(ctx, client, u, newHash(), &opts)
		return err
	})
	if err != nil {
		if attempts > 1 {
			err = fmt.Errorf("after %d attempts: %w", attempts, err)
		}
		return nil, err
	}
	res.Attempts = attempts
	return res, nil
}

// check validates opts, fills defaults and returns the URL and the hash.
func check(o *Options) (*url.URL, func() hash.Hash, error) {
	if o.Algorithm == "" {
		o.Algorithm = "sha256sum"
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	var newHash func() hash.Hash
	switch o.Algorithm {
	case "sha256sum":
		newHash = sha256.New
	case "sha512sum":
		newHash = sha512.New
	default:
		return nil, nil, &InputError{Msg: fmt.Sprintf("algorithm %q is not supported", o.Algorithm), Fix: "use sha256sum or sha512sum"}
	}
	o.Digest = strings.ToLower(strings.TrimSpace(o.Digest))
	if _, err := hex.DecodeString(o.Digest); err != nil || len(o.Digest) != 2*newHash().Size() {
		return nil, nil, &InputError{Msg: fmt.Sprintf("signature is not a %s hex digest", o.Algorithm),
			Fix: "put the hex digest of the published file in the service YAML"}
	}
	if o.Size <= 0 {
		return nil, nil, &InputError{Msg: fmt.Sprintf("file_size %d is not a size", o.Size), Fix: "put the byte size of the published file in the service YAML"}
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, nil, &InputError{Msg: fmt.Sprintf("secure_url %q is not an absolute URL", httpclient.Redact(o.URL)), Fix: "give the https:// URL of the published ISO"}
	}
	switch {
	case u.User != nil:
		return nil, nil, &InputError{Msg: "secure_url carries credentials (user:password@)",
			Fix: "the controller downloads anonymously: remove them and make the object publicly readable"}
	case u.Scheme == "http" && !o.SkipTLSVerify:
		return nil, nil, &InputError{Msg: "secure_url is http://, the portal requires https://",
			Fix: "serve the image over HTTPS, or set skip_ssl_verify: true for a plain or private server"}
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, nil, &InputError{Msg: fmt.Sprintf("secure_url scheme %q is not https", u.Scheme), Fix: "give the https:// URL of the published ISO"}
	}
	return u, newHash, nil
}

var errStalled = errors.New("stalled")

// once makes one anonymous GET and streams the body through h.
func once(ctx context.Context, client *http.Client, u *url.URL, h hash.Hash, o *Options) (*Result, error) {
	start := time.Now()
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(o.StallTimeout, func() { cancel(errStalled) })
	defer timer.Stop()

	req, err := httpclient.NewGet(actx, u.String(), o.UserAgent)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", httpclient.Redact(o.URL), err)
	}
	resp, err := client.Do(req)
	if err != nil {
		if context.Cause(actx) == errStalled && ctx.Err() == nil {
			return nil, &StallError{URL: httpclient.Redact(o.URL), Timeout: o.StallTimeout, Phase: "waiting for the response"}
		}
		redactURLError(err)
		return nil, httpclient.Describe(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		httpclient.DrainClose(resp.Body)
		return nil, &HTTPError{URL: httpclient.Redact(o.URL), StatusCode: resp.StatusCode, Status: resp.Status,
			After: retry.ParseAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	if resp.ContentLength >= 0 && resp.ContentLength != o.Size {
		return nil, &MismatchError{What: "size", Want: fmt.Sprintf("%d bytes", o.Size), Got: fmt.Sprintf("%d bytes (Content-Length)", resp.ContentLength)}
	}

	task := o.Progress.Start("verifying "+httpclient.Redact(o.URL), o.Size)
	defer task.Done()
	body := &stallReader{r: resp.Body, timer: timer, d: o.StallTimeout}
	n, err := io.CopyBuffer(io.MultiWriter(h, progress.Writer{T: task}), io.LimitReader(body, o.Size+1), make([]byte, 256<<10))
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case context.Cause(actx) == errStalled:
			return nil, &StallError{URL: httpclient.Redact(o.URL), Timeout: o.StallTimeout, Phase: "reading the body", Read: n}
		}
		return nil, &BodyError{URL: httpclient.Redact(o.URL), Read: n, Err: httpclient.Describe(err)}
	}
	switch {
	case n > o.Size:
		return nil, &MismatchError{What: "size", Want: fmt.Sprintf("%d bytes", o.Size), Got: fmt.Sprintf("more than %d bytes", o.Size)}
	case n < o.Size:
		return nil, &MismatchError{What: "size", Want: fmt.Sprintf("%d bytes", o.Size), Got: fmt.Sprintf("%d bytes", n)}
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != o.Digest {
		return nil, &MismatchError{What: o.Algorithm, Want: o.Digest, Got: got}
	}
	return &Result{URL: httpclient.Redact(o.URL), Size: n, Digest: got, Algorithm: o.Algorithm, InsecureTLS: o.SkipTLSVerify,
		Proto: resp.Proto, Duration: time.Since(start)}, nil
}

// stallReader pushes the stall deadline back whenever bytes arrive.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.d)
	}
	return n, err
}

func redactURLError(err error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = httpclient.Redact(ue.URL)
	}
}
