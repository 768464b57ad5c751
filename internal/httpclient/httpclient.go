// Package httpclient is the one HTTP client setup of esxi-byoi, shared by
// verify, publish (S3), the source fetch and the GitHub layer: one place for
// the CA file, certificate checks, proxies, timeouts and the User-Agent.
//
// It deliberately returns a plain *http.Transport inside the *http.Client (no
// wrapping round-tripper), so code that must adjust the transport can, and it
// offers [TransportOptions] for aws-sdk-go-v2, whose AWS_CA_BUNDLE handling
// only accepts its own awshttp.BuildableClient:
//
//	apply, err := httpclient.TransportOptions(opts)
//	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(
//		awshttp.NewBuildableClient().WithTransportOptions(apply)))
//
// Errors from a request are classified by [Describe] into types that carry the
// fix (a Hint method), so every caller gives the same advice.
package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/version"
)

// Defaults for the zero Options. Downloads of ISOs take minutes, so there is no
// whole-request timeout by default; the per-phase timeouts catch dead peers.
const (
	DefaultDialTimeout           = 30 * time.Second
	DefaultTLSHandshakeTimeout   = 15 * time.Second
	DefaultResponseHeaderTimeout = 60 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
)

// Options configure [New]. The zero value is a verifying client with the
// system roots, proxies from the environment and the default timeouts.
type Options struct {
	// CAFile is a PEM file of extra trusted CA certificates, added to the
	// system pool (not replacing it): for servers behind a private CA.
	CAFile string
	// InsecureSkipVerify turns certificate verification off. Callers must
	// tell the user when they set it.
	InsecureSkipVerify bool
	// Timeout bounds a whole request including reading the body; 0 means none.
	Timeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers after the
	// request is sent; 0 means DefaultResponseHeaderTimeout.
	ResponseHeaderTimeout time.Duration
}

// New returns a client configured by o. Its Transport is a plain
// *http.Transport, so it adds no User-Agent: callers set it per request with
// [SetUserAgent].
func New(o Options) (*http.Client, error) {
	tr, err := NewTransport(o)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout}, nil
}

// NewTransport returns a fresh transport configured by o.
func NewTransport(o Options) (*http.Transport, error) {
	apply, err := TransportOptions(o)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{}
	apply(tr)
	return tr, nil
}

// TransportOptions reads the CA file once and returns a function that applies
// o to a transport: TLS settings, proxies from the environment (HTTPS_PROXY,
// NO_PROXY...), HTTP/2, dial, handshake, header and idle timeouts. It fits
// awshttp.BuildableClient.WithTransportOptions.
func TransportOptions(o Options) (func(*http.Transport), error) {
	tlsConf, err := TLSConfig(o)
	if err != nil {
		return nil, err
	}
	rht := o.ResponseHeaderTimeout
	if rht == 0 {
		rht = DefaultResponseHeaderTimeout
	}
	dialer := &net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}
	return func(tr *http.Transport) {
		tr.Proxy = http.ProxyFromEnvironment
		tr.DialContext = dialer.DialContext
		tr.ForceAttemptHTTP2 = true
		tr.TLSClientConfig = tlsConf.Clone()
		tr.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
		tr.ResponseHeaderTimeout = rht
		tr.IdleConnTimeout = DefaultIdleConnTimeout
		tr.ExpectContinueTimeout = time.Second
		tr.MaxIdleConns = 100
		// S3 multipart uploads use several connections to one host.
		tr.MaxIdleConnsPerHost = 16
	}, nil
}

// TLSConfig returns the TLS settings of o: TLS 1.2 or later, the system roots
// plus the certificates of o.CAFile, or no verification at all.
func TLSConfig(o Options) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.InsecureSkipVerify {
		c.InsecureSkipVerify = true // #nosec G402 -- asked for, and reported by the caller
	}
	if o.CAFile == "" {
		return c, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if err := appendCAFile(pool, o.CAFile); err != nil {
		return nil, err
	}
	c.RootCAs = pool
	return c, nil
}

// CAFileError says why a --ca-file could not be used.
type CAFileError struct {
	Path string
	Err  error // nil when the file holds no certificate
}

func (e *CAFileError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("CA file %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("CA file %s: no PEM certificate found", e.Path)
}

func (e *CAFileError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line.
func (e *CAFileError) Hint() string {
	return "pass a readable PEM file with the CA certificate(s) (-----BEGIN CERTIFICATE-----) that signed the server certificate"
}

func appendCAFile(pool *x509.CertPool, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return &CAFileError{Path: path, Err: err}
	}
	if !pool.AppendCertsFromPEM(b) {
		return &CAFileError{Path: path}
	}
	return nil
}

// UserAgent returns "esxi-byoi/<version>", the version stamped into
// internal/version at build time.
func UserAgent() string { return version.UserAgent() }

// SetUserAgent sets the User-Agent header of req to ua, or to [UserAgent]()
// when ua is empty.
func SetUserAgent(req *http.Request, ua string) {
	if ua == "" {
		ua = UserAgent()
	}
	req.Header.Set("User-Agent", ua)
}

// NewGet returns a GET request for rawURL with the User-Agent ua (see
// [SetUserAgent]). Its error never holds the URL, whose query may be a
// presigned signature (net/url quotes the raw URL in its own): the caller
// names the redacted URL beside it.
func NewGet(ctx context.Context, rawURL, ua string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err
		}
		return nil, err
	}
	SetUserAgent(req, ua)
	return req, nil
}

// DrainClose reads what is left of a body (so the connection can be reused)
// and closes it. It stops after 64 KiB: a big body is cheaper to drop.
func DrainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// errAs is errors.As for a pointer target, returning the match.
func errAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
