// Package s3test runs a real S3-compatible server for tests: versitygw with
// its posix backend on a temp directory, over TLS with a throwaway CA, one
// bucket, and a bucket policy that lets anyone GET objects under PublicPrefix
// (and nothing under PrivatePrefix). Addressing is path-style.
//
// It sets nothing global: tests call [Server.SetEnv] (t.Setenv) or pass the
// fields themselves. The versitygw binary comes from $VERSITYGW or the cache
// scripts/versitygw.sh fills (~/.cache/esxi-byoi/bin/versitygw); without it a
// test fails, it is never skipped. For tests only.
package s3test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is a running versitygw.
type Server struct {
	Endpoint      string // https://127.0.0.1:PORT
	Region        string
	Bucket        string
	PublicPrefix  string // "public/": anonymous s3:GetObject allowed
	PrivatePrefix string // "private/": no anonymous access
	CAFile        string // PEM of the CA that signed the server certificate
	AccessKey     string
	SecretKey     string
	DataDir       string // posix backend root: DataDir/Bucket/KEY is the object's file
	AccessLog     string // versitygw's access log: one line per request, with its operation

	t    testing.TB
	bin  string
	addr string
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary returns the versitygw binary to use, or an error that says how to get it.
func Binary() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$VERSITYGW: %w: run scripts/test.sh (it builds versitygw)", err)
		}
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(cache, "esxi-byoi", "bin", "versitygw")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("versitygw not found at %s (or $VERSITYGW): run scripts/test.sh (it builds versitygw)", p)
	}
	return p, nil
}

// Start starts a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &Server{
		Region: "us-east-1", Bucket: "esxi-byoi", PublicPrefix: "public/", PrivatePrefix: "private/",
		AccessKey: "rig-access-" + randHex(t, 4), SecretKey: "rig-secret-" + randHex(t, 16),
		DataDir: filepath.Join(dir, "data"), AccessLog: filepath.Join(dir, "access.log"),
		t: t, bin: bin, dir: dir,
	}
	if err := os.Mkdir(s.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.CAFile = writeCerts(t, dir)
	t.Cleanup(s.Stop)
	var last error
	for range 3 { // a free port can be taken between probing and listening
		s.addr = freeAddr(t)
		s.Endpoint = "https://" + s.addr
		if last = s.start(); last == nil {
			break
		}
	}
	if last != nil {
		t.Fatal(last)
	}
	s.setup()
	return s
}

func (s *Server) start() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "versitygw.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(s.bin, "--port", s.addr,
		"--cert", filepath.Join(s.dir, "server.pem"), "--key", filepath.Join(s.dir, "server.key"),
		"--keep-alive", "--health", "/health", "--quiet", "--access-log", s.AccessLog,
		"posix", s.DataDir)
	cmd.Env = append(cleanEnv(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey, "VGW_REGION="+s.Region)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	if err := s.waitHealthy(done); err != nil {
		s.Kill()
		b, _ := os.ReadFile(filepath.Join(s.dir, "versitygw.log"))
		return fmt.Errorf("versitygw did not come up on %s: %w\n%s", s.addr, err, b)
	}
	return nil
}

// cleanEnv is the environment without VGW_* settings that could change the
// server under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			env = append(env, kv)
		}
	}
	return env
}

func (s *Server) waitHealthy(exited <-chan struct{}) error {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLSConfig()}, Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("versitygw exited")
		default:
		}
		resp, err := c.Get(s.Endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no healthy answer in 20s")
}

// Stop stops the server gracefully (SIGTERM, then SIGKILL after 5 s). It is
// safe to call more than once.
func (s *Server) Stop() { s.signal(syscall.SIGTERM, 5*time.Second) }

// Kill kills the server at once (SIGKILL), as a crash or a pulled cable would.
func (s *Server) Kill() { s.signal(syscall.SIGKILL, 0) }

func (s *Server) signal(sig syscall.Signal, grace time.Duration) {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, sig)
	select {
	case <-s.done:
	case <-time.After(grace):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.cmd = nil
}

// Restart starts the server again on the same address, data and keys. It
// may run in another goroutine than the test (it reports with t.Errorf).
func (s *Server) Restart() {
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Errorf("restart: %v", err)
	}
}

// TLSConfig trusts the server's CA (and nothing else).
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	b, err := os.ReadFile(s.CAFile)
	if err != nil || !pool.AppendCertsFromPEM(b) {
		s.t.Fatalf("read CA %s: %v", s.CAFile, err)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// Client is an S3 client with the root keys, for set-up and assertions. It
// reads no environment.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLSConfig()}},
		// No checksum headers on set-up calls: plain requests are enough.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// SetEnv points the AWS default chain of this test process at the server,
// with the root keys, and hides any shared config, profile, IMDS and
// AWS_CA_BUNDLE of the machine: credentials then come from the environment only.
func (s *Server) SetEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", s.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", s.Region)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(s.dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(s.dir, "no-aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
}

// ObjectPath is the posix backend's file of key: change it to simulate
// corruption behind the store's back.
func (s *Server) ObjectPath(key string) string {
	return filepath.Join(s.DataDir, s.Bucket, filepath.FromSlash(key))
}

// PublicURL is the anonymous path-style URL of key.
func (s *Server) PublicURL(key string) string {
	return s.Endpoint + "/" + s.Bucket + "/" + key
}

// Ops counts the requests per operation in the access log
// ("s3_PutObject", "s3_UploadPart", "s3_HeadObject" ...).
func (s *Server) Ops() map[string]int {
	s.t.Helper()
	f, err := os.Open(s.AccessLog)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int{}
	}
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	ops := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, w := range strings.Fields(sc.Text()) {
			if strings.HasPrefix(w, "s3_") {
				ops[w]++
				break
			}
		}
	}
	return ops
}

// Uploads lists the multipart uploads in progress in the bucket.
func (s *Server) Uploads(ctx context.Context) ([]string, error) {
	out, err := s.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(s.Bucket)})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, u := range out.Uploads {
		ids = append(ids, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
	}
	return ids, nil
}

// setup creates the bucket and its policy: anonymous GetObject under
// PublicPrefix only.
func (s *Server) setup() {
	s.t.Helper()
	ctx := context.Background()
	c := s.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		s.t.Fatalf("create bucket: %v", err)
	}
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(s.Bucket), Policy: aws.String(Policy(s.Bucket, s.PublicPrefix))}); err != nil {
		s.t.Fatalf("put bucket policy: %v", err)
	}
}

// Policy is a bucket policy allowing anonymous s3:GetObject on prefix*.
func Policy(bucket, prefix string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicReadISOs","Effect":"Allow","Principal":"*",`+
		`"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/%s*"}]}`, bucket, prefix)
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// writeCerts writes ca.pem, server.pem and server.key (for 127.0.0.1 and
// localhost) into dir and returns the CA's path.
func writeCerts(t testing.TB, dir string) string {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "esxi-byoi s3test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", "CERTIFICATE", caDER)
	write("server.pem", "CERTIFICATE", der)
	write("server.key", "EC PRIVATE KEY", kb)
	return filepath.Join(dir, "ca.pem")
}
