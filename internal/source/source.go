// Package source gets the vendor ISO onto local disk for the remaster stage.
// A local path is used as it is. An https:// URL is downloaded anonymously
// through package httpclient (the same CA file as everywhere); an
// s3://bucket/key object through an [Opener] (publish.S3, so the AWS default
// chain and the same CA file apply) — the scheduled-rebuild path, since
// VMware's own downloads need a login. A download is streamed once into a temp
// file beside the output, its size is checked against Content-Length or the
// object size, and [File.Remove] deletes it when the remaster is done.
//
// It does not retry, resume or cache downloads, and it never sends
// credentials over https:// (a presigned URL carries its own; its query
// string is never printed).
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
)

// Opener opens s3://bucket/key; publish.S3 is one.
type Opener interface {
	Open(ctx context.Context, bucket, key string) (body io.ReadCloser, size int64, err error)
}

// Options configure [Fetch].
type Options struct {
	Input    string // a path, https://host/path, or s3://bucket/key
	Dir      string // where a download goes: the output's directory
	CAFile   string // extra trusted CAs for https://
	S3       Opener // required for s3://
	Client   *http.Client
	Progress progress.Reporter
}

// File is the vendor ISO on local disk.
type File struct {
	Path string // what to read
	Name string // base name of the source, for the YAML and messages
	Size int64
	Temp bool // downloaded: Remove deletes it
}

// Remove deletes a downloaded file; it does nothing for a local input and is
// safe to call more than once.
func (f *File) Remove() {
	if f != nil && f.Temp {
		_ = os.Remove(f.Path)
		f.Temp = false
	}
}

// IsRemote reports whether input is an https:// or s3:// source.
func IsRemote(input string) bool {
	return strings.HasPrefix(input, "https://") || strings.HasPrefix(input, "s3://") || strings.HasPrefix(input, "http://")
}

// Name is the base name of input, without a URL's query string.
func Name(input string) string {
	if IsRemote(input) {
		if u, err := url.Parse(input); err == nil {
			return path.Base(u.Path)
		}
	}
	return filepath.Base(input)
}

// Check returns an error when input is a remote source this package cannot fetch.
func Check(input string) error {
	switch {
	case strings.HasPrefix(input, "http://"):
		return &option.Error{Option: "iso", Msg: fmt.Sprintf("%s: plain http is not accepted", httpclient.Redact(input)), Fix: "use https://, or s3://bucket/key"}
	case strings.HasPrefix(input, "s3://"):
		_, _, err := ParseS3(input)
		return err
	case strings.HasPrefix(input, "https://"):
		u, err := url.Parse(input)
		if err != nil || u.Host == "" || path.Base(u.Path) == "/" || path.Base(u.Path) == "." {
			return &option.Error{Option: "iso", Msg: fmt.Sprintf("%s is not a URL of a file", httpclient.Redact(input)), Fix: "give the https:// URL of the ISO"}
		}
		if u.User != nil {
			return &option.Error{Option: "iso", Msg: "the URL carries user:password@", Fix: "use a presigned URL, or s3://bucket/key with AWS credentials"}
		}
	}
	return nil
}

// ParseS3 splits s3://bucket/key.
func ParseS3(input string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(input, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" || strings.HasSuffix(key, "/") {
		return "", "", &option.Error{Option: "iso", Msg: fmt.Sprintf("%q is not s3://bucket/key", input), Fix: "give the object as s3://bucket/path/to/VMware-VMvisor-Installer.iso"}
	}
	return bucket, key, nil
}

// Fetch returns the local file for o.Input, downloading it when it is remote.
func Fetch(ctx context.Context, o Options) (*File, error) {
	if !IsRemote(o.Input) {
		st, err := os.Stat(o.Input)
		if err != nil {
			return nil, err
		}
		return &File{Path: o.Input, Name: filepath.Base(o.Input), Size: st.Size()}, nil
	}
	if err := Check(o.Input); err != nil {
		return nil, err
	}
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	body, size, err := open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return save(ctx, o, body, size)
}

func open(ctx context.Context, o Options) (io.ReadCloser, int64, error) {
	if bucket, key, err := ParseS3(o.Input); err == nil {
		if o.S3 == nil {
			return nil, 0, errors.New("source: s3:// input without an S3 client (bug)")
		}
		return o.S3.Open(ctx, bucket, key)
	}
	client := o.Client
	if client == nil {
		var err error
		if client, err = httpclient.New(httpclient.Options{CAFile: o.CAFile}); err != nil {
			return nil, 0, err
		}
	}
	req, err := httpclient.NewGet(ctx, o.Input, "")
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", httpclient.Redact(o.Input), err)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL may hold a presigned signature
		}
		return nil, 0, fmt.Errorf("GET %s: %w", httpclient.Redact(o.Input), httpclient.Describe(err))
	}
	if resp.StatusCode != http.StatusOK {
		httpclient.DrainClose(resp.Body)
		return nil, 0, &HTTPError{URL: httpclient.Redact(o.Input), StatusCode: resp.StatusCode, Status: resp.Status}
	}
	return resp.Body, resp.ContentLength, nil
}

// save streams body into a temp file in o.Dir and checks its size (size < 0:
// unknown, not checked).
func save(ctx context.Context, o Options, body io.Reader, size int64) (*File, error) {
	name := Name(o.Input)
	f, err := os.CreateTemp(o.Dir, "."+name+".download-*")
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", httpclient.Redact(o.Input), err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	task := o.Progress.Start("downloading "+httpclient.Redact(o.Input), max(size, 0))
	defer task.Done()
	n, err := io.CopyBuffer(io.MultiWriter(f, progress.Writer{T: task}), body, make([]byte, 1<<20))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("download %s: broke off after %s: %w", httpclient.Redact(o.Input), progress.Bytes(n), httpclient.Describe(err))
	}
	if size >= 0 && n != size {
		return nil, &SizeError{URL: httpclient.Redact(o.Input), Want: size, Got: n}
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("download %s: %w", httpclient.Redact(o.Input), err)
	}
	ok = true
	return &File{Path: f.Name(), Name: name, Size: n, Temp: true}, nil
}

// HTTPError is a download answered with a status other than 200.
type HTTPError struct {
	URL        string // redacted
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// Hint implements the CLI's fix line.
func (e *HTTPError) Hint() string {
	switch e.StatusCode {
	case http.StatusForbidden, http.StatusUnauthorized:
		return "the server refused an anonymous download: use a fresh presigned URL, or s3://bucket/key with AWS credentials"
	case http.StatusNotFound:
		return "check the {iso} URL: nothing is there"
	}
	return "the server could not serve the ISO: check the {iso} URL and try again"
}

// SizeError is a download whose length differs from what the server announced.
type SizeError struct {
	URL       string // redacted
	Want, Got int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("download %s: got %d bytes, the server announced %d", e.URL, e.Got, e.Want)
}

// Hint implements the CLI's fix line.
func (e *SizeError) Hint() string { return "the download was cut short: try again" }
