package s3test

import (
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
)

// Proxy is a TLS reverse proxy in front of a [Server], with its own CA. It
// plays another S3 store: Intercept sees each request first and may answer
// it itself; everything else reaches versitygw unchanged (the signature
// covers the path and headers, which the proxy keeps).
type Proxy struct {
	Endpoint string // https://127.0.0.1:PORT
	CAFile   string // PEM of the proxy's CA
}

// Intercept answers r itself and returns true, or returns false to pass it on.
type Intercept func(w http.ResponseWriter, r *http.Request) bool

// Proxy starts a proxy for the test in front of s; it stops when the test ends.
func (s *Server) Proxy(t testing.TB, intercept Intercept) *Proxy {
	t.Helper()
	up, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(up)
	rp.Transport = &http.Transport{TLSClientConfig: s.TLSConfig()}
	ca := tlstest.NewCA(t, "s3test proxy CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept != nil && intercept(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}), "127.0.0.1")
	return &Proxy{Endpoint: srv.URL, CAFile: ca.WriteFile(t)}
}

// ErrorAnswer writes an S3 error answer after reading the whole request
// body, as a store does that checks a condition once the upload is in.
func ErrorAnswer(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+code+`</Code><Message>`+msg+`</Message></Error>`)
}
