package httpclient_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
)

func hello(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, r.UserAgent())
}

func get(t *testing.T, c *http.Client, url string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	httpclient.SetUserAgent(req, "")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestNewTransportIsPlain(t *testing.T) {
	c, err := httpclient.New(httpclient.Options{})
	require.NoError(t, err)
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok, "transport is %T", c.Transport)
	require.NotNil(t, tr.Proxy)
	require.True(t, tr.ForceAttemptHTTP2)
	require.Equal(t, httpclient.DefaultResponseHeaderTimeout, tr.ResponseHeaderTimeout)
	require.NotZero(t, tr.TLSHandshakeTimeout)
	require.False(t, tr.TLSClientConfig.InsecureSkipVerify)
}

func TestTransportOptionsAdjustsForeignTransport(t *testing.T) {
	ca := tlstest.NewCA(t, "private CA")
	apply, err := httpclient.TransportOptions(httpclient.Options{CAFile: ca.WriteFile(t)})
	require.NoError(t, err)
	tr := &http.Transport{} // as awshttp.BuildableClient hands it over
	apply(tr)
	require.NotNil(t, tr.TLSClientConfig.RootCAs)
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(hello))
	body, err := get(t, &http.Client{Transport: tr}, srv.URL)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(body, "esxi-byoi/"), body)
}

func TestCAFile(t *testing.T) {
	ca := tlstest.NewCA(t, "private CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(hello))

	t.Run("unknown authority without it", func(t *testing.T) {
		c, err := httpclient.New(httpclient.Options{})
		require.NoError(t, err)
		_, err = get(t, c, srv.URL)
		err = httpclient.Describe(err)
		var he *httpclient.Error
		require.ErrorAs(t, err, &he)
		require.Equal(t, httpclient.KindUnknownAuthority, he.Kind)
		require.Equal(t, httpclient.HintUnknownAuthority, he.Hint())
		require.False(t, he.Transient())
	})
	for name, env := range map[string]map[string]string{
		"env unset": {"AWS_CA_BUNDLE": "", "SSL_CERT_FILE": ""},
		"env set":   {"AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"},
	} {
		t.Run("trusted with it, "+name, func(t *testing.T) {
			for k, v := range env {
				if v == "" {
					unsetenv(t, k)
				} else {
					t.Setenv(k, v)
				}
			}
			c, err := httpclient.New(httpclient.Options{CAFile: ca.WriteFile(t)})
			require.NoError(t, err)
			body, err := get(t, c, srv.URL)
			require.NoError(t, err)
			require.Equal(t, httpclient.UserAgent(), body)
		})
	}
	t.Run("skip verify", func(t *testing.T) {
		c, err := httpclient.New(httpclient.Options{InsecureSkipVerify: true})
		require.NoError(t, err)
		_, err = get(t, c, srv.URL)
		require.NoError(t, err)
	})
}

// unsetenv removes k for the duration of the test.
func unsetenv(t *testing.T, k string) {
	t.Setenv(k, "") // registers the restore
	require.NoError(t, os.Unsetenv(k))
}

func TestCAFileErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "notpem.txt")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello\n"), 0o600))
	for name, path := range map[string]string{
		"missing": filepath.Join(dir, "nope.pem"),
		"not pem": notPEM,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := httpclient.New(httpclient.Options{CAFile: path})
			var ce *httpclient.CAFileError
			require.ErrorAs(t, err, &ce)
			require.Contains(t, err.Error(), path)
			require.NotEmpty(t, ce.Hint())
		})
	}
}

func TestDescribeHostname(t *testing.T) {
	ca := tlstest.NewCA(t, "private CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(hello), "images.example.com")
	c, err := httpclient.New(httpclient.Options{CAFile: ca.WriteFile(t)})
	require.NoError(t, err)
	_, err = get(t, c, srv.URL)
	err = httpclient.Describe(err)
	var he *httpclient.Error
	require.ErrorAs(t, err, &he)
	require.Equal(t, httpclient.KindHostname, he.Kind)
	require.Contains(t, he.Hint(), "images.example.com")
	require.Contains(t, he.Hint(), "127.0.0.1")
}

func TestDescribeRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, err := httpclient.New(httpclient.Options{})
	require.NoError(t, err)
	_, err = get(t, c, "https://"+addr+"/x.iso")
	err = httpclient.Describe(err)
	var he *httpclient.Error
	require.ErrorAs(t, err, &he)
	require.Equal(t, httpclient.KindRefused, he.Kind)
	require.True(t, he.Transient())
}

func TestDescribeNotTLS(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(hello)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	c, err := httpclient.New(httpclient.Options{})
	require.NoError(t, err)
	_, err = get(t, c, "https://"+ln.Addr().String()+"/")
	var he *httpclient.Error
	require.ErrorAs(t, httpclient.Describe(err), &he)
	require.Equal(t, httpclient.KindNotTLS, he.Kind)
}

func TestDescribeOthers(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "nohost.invalid", IsNotFound: true}
	for name, tc := range map[string]struct {
		err       error
		kind      httpclient.Kind
		transient bool
	}{
		"dns":      {dns, httpclient.KindDNS, false},
		"dns temp": {&net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}, httpclient.KindDNS, true},
		"deadline": {context.DeadlineExceeded, httpclient.KindTimeout, true},
		"net timeout": {&net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}},
			httpclient.KindTimeout, true},
	} {
		t.Run(name, func(t *testing.T) {
			err := httpclient.Describe(&wrapErr{tc.err})
			var he *httpclient.Error
			require.ErrorAs(t, err, &he)
			require.Equal(t, tc.kind, he.Kind)
			require.Equal(t, tc.transient, he.Transient())
			require.NotEmpty(t, he.Hint())
			require.ErrorIs(t, err, tc.err)
		})
	}
	require.NoError(t, httpclient.Describe(nil))
	plain := errors.New("something else")
	require.Same(t, plain, httpclient.Describe(plain))
	require.ErrorIs(t, httpclient.Describe(context.Canceled), context.Canceled)
	var he *httpclient.Error
	require.False(t, errors.As(httpclient.Describe(context.Canceled), &he))
}

type wrapErr struct{ err error }

func (w *wrapErr) Error() string { return "Get \"https://x\": " + w.err.Error() }
func (w *wrapErr) Unwrap() error { return w.err }

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// net/http puts the whole request URL in its errors; a presigned or SAS URL's
// query is a credential, so no described error carries it, classified or not.
func TestDescribeRedactsTheRequestURL(t *testing.T) {
	const sig = "X-Amz-Signature=0123456789abcdef"
	raw := "https://bucket.example.com/esxi.iso?X-Amz-Credential=AKIAEXAMPLE&" + sig
	for name, inner := range map[string]error{
		"timeout":  context.DeadlineExceeded,
		"canceled": context.Canceled,
		"other":    errors.New("malformed HTTP response"),
	} {
		t.Run(name, func(t *testing.T) {
			orig := &url.Error{Op: "Get", URL: raw, Err: inner}
			err := httpclient.Describe(orig)
			require.NotContains(t, err.Error(), sig)
			require.NotContains(t, err.Error(), "AKIAEXAMPLE")
			require.Contains(t, err.Error(), `"https://bucket.example.com/esxi.iso?…"`)
			require.ErrorIs(t, err, inner)
			var ue *url.Error
			require.ErrorAs(t, err, &ue, "the original stays in the chain")
		})
	}
	// A real request too: the client's own error, through Describe.
	c, err := httpclient.New(httpclient.Options{})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = get(t, c, "https://user:pw-4711@"+addr+"/k?"+sig)
	require.Error(t, err)
	err = httpclient.Describe(err)
	var he *httpclient.Error
	require.ErrorAs(t, err, &he)
	require.Equal(t, httpclient.KindRefused, he.Kind)
	require.NotContains(t, err.Error(), sig)
	require.NotContains(t, err.Error(), "pw-4711")
}

// A URL net/url cannot parse still never shows its query (a presigned
// signature) in NewGet's error; a good one gets the User-Agent.
func TestNewGet(t *testing.T) {
	const sig = "X-Amz-Signature=0123456789abcdef"
	_, err := httpclient.NewGet(t.Context(), "https://bucket.example.com/esxi.iso?"+sig+"\x7f", "")
	require.ErrorContains(t, err, "invalid control character in URL")
	require.NotContains(t, err.Error(), sig)

	req, err := httpclient.NewGet(t.Context(), "https://bucket.example.com/esxi.iso?"+sig, "")
	require.NoError(t, err)
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, httpclient.UserAgent(), req.Header.Get("User-Agent"))
	req, err = httpclient.NewGet(t.Context(), "https://bucket.example.com/esxi.iso", "probe/1")
	require.NoError(t, err)
	require.Equal(t, "probe/1", req.Header.Get("User-Agent"))
}
