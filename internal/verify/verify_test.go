package verify_test

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// image is the published file of the tests: 3 MiB of varied bytes.
var image = func() []byte {
	b := make([]byte, 3<<20+17)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}()

func sum256(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func sum512(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }

// origin is a test web server: it counts requests and fails the test if a
// request carries credentials.
type origin struct {
	t        *testing.T
	requests atomic.Int32
	mu       sync.Mutex
	fn       func(n int32, w http.ResponseWriter, r *http.Request)
}

// serve sets the behaviour of later requests (nil: serve image).
func (o *origin) serve(fn func(n int32, w http.ResponseWriter, r *http.Request)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fn = fn
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := o.requests.Add(1)
	if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" || r.Header.Get("X-Amz-Security-Token") != "" {
		o.t.Errorf("request %d carries credentials: %v", n, r.Header)
	}
	if !strings.HasPrefix(r.UserAgent(), "esxi-byoi/") {
		o.t.Errorf("User-Agent %q", r.UserAgent())
	}
	o.mu.Lock()
	fn := o.fn
	o.mu.Unlock()
	if fn != nil {
		fn(n, w, r)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(image)))
	_, _ = w.Write(image)
}

func serveBytes(b []byte, chunked bool) func(int32, http.ResponseWriter, *http.Request) {
	return func(_ int32, w http.ResponseWriter, _ *http.Request) {
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		}
		_, _ = w.Write(b[:len(b)/2])
		w.(http.Flusher).Flush()
		_, _ = w.Write(b[len(b)/2:])
	}
}

type fixture struct {
	ca     *tlstest.CA
	caFile string
	srv    *origin
	url    string
}

func newFixture(t *testing.T, hosts ...string) *fixture {
	ca := tlstest.NewCA(t, "esxi-byoi test CA")
	o := &origin{t: t}
	s := tlstest.NewServer(t, ca, o, hosts...)
	return &fixture{ca: ca, caFile: ca.WriteFile(t), srv: o, url: s.URL + "/images/esxi.iso"}
}

func (f *fixture) opts() verify.Options {
	return verify.Options{
		URL: f.url, Size: int64(len(image)), Digest: sum256(image), CAFile: f.caFile,
		Sleep: noWait, StallTimeout: 5 * time.Second,
	}
}

func TestGood(t *testing.T) {
	f := newFixture(t)
	for name, edit := range map[string]func(*verify.Options){
		"sha256":             func(*verify.Options) {},
		"sha512":             func(o *verify.Options) { o.Algorithm = "sha512sum"; o.Digest = sum512(image) },
		"uppercase digest":   func(o *verify.Options) { o.Digest = strings.ToUpper(o.Digest) },
		"chunked":            func(*verify.Options) { f.srv.serve(serveBytes(image, true)) },
		"presigned-like URL": func(o *verify.Options) { o.URL += "?X-Amz-Signature=s3cr3t" },
	} {
		t.Run(name, func(t *testing.T) {
			f.srv.serve(nil)
			o := f.opts()
			edit(&o)
			rep := &countingReporter{}
			o.Progress = rep
			res, err := verify.Run(t.Context(), o)
			require.NoError(t, err)
			require.Equal(t, int64(len(image)), res.Size)
			require.Equal(t, strings.ToLower(o.Digest), res.Digest)
			require.False(t, res.InsecureTLS)
			require.Equal(t, 1, res.Attempts)
			require.Equal(t, int64(len(image)), rep.bytes.Load())
			require.NotContains(t, res.URL, "s3cr3t")
		})
	}
}

func TestProtocolHTTP2(t *testing.T) {
	f := newFixture(t)
	res, err := verify.Run(t.Context(), f.opts())
	require.NoError(t, err)
	require.Equal(t, "HTTP/2.0", res.Proto)
}

func TestMismatch(t *testing.T) {
	f := newFixture(t)
	other := append([]byte(nil), image...)
	other[12345] ^= 1
	for name, tc := range map[string]struct {
		serve func(int32, http.ResponseWriter, *http.Request)
		edit  func(*verify.Options)
		what  string
		got   string
	}{
		"size by Content-Length": {serve: serveBytes(image[:len(image)-1], false), what: "size", got: "(Content-Length)"},
		"short body":             {serve: serveBytes(image[:len(image)-1], true), what: "size", got: strconv.Itoa(len(image)-1) + " bytes"},
		"long body":              {serve: serveBytes(append(image, 'x'), true), what: "size", got: "more than"},
		"sha256":                 {serve: serveBytes(other, false), what: "sha256sum", got: sum256(other)},
		"sha512": {serve: serveBytes(other, false), what: "sha512sum", got: sum512(other),
			edit: func(o *verify.Options) { o.Algorithm = "sha512sum"; o.Digest = sum512(image) }},
	} {
		t.Run(name, func(t *testing.T) {
			f.srv.serve(tc.serve)
			f.srv.requests.Store(0)
			o := f.opts()
			if tc.edit != nil {
				tc.edit(&o)
			}
			_, err := verify.Run(t.Context(), o)
			var me *verify.MismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, tc.what, me.What)
			require.Contains(t, me.Got, tc.got)
			require.Contains(t, err.Error(), tc.what+" mismatch")
			require.Contains(t, me.Hint(), "upload the ISO again")
			require.EqualValues(t, 1, f.srv.requests.Load(), "a mismatch is not retried")
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	f := newFixture(t)
	for code, hint := range map[int]string{
		http.StatusForbidden:    "not publicly readable",
		http.StatusUnauthorized: "without credentials",
		http.StatusNotFound:     "wrong key or not uploaded yet",
		http.StatusGone:         "anonymous GET",
	} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			f.srv.requests.Store(0)
			f.srv.serve(func(_ int32, w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", code) })
			o := f.opts()
			o.URL += "?X-Amz-Signature=s3cr3t"
			_, err := verify.Run(t.Context(), o)
			var he *verify.HTTPError
			require.ErrorAs(t, err, &he)
			require.Equal(t, code, he.StatusCode)
			require.Contains(t, he.Hint(), hint)
			require.Contains(t, err.Error(), strconv.Itoa(code))
			require.NotContains(t, err.Error(), "s3cr3t", "presigned signatures stay out of messages")
			require.EqualValues(t, 1, f.srv.requests.Load(), "4xx is not retried")
		})
	}
}

func TestRetry(t *testing.T) {
	f := newFixture(t)
	t.Run("503 then success", func(t *testing.T) {
		f.srv.serve(func(n int32, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			serveBytes(image, false)(n, w, r)
		})
		var waits []time.Duration
		o := f.opts()
		o.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		res, err := verify.Run(t.Context(), o)
		require.NoError(t, err)
		require.Equal(t, 2, res.Attempts)
		require.Len(t, waits, 1)
		require.LessOrEqual(t, waits[0], time.Second, "first backoff: 1s with jitter")
	})
	t.Run("Retry-After is honoured", func(t *testing.T) {
		f.srv.requests.Store(0)
		f.srv.serve(func(n int32, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "7")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			serveBytes(image, false)(n, w, r)
		})
		var waits []time.Duration
		o := f.opts()
		o.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
		res, err := verify.Run(t.Context(), o)
		require.NoError(t, err)
		require.Equal(t, 2, res.Attempts)
		require.Equal(t, []time.Duration{7 * time.Second}, waits)
	})
	t.Run("503 until retries are spent", func(t *testing.T) {
		f.srv.requests.Store(0)
		f.srv.serve(func(_ int32, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		})
		o := f.opts()
		o.Retries = 2
		_, err := verify.Run(t.Context(), o)
		var he *verify.HTTPError
		require.ErrorAs(t, err, &he)
		require.Contains(t, err.Error(), "after 3 attempts")
		require.EqualValues(t, 3, f.srv.requests.Load())
	})
	t.Run("no retries", func(t *testing.T) {
		f.srv.requests.Store(0)
		o := f.opts()
		o.Retries = -1
		_, err := verify.Run(t.Context(), o)
		require.Error(t, err)
		require.EqualValues(t, 1, f.srv.requests.Load())
	})
	t.Run("cancelled during backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		o := f.opts()
		o.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return context.Cause(ctx) }
		_, err := verify.Run(ctx, o)
		require.ErrorIs(t, err, context.Canceled)
		var he *verify.HTTPError
		require.ErrorAs(t, err, &he, "the last failure stays reachable")
	})
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = verify.Run(t.Context(), verify.Options{URL: "https://" + addr + "/x.iso", Size: 1, Digest: sum256([]byte("x")),
		Retries: 2, Sleep: noWait})
	var he *httpclient.Error
	require.ErrorAs(t, err, &he)
	require.Equal(t, httpclient.KindRefused, he.Kind)
	require.Contains(t, err.Error(), "after 3 attempts")
}

func TestTLS(t *testing.T) {
	f := newFixture(t)
	t.Run("unknown CA", func(t *testing.T) {
		o := f.opts()
		o.CAFile = ""
		_, err := verify.Run(t.Context(), o)
		var he *httpclient.Error
		require.ErrorAs(t, err, &he)
		require.Equal(t, httpclient.KindUnknownAuthority, he.Kind)
		require.Contains(t, option.CLI.Expand(he.Hint()), "--ca-file")
		require.Contains(t, he.Hint(), "skip_ssl_verify: true")
		require.NotContains(t, err.Error(), "attempts", "TLS trust is not retried")
	})
	for name, env := range map[string]string{"CA bundle env unset": "", "CA bundle env set": "/etc/ssl/certs/ca-certificates.crt"} {
		t.Run("CA given, "+name, func(t *testing.T) {
			for _, k := range []string{"AWS_CA_BUNDLE", "SSL_CERT_FILE"} {
				t.Setenv(k, env)
				if env == "" {
					require.NoError(t, os.Unsetenv(k))
				}
			}
			res, err := verify.Run(t.Context(), f.opts())
			require.NoError(t, err)
			require.False(t, res.InsecureTLS)
		})
	}
	t.Run("skip_ssl_verify", func(t *testing.T) {
		o := f.opts()
		o.CAFile = ""
		o.SkipTLSVerify = true
		res, err := verify.Run(t.Context(), o)
		require.NoError(t, err)
		require.True(t, res.InsecureTLS, "insecure TLS must be reported")
	})
	t.Run("name mismatch", func(t *testing.T) {
		g := newFixture(t, "images.example.com")
		_, err := verify.Run(t.Context(), g.opts())
		var he *httpclient.Error
		require.ErrorAs(t, err, &he)
		require.Equal(t, httpclient.KindHostname, he.Kind)
		require.Contains(t, he.Hint(), "images.example.com")
	})
	t.Run("bad CA file", func(t *testing.T) {
		o := f.opts()
		o.CAFile = "/nonexistent/ca.pem"
		_, err := verify.Run(t.Context(), o)
		var ce *httpclient.CAFileError
		require.ErrorAs(t, err, &ce)
		require.Contains(t, err.Error(), "/nonexistent/ca.pem")
	})
}

func TestStall(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // runs before the server closes
	stall := func(n int32, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(image)))
		_, _ = w.Write(image[:1<<20])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	t.Run("mid-body", func(t *testing.T) {
		f.srv.serve(stall)
		o := f.opts()
		o.StallTimeout = 300 * time.Millisecond
		o.Retries = -1
		start := time.Now()
		_, err := verify.Run(t.Context(), o)
		var se *verify.StallError
		require.ErrorAs(t, err, &se)
		require.Contains(t, err.Error(), "stalled")
		require.Contains(t, err.Error(), "timeout")
		require.Equal(t, "reading the body", se.Phase)
		require.GreaterOrEqual(t, se.Read, int64(1<<20))
		require.NotEmpty(t, se.Hint())
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("no headers", func(t *testing.T) {
		f.srv.serve(func(_ int32, _ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		o := f.opts()
		o.StallTimeout = 200 * time.Millisecond
		o.Retries = -1
		_, err := verify.Run(t.Context(), o)
		var se *verify.StallError
		require.ErrorAs(t, err, &se)
		require.Equal(t, "waiting for the response", se.Phase)
	})
	t.Run("stall then success", func(t *testing.T) {
		f.srv.requests.Store(0)
		f.srv.serve(func(n int32, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				stall(n, w, r)
				return
			}
			serveBytes(image, false)(n, w, r)
		})
		o := f.opts()
		o.StallTimeout = 300 * time.Millisecond
		res, err := verify.Run(t.Context(), o)
		require.NoError(t, err)
		require.Equal(t, 2, res.Attempts)
	})
	t.Run("slow but steady is not a stall", func(t *testing.T) {
		small := image[:64<<10]
		f.srv.serve(func(_ int32, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(small)))
			for i := 0; i < len(small); i += 8 << 10 {
				_, _ = w.Write(small[i : i+8<<10])
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond) // 8 × 100 ms > StallTimeout in total
			}
		})
		o := f.opts()
		o.Size, o.Digest = int64(len(small)), sum256(small)
		// each gap is a fifth of the timeout, so a loaded machine's
		// scheduling delays do not turn it into a stall
		o.StallTimeout = 500 * time.Millisecond
		o.Retries = -1
		_, err := verify.Run(t.Context(), o)
		require.NoError(t, err)
	})
}

func TestInputErrors(t *testing.T) {
	good := verify.Options{URL: "https://h/x.iso", Size: 1, Digest: sum256([]byte("x"))}
	for name, tc := range map[string]struct {
		edit func(*verify.Options)
		want string
	}{
		"http":        {func(o *verify.Options) { o.URL = "http://h/x.iso" }, "requires https"},
		"credentials": {func(o *verify.Options) { o.URL = "https://u:p@h/x.iso" }, "credentials"},
		"ftp":         {func(o *verify.Options) { o.URL = "ftp://h/x.iso" }, "not https"},
		"relative":    {func(o *verify.Options) { o.URL = "x.iso" }, "not an absolute URL"},
		"size":        {func(o *verify.Options) { o.Size = 0 }, "file_size 0"},
		"digest":      {func(o *verify.Options) { o.Digest = "abc" }, "not a sha256sum hex digest"},
		"algorithm":   {func(o *verify.Options) { o.Algorithm = "md5sum" }, "not supported"},
		"sha512 len":  {func(o *verify.Options) { o.Algorithm = "sha512sum" }, "not a sha512sum hex digest"},
	} {
		t.Run(name, func(t *testing.T) {
			o := good
			tc.edit(&o)
			_, err := verify.Run(t.Context(), o)
			var ie *verify.InputError
			require.ErrorAs(t, err, &ie)
			require.Contains(t, err.Error(), tc.want)
			require.NotEmpty(t, ie.Hint())
			require.NotContains(t, err.Error(), "u:p")
		})
	}
}

// http:// is allowed when certificate checks are off, as the portal does.
func TestHTTPWithSkip(t *testing.T) {
	o := &origin{t: t}
	srv := &http.Server{Handler: o}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	res, err := verify.Run(t.Context(), verify.Options{URL: "http://" + ln.Addr().String() + "/x.iso",
		Size: int64(len(image)), Digest: sum256(image), SkipTLSVerify: true})
	require.NoError(t, err)
	require.True(t, res.InsecureTLS)
}

func TestRedact(t *testing.T) {
	require.Equal(t, "https://h/a/b.iso?…", httpclient.Redact("https://u:p@h/a/b.iso?X-Amz-Signature=abc#f"))
	require.Equal(t, "https://h/a/b.iso", httpclient.Redact("https://h/a/b.iso"))
}

// noWait is an injected sleep: retries happen at once.
func noWait(context.Context, time.Duration) error { return nil }

type countingReporter struct{ bytes atomic.Int64 }

func (c *countingReporter) Start(string, int64) progress.Task { return &countingTask{c} }

type countingTask struct{ c *countingReporter }

func (t *countingTask) Add(n int64) { t.c.bytes.Add(n) }
func (t *countingTask) Done()       {}
