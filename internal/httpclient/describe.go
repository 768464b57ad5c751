package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// Kind is the class of a transport failure.
type Kind int

// The kinds [Describe] tells apart.
const (
	KindOther            Kind = iota
	KindUnknownAuthority      // certificate chain ends at a CA we do not trust
	KindHostname              // certificate is not valid for the host in the URL
	KindCertInvalid           // expired, not yet valid, wrong usage...
	KindNotTLS                // the port answered in plain HTTP
	KindRefused               // nothing listens on host:port
	KindReset                 // connection reset or closed by the peer
	KindDNS                   // host name does not resolve
	KindTimeout               // dial, handshake or response header timeout
)

var kindText = map[Kind]string{
	KindOther:            "request failed",
	KindUnknownAuthority: "TLS: server certificate signed by an unknown authority",
	KindHostname:         "TLS: server certificate does not match the host name",
	KindCertInvalid:      "TLS: server certificate is not valid",
	KindNotTLS:           "TLS: server did not answer with TLS",
	KindRefused:          "connection refused",
	KindReset:            "connection reset",
	KindDNS:              "host name does not resolve",
	KindTimeout:          "timed out",
}

func (k Kind) String() string { return kindText[k] }

// Error is a classified transport failure. Its Hint says what to change.
type Error struct {
	Kind Kind
	Host string // host (or host:port) concerned, when known
	Err  error  // the original error
	hint string
}

func (e *Error) Error() string { return e.Kind.String() + ": " + redactedMessage(e.Err) }

// Unwrap returns the original error.
func (e *Error) Unwrap() error { return e.Err }

// Hint returns the fix for the user.
func (e *Error) Hint() string { return e.hint }

// Transient reports whether trying again later may succeed.
func (e *Error) Transient() bool {
	switch e.Kind {
	case KindRefused, KindReset, KindTimeout:
		return true
	case KindDNS:
		var d *net.DNSError
		return errors.As(e.Err, &d) && (d.IsTemporary || d.IsTimeout)
	}
	return false
}

// HintUnknownAuthority is the fix for a server certificate from a CA we do not trust.
const HintUnknownAuthority = "pass {ca-file} with the CA that signed the server certificate, or set skip_ssl_verify: true in the service YAML"

// Describe classifies a transport error (from http.Client.Do or a body read)
// into an *[Error] with a hint. It returns nil for nil, and err unchanged when
// it is already classified, a cancellation, or of no known kind, except that
// a request URL's query, fragment and user information never stay in the
// message (the original is still in the chain for errors.Is/As).
func Describe(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errAs[*Error](err); ok {
		return err
	}
	if k, h := classify(err); k != KindOther && !errors.Is(err, context.Canceled) {
		return &Error{Kind: k, Err: err, hint: h}
	}
	if msg := redactedMessage(err); msg != err.Error() {
		return &redactedError{msg: msg, err: err}
	}
	return err
}

// redactedMessage is err's message with the URL of a *url.Error in it
// redacted (see [Redact]): net/http puts the whole request URL in its errors,
// and a presigned or SAS URL's query is a credential.
func redactedMessage(err error) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		if r := Redact(ue.URL); r != ue.URL {
			msg = strings.ReplaceAll(msg, strconv.Quote(ue.URL), strconv.Quote(r))
			msg = strings.ReplaceAll(msg, ue.URL, r)
		}
	}
	return msg
}

// redactedError is an error of no known kind whose message had a URL with a
// query; it unwraps to the original, so errors.Is and errors.As still work.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// classify returns the kind of err and the fix (hint) for it.
func classify(err error) (kind Kind, hint string) {
	if _, ok := errAs[x509.UnknownAuthorityError](err); ok {
		return KindUnknownAuthority, HintUnknownAuthority
	}
	if he, ok := errAs[x509.HostnameError](err); ok {
		names := "none"
		if c := he.Certificate; c != nil {
			var all []string
			all = append(all, c.DNSNames...)
			for _, ip := range c.IPAddresses {
				all = append(all, ip.String())
			}
			if len(all) > 0 {
				names = strings.Join(all, ", ")
			}
		}
		return KindHostname, fmt.Sprintf("use a URL whose host is one the certificate names (%s), or give the server a certificate for %s; "+
			"skip_ssl_verify: true in the service YAML also accepts it, without any check", names, he.Host)
	}
	if ce, ok := errAs[x509.CertificateInvalidError](err); ok {
		if ce.Reason == x509.Expired {
			return KindCertInvalid, "the server certificate has expired or is not valid yet: renew it, and check the clocks of the server and of this machine"
		}
		return KindCertInvalid, "replace the server certificate with a valid one"
	}
	if _, ok := errAs[tls.RecordHeaderError](err); ok || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return KindNotTLS, "the port speaks plain HTTP: use the server's HTTPS port in the URL"
	}
	if d, ok := errAs[*net.DNSError](err); ok {
		return KindDNS, fmt.Sprintf("check the spelling of %q and the DNS settings; the on-prem controller must resolve it too", d.Name)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return KindRefused, "nothing listens there: check the host and port of the URL, and that the web server is running"
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return KindReset, "the server or a proxy closed the connection: try again, and check proxies (HTTPS_PROXY, NO_PROXY) and firewalls on the way"
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return KindTimeout, "the server did not answer in time: check that it is reachable from here (firewalls, HTTPS_PROXY, NO_PROXY) and not overloaded"
	}
	return KindOther, ""
}

// Redact returns a URL without its query string, fragment and user
// information, which can hold presigned-URL signatures or passwords, for
// messages and results. The one implementation for every package that prints
// URLs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#@"); i >= 0 {
			return raw[:i] + "…"
		}
		return raw
	}
	q := u.RawQuery != "" || u.Fragment != ""
	u.RawQuery, u.Fragment, u.RawFragment, u.User = "", "", "", nil
	if q {
		return u.String() + "?…"
	}
	return u.String()
}
