package artifact

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// blockSize is the size of one Put Block; a variable so tests can force
// several blocks.
var blockSize = 4 << 20

// azureVersion is the Azure Storage REST version the blob requests speak.
const azureVersion = "2023-11-03"

// putBlob uploads data to the signed block-blob URL: one Put Block per
// blockSize bytes, then a Put Block List that commits them in order.
func (c *client) putBlob(ctx context.Context, signed string, data []byte) error {
	u, err := url.Parse(signed)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &Error{Op: "upload blob", Status: http.StatusOK, Msg: "CreateArtifact returned an unusable signed_upload_url"}
	}
	sig := u.Query().Get("sig")
	var list strings.Builder
	list.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for i, off := 0, 0; off < len(data); i++ {
		end := min(off+blockSize, len(data))
		// Block ids must all have the same length within a blob.
		id := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "esxi-byoi-block-%06d", i))
		if err := c.put(ctx, u, "&comp=block&blockid="+url.QueryEscape(id), data[off:end], nil, sig); err != nil {
			return err
		}
		list.WriteString("<Latest>" + id + "</Latest>")
		off = end
	}
	list.WriteString("</BlockList>")
	return c.put(ctx, u, "&comp=blocklist", []byte(list.String()), map[string]string{
		"Content-Type":           "application/xml",
		"x-ms-blob-content-type": "application/zip",
	}, sig)
}

// put sends one PUT to the blob URL with query appended and expects 201,
// retrying answers that may pass (Put Block and Put Block List are idempotent).
func (c *client) put(ctx context.Context, blob *url.URL, query string, body []byte, header map[string]string, sig string) error {
	return withRetry(ctx, func() error { return c.putOnce(ctx, blob, query, body, header, sig) })
}

func (c *client) putOnce(ctx context.Context, blob *url.URL, query string, body []byte, header map[string]string, sig string) error {
	u := *blob
	u.RawQuery = strings.TrimPrefix(u.RawQuery+query, "&")
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(body))
	if err != nil {
		return &Error{Op: "upload blob", Msg: "cannot build the request"}
	}
	req.Header.Set("x-ms-version", azureVersion)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	httpclient.SetUserAgent(req, "")
	resp, err := c.hc.Do(req)
	if err != nil {
		return &Error{Op: "upload blob", Err: scrub(httpclient.Describe(err), c.token, sig)}
	}
	defer httpclient.DrainClose(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		return nil
	}
	// Azure answers <Error><Code>…</Code><Message>…</Message></Error>.
	var ae struct{ Code, Message string }
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if xml.Unmarshal(b, &ae) != nil {
		ae.Message = strings.TrimSpace(string(b[:min(len(b), 200)]))
	}
	msg := redact(redact(strings.TrimSpace(strings.SplitN(ae.Message, "\n", 2)[0]), c.token), sig)
	return &Error{Op: "upload blob", Status: resp.StatusCode, Code: ae.Code, Msg: msg,
		After: retry.ParseAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// scrub hides the token and the URL's signature from a transport error. A
// *url.Error names the request URL, whose query holds the SAS signature.
func scrub(err error, token, sig string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.RawQuery != "" {
			u.RawQuery = "REDACTED"
			ue.URL = u.String()
		}
	}
	if s := err.Error(); (token != "" && strings.Contains(s, token)) || (sig != "" && strings.Contains(s, sig)) {
		return errors.New(redact(redact(s, token), sig))
	}
	return err
}

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "***")
}
