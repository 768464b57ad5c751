package portal_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/portal/portaltest"
)

// A 403 names the operation the role lacks and carries the portal's own
// message.
func TestForbiddenNamesTheOperation(t *testing.T) {
	f := portaltest.New(t)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	reg, err := c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.NoError(t, err)
	f.Forbid("Service_updatehealth")
	_, err = c.Health(t.Context(), reg.ID, portal.HealthOptions{Timeout: time.Second})
	var ae *portal.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusForbidden, ae.Status)
	require.EqualError(t, err, "portal: trigger download health check of service "+reg.ID+": 403 Forbidden: "+
		"the API client's role lacks the right to trigger download health check of service "+reg.ID+": forbidden: role lacks permission for Service_updatehealth")
	require.Contains(t, ae.Hint(), "ask a GreenLake administrator for a role")
}

// HPE's spec lists no 403 for POST /services, yet creating an OS image needs
// the Hoster or BMaaS Access Owner role, so a real portal may send one; the
// client then leaves the body undecoded. This one-route server (not the
// spec-checked fake, which would reject an answer outside the spec) shows
// the user the portal's message, not its raw JSON.
func TestForbiddenOutsideTheSpecPrintsTheMessage(t *testing.T) {
	ca := tlstest.NewCA(t, "403 portal CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, "[]")
			return
		}
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"message":"role Consumer cannot create OS images"}`)
	}))
	c, err := portal.New(portal.Config{RestURL: srv.URL + "/api/metal", ProjectID: "p", Token: secretOf("ready-token-0123456789"), CAFile: ca.WriteFile(t)})
	require.NoError(t, err)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.EqualError(t, err, "portal: create service: 403 Forbidden: the API client's role lacks the right to create service: role Consumer cannot create OS images")
}

// The portal's 405 (its validator refusing a YAML, as 400 does) reaches the
// user word for word; so do a 404 and a 409 on update.
func TestPortalMessagesReachTheUser(t *testing.T) {
	f := portaltest.New(t)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	p := writeYAML(t, t.TempDir(), "8.0U3", 1000)

	f.FailNext("Service_add", http.StatusMethodNotAllowed, "Invalid input: svc_category must be one of OS, Application")
	_, err = c.Register(t.Context(), p)
	require.EqualError(t, err, "portal: create service: 405 Method Not Allowed: Invalid input: svc_category must be one of OS, Application")
	var ae *portal.APIError
	require.ErrorAs(t, err, &ae)
	require.Contains(t, ae.Hint(), "the portal's validator refused the service YAML")

	reg, err := c.Register(t.Context(), p)
	require.NoError(t, err)
	f.FailNext("Service_update", http.StatusConflict, "ETag mismatch")
	_, err = c.Register(t.Context(), p)
	require.EqualError(t, err, "portal: update service "+reg.ID+": 409 Conflict: ETag mismatch")

	f.FailNext("Service_update", http.StatusNotFound, "service not found")
	_, err = c.Register(t.Context(), p)
	require.EqualError(t, err, "portal: update service "+reg.ID+": 404 Not Found: service not found")
}

// A ready token the portal echoes in an error answer (as some gateways do:
// "invalid token …") is cut from the message.
func TestEchoedTokenIsRedacted(t *testing.T) {
	f := portaltest.New(t)
	cfg := config(f)
	cfg.UserSecret = secretOf("")
	tok := f.IssueToken(time.Hour)
	cfg.Token = secretOf(tok)
	c, err := portal.New(cfg)
	require.NoError(t, err)
	f.FailNext("Service_add", http.StatusBadRequest, "bad request with Authorization: Bearer "+tok)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.ErrorContains(t, err, "400 Bad Request: bad request with Authorization: Bearer ***")
	require.NotContains(t, err.Error(), tok)
}

// An IAM endpoint that echoes the client secret (in error_description, or in a
// body that is not OAuth2 JSON) never brings it into the error.
func TestIAMEchoOfTheSecretIsRedacted(t *testing.T) {
	const secret = "distinctive+Secret/4711="
	for name, body := range map[string]struct{ ct, body string }{
		"oauth2 json": {"application/json", `{"error":"invalid_request","error_description":"client_secret ` + secret + ` is malformed"}`},
		"html page":   {"text/html", "<html>refused client_secret=" + secret + "</html>"},
		"echoed form": {"application/json", `{"error":"invalid_request","error_description":"bad form: client_secret=` + url.QueryEscape(secret) + `&scope=hpe-tenant"}`},
	} {
		t.Run(name, func(t *testing.T) {
			ca := tlstest.NewCA(t, "echoing IAM CA")
			iam := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				require.Equal(t, secret, r.PostForm.Get("client_secret"))
				w.Header().Set("Content-Type", body.ct)
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, body.body)
			}))
			c, err := portal.New(portal.Config{RestURL: "https://portal.invalid/api/metal", ProjectID: "p", IAMURL: iam.URL,
				UserID: "id", UserSecret: secretOf(secret), CAFile: ca.WriteFile(t)})
			require.NoError(t, err)
			_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
			var ie *portal.IAMError
			require.ErrorAs(t, err, &ie)
			require.Contains(t, err.Error(), iam.URL+"/v1/token")
			require.NotContains(t, err.Error(), secret)
			require.NotContains(t, err.Error(), url.QueryEscape(secret))
			require.NotContains(t, ie.Hint(), secret)
		})
	}
}

// A URL with a password is refused without printing the password.
func TestConfigURLWithPasswordIsRedacted(t *testing.T) {
	c := portal.Config{RestURL: "https://user:hunter2-pw@portal.example.com/api/metal", ProjectID: "p",
		IAMURL: "https://u:iam-pw@iam.example.com", UserID: "id", UserSecret: secretOf("s")}
	err := c.Validate()
	require.ErrorContains(t, err, "HPEGL_METAL_REST_URL")
	require.ErrorContains(t, err, "HPEGL_IAM_SERVICE_URL")
	require.ErrorContains(t, err, "want an https:// URL without user:password")
	require.NotContains(t, err.Error(), "hunter2-pw")
	require.NotContains(t, err.Error(), "iam-pw")
}

// A Terraform environment with both HPEGL_METAL_PROJECT_ID and
// HPEGL_METAL_SPACE_NAME works as it does for HPE's provider: both headers
// go on every request.
func TestBothScopesSendBothHeaders(t *testing.T) {
	var got []http.Header
	ca := tlstest.NewCA(t, "header portal CA")
	srv := tlstest.NewServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "[]")
	}))
	cfg := portal.Config{RestURL: srv.URL + "/api/metal", ProjectID: "proj-1", SpaceName: "Default",
		Token: secretOf("ready-token-0123456789"), CAFile: ca.WriteFile(t)}
	require.NoError(t, cfg.Validate())
	c, err := portal.New(cfg)
	require.NoError(t, err)
	id, err := c.Find(t.Context(), "ESXi", "8.0U3")
	require.NoError(t, err)
	require.Empty(t, id)
	require.Len(t, got, 1)
	require.Equal(t, "proj-1", got[0].Get("Project"))
	require.Equal(t, "Default", got[0].Get("Space"))
	require.Equal(t, "Bearer ready-token-0123456789", got[0].Get("Authorization"))

	t.Run("space alone", func(t *testing.T) {
		got = nil
		cfg.ProjectID = ""
		c, err := portal.New(cfg)
		require.NoError(t, err)
		_, err = c.Find(t.Context(), "ESXi", "8.0U3")
		require.NoError(t, err)
		require.Equal(t, "Default", got[0].Get("Space"))
		require.Empty(t, got[0].Values("Project"))
	})
}

// A portal certificate from a CA not trusted (no --ca-file) points at
// --ca-file, as an IAM one does; an IAM endpoint that never answers is a
// timeout naming it.
func TestPortalTLSAndIAMTimeout(t *testing.T) {
	f := portaltest.New(t)
	cfg := config(f)
	cfg.CAFile = ""
	cfg.UserSecret = secretOf("")
	cfg.Token = secretOf(f.IssueToken(time.Hour))
	c, err := portal.New(cfg)
	require.NoError(t, err)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	var te *portal.TransportError
	require.ErrorAs(t, err, &te)
	require.ErrorContains(t, err, "portal: list services: TLS: server certificate signed by an unknown authority")
	require.Equal(t, portal.HintCAFile, te.Hint())

	ca := tlstest.NewCA(t, "silent IAM CA")
	iam := tlstest.NewServer(t, ca, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	c, err = portal.New(portal.Config{RestURL: "https://portal.invalid/api/metal", ProjectID: "p", IAMURL: iam.URL, UserID: "id",
		UserSecret: secretOf("iam-secret-0815"), CAFile: ca.WriteFile(t), RequestTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Register(t.Context(), writeYAML(t, t.TempDir(), "8.0U3", 1000))
	require.ErrorAs(t, err, &te)
	require.ErrorContains(t, err, "get a token from "+iam.URL+"/v1/token for list services")
	require.ErrorContains(t, err, "timed out")
	require.Contains(t, te.Hint(), "did not answer in time")
	require.NotContains(t, err.Error(), "iam-secret-0815")
}

// No formatting of a Config or a Client shows the secret or the token.
func TestConfigAndClientFormatWithoutSecrets(t *testing.T) {
	cfg := portal.Config{RestURL: "https://portal.example.com/api/metal", ProjectID: "p", IAMURL: "https://iam.example.com",
		UserID: "id", UserSecret: secretOf("fmt-secret-0815"), Token: secretOf("fmt-token-4711")}
	c, err := portal.New(cfg)
	require.NoError(t, err)
	j, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), fmt.Sprintf("%v %+v %#v", c, c, c), string(j)} {
		require.NotContains(t, s, "fmt-secret-0815")
		require.NotContains(t, s, "fmt-token-4711")
	}
}

// Two portal services with the YAML's svc_flavor and svc_ver: register
// cannot tell which to update, names both and uploads nothing.
func TestRegisterAmbiguous(t *testing.T) {
	f := portaltest.New(t)
	c, err := portal.New(config(f))
	require.NoError(t, err)
	p := writeYAML(t, t.TempDir(), "8.0U3", 1000)
	first, err := c.Register(t.Context(), p)
	require.NoError(t, err)

	// A second service with the same flavor and version, made outside esxi-byoi.
	y, err := os.ReadFile(p)
	require.NoError(t, err)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("fileName", "dup.yml")
	require.NoError(t, err)
	_, _ = part.Write(y)
	require.NoError(t, mw.Close())
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.RestURL+"/rest/v1/services", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+f.IssueToken(time.Hour))
	req.Header.Set("Project", f.ProjectID)
	hc, err := httpclient.New(httpclient.Options{CAFile: f.CAFile})
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	ids := f.ServiceIDs()
	require.Len(t, ids, 2)

	_, err = c.Register(t.Context(), p)
	var ae *portal.AmbiguousError
	require.ErrorAs(t, err, &ae)
	require.ElementsMatch(t, ids, ae.IDs)
	require.Contains(t, ae.IDs, first.ID)
	require.ErrorContains(t, err, `2 services have svc_flavor "ESXi"`)
	require.Equal(t, 0, f.Calls("Service_update"), "nothing uploaded")
}
