package artifact

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// ErrNoRuntime means the Actions runtime token or results URL is absent: the
// step does not run in a GitHub Actions job (or the runner is too old for
// artifact v4). The caller warns and continues.
var ErrNoRuntime = errors.New("artifact: no Actions runtime (ACTIONS_RUNTIME_TOKEN or ACTIONS_RESULTS_URL is unset)")

// Service is the Twirp service path of the artifact API.
const Service = "/twirp/github.actions.results.api.v1.ArtifactService/"

// File is one file of an artifact.
type File struct {
	Name string // path inside the zip, "/"-separated, relative
	Data []byte
}

// Options say what to upload where.
type Options struct {
	RuntimeToken  string // ACTIONS_RUNTIME_TOKEN: secret, never logged and never in errors
	ResultsURL    string // ACTIONS_RESULTS_URL
	Name          string // artifact name, unique within the run
	Files         []File // zipped into one archive, in this order
	RetentionDays int    // 0: the repository default
	HTTPClient    *http.Client
	Now           func() time.Time // for expires_at; nil: time.Now
}

// Result describes the uploaded artifact.
type Result struct {
	ID     int64  // artifact id, as in the run page's download URL
	Size   int64  // zip size in bytes
	SHA256 string // lower-case hex SHA-256 of the zip
}

// Upload zips o.Files and uploads them as artifact o.Name of the current
// job. It returns [ErrNoRuntime] when the token or URL is absent, and
// otherwise an *[OptionsError], a *[TokenError] or an *[Error]; no error
// contains the runtime token or the blob URL's signature.
func Upload(ctx context.Context, o Options) (*Result, error) {
	if o.RuntimeToken == "" || o.ResultsURL == "" {
		return nil, ErrNoRuntime
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	run, job, err := BackendIDs(o.RuntimeToken)
	if err != nil {
		return nil, err
	}
	zip, err := Zip(o.Files)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zip)
	res := &Result{Size: int64(len(zip)), SHA256: hex.EncodeToString(sum[:])}

	c, err := o.client()
	if err != nil {
		return nil, err
	}
	create := map[string]any{
		"workflow_run_backend_id":     run,
		"workflow_job_run_backend_id": job,
		"name":                        o.Name,
		"version":                     4,
	}
	if o.RetentionDays > 0 {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		create["expires_at"] = now().UTC().Add(time.Duration(o.RetentionDays) * 24 * time.Hour).Format(time.RFC3339Nano)
	}
	var created struct {
		OK       bool   `json:"ok"`
		URL      string `json:"signed_upload_url"`
		CamelURL string `json:"signedUploadUrl"`
	}
	if err := c.twirp(ctx, "CreateArtifact", create, &created); err != nil {
		return nil, err
	}
	signed := cmp.Or(created.URL, created.CamelURL)
	if !created.OK || signed == "" {
		return nil, &Error{Op: "create artifact", Status: http.StatusOK, Msg: "response is not ok or has no signed_upload_url"}
	}
	if err := c.putBlob(ctx, signed, zip); err != nil {
		return nil, err
	}
	var final struct {
		OK    bool     `json:"ok"`
		ID    *flexInt `json:"artifact_id"`
		Camel *flexInt `json:"artifactId"`
	}
	err = c.twirp(ctx, "FinalizeArtifact", map[string]any{
		"workflow_run_backend_id":     run,
		"workflow_job_run_backend_id": job,
		"name":                        o.Name,
		"size":                        strconv.FormatInt(res.Size, 10), // proto3 JSON writes int64 as a string
		"hash":                        "sha256:" + res.SHA256,
	}, &final)
	if err != nil {
		return nil, err
	}
	id := final.ID
	if id == nil {
		id = final.Camel
	}
	if !final.OK || id == nil {
		return nil, &Error{Op: "finalize artifact", Status: http.StatusOK, Msg: "response is not ok or has no artifact_id"}
	}
	res.ID = int64(*id)
	return res, nil
}

// BackendIDs returns the workflow run and job backend ids from the
// "Actions.Results:<run>:<job>" scope in the scp claim of an Actions runtime
// token. It does not verify the token's signature.
func BackendIDs(token string) (run, job string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", "", &TokenError{Reason: "not a JWT (want three dot-separated parts)"}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", "", &TokenError{Reason: "JWT payload is not base64url"}
	}
	var claims struct {
		Scp any `json:"scp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", "", &TokenError{Reason: "JWT payload is not a JSON object"}
	}
	var scopes []string
	switch v := claims.Scp.(type) {
	case string:
		scopes = strings.Fields(v)
	case []any: // not what GitHub sends, but a valid JWT scope form
		for _, s := range v {
			if str, ok := s.(string); ok {
				scopes = append(scopes, str)
			}
		}
	}
	for _, s := range scopes {
		f := strings.Split(s, ":")
		if len(f) == 3 && f[0] == "Actions.Results" && f[1] != "" && f[2] != "" {
			return f[1], f[2], nil
		}
	}
	return "", "", &TokenError{Reason: "no Actions.Results:<run>:<job> scope in the scp claim"}
}

func (o Options) check() error {
	if o.Name == "" || strings.ContainsAny(o.Name, "\":<>|*?\r\n\\/") {
		return &OptionsError{Field: "name", Reason: fmt.Sprintf("%q is empty or has one of \" : < > | * ? \\ / CR LF", o.Name)}
	}
	if len(o.Files) == 0 {
		return &OptionsError{Field: "files", Reason: "no files to upload"}
	}
	if o.RetentionDays < 0 {
		return &OptionsError{Field: "retention-days", Reason: fmt.Sprintf("%d is negative", o.RetentionDays)}
	}
	return nil
}

type client struct {
	hc    *http.Client
	base  string // results URL without a trailing slash
	token string
}

func (o Options) client() (*client, error) {
	u, err := url.Parse(o.ResultsURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, &OptionsError{Field: "results-url", Reason: "ACTIONS_RESULTS_URL is not an http(s) URL without credentials"}
	}
	hc := o.HTTPClient
	if hc == nil {
		// No whole-request timeout: a large zip takes as long as it takes;
		// httpclient's per-phase timeouts catch a dead peer.
		if hc, err = httpclient.New(httpclient.Options{}); err != nil {
			return nil, fmt.Errorf("artifact client: %w", err)
		}
	}
	return &client{hc: hc, base: strings.TrimRight(o.ResultsURL, "/"), token: o.RuntimeToken}, nil
}

// twirp POSTs in as JSON to method and decodes the answer into out,
// retrying answers that may pass.
func (c *client) twirp(ctx context.Context, method string, in, out any) error {
	return withRetry(ctx, func() error { return c.twirpOnce(ctx, method, in, out) })
}

func (c *client) twirpOnce(ctx context.Context, method string, in, out any) error {
	op := map[string]string{"CreateArtifact": "create artifact", "FinalizeArtifact": "finalize artifact"}[method]
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("artifact: encode %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+Service+method, bytes.NewReader(b))
	if err != nil {
		return &OptionsError{Field: "results-url", Reason: "ACTIONS_RESULTS_URL does not make a request URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	httpclient.SetUserAgent(req, "")
	resp, err := c.hc.Do(req)
	if err != nil {
		return &Error{Op: op, Err: scrub(httpclient.Describe(err), c.token, "")}
	}
	defer httpclient.DrainClose(resp.Body)
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Err: scrub(httpclient.Describe(err), c.token, "")}
	}
	if resp.StatusCode != http.StatusOK {
		var te struct{ Code, Msg string }
		if json.Unmarshal(body, &te) != nil || te.Code == "" {
			te.Msg = strings.TrimSpace(string(body[:min(len(body), 200)]))
		}
		return &Error{Op: op, Status: resp.StatusCode, Code: te.Code, Msg: redact(te.Msg, c.token),
			After: retry.ParseAfter(resp.Header.Get("Retry-After"), time.Now())}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Msg: "response is not the expected JSON"}
	}
	return nil
}

// flexInt is a proto3 JSON int64: a number or a decimal string.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("artifact id %s is not an integer", b)
	}
	*f = flexInt(n)
	return nil
}
