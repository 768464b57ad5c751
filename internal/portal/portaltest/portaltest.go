// Package portaltest is a FAKE HPE Bare Metal portal and GreenLake IAM token
// endpoint, for tests only. No real portal can run in a test, so this fake
// stands in, and it is strict: every request it receives and every response it
// sends is validated against the OpenAPI spec shipped in HPE's client module
// (v1/pkg/client/api/openapi.yaml, read from the module's own directory with
// `go list -m`, never copied), so it cannot drift from HPE's contract. An
// unknown route, a request or a response the spec does not allow fails the
// test. Behaviour the spec leaves open (which controllers exist, what they
// report and when, which token expires) is set by the test.
package portaltest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient/tlstest"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// ClientModule is HPE's client module, whose directory holds the spec.
const ClientModule = "github.com/hewlettpackard/hpegl-metal-client"

// Controller is an on-prem controller of the fake, with its site and what it
// reports after a health check is triggered.
type Controller struct {
	ID         string // a UUID
	DataCenter string
	Region     string
	Country    string // ISO 3166 alpha-3, e.g. USA
	Summary    string // OK | Warning | Critical | Unknown: the verdict after a trigger
	Reason     string
	Delay      time.Duration // how long after the trigger the report appears
	Silent     bool          // never reports after a trigger (keeps its old report)
}

// Fake is a running fake portal and IAM endpoint.
type Fake struct {
	t testing.TB

	RestURL   string // give as HPEGL_METAL_REST_URL
	IAMURL    string // give as HPEGL_IAM_SERVICE_URL
	CAFile    string // the CA of both servers (--ca-file)
	ClientID  string // the only API client id the IAM endpoint accepts
	Secret    string // its secret
	ProjectID string // the only project (a UUID)
	SpaceName string // the only space

	mu            sync.Mutex
	tokenLifetime time.Duration
	tokens        map[string]time.Time // token → expiry
	issued        int
	services      map[string]*svc
	order         []string
	controllers   []Controller
	forbidden     map[string]bool
	failNext      map[string]failure
	failToken     int            // status of the next token request's answer; 0 = answer normally
	calls         map[string]int // operationId → count (after validation)
	sizeSkew      int64          // added to every stored file_size (a portal that mangles the YAML)
	spec          *openapi3.T
	router        routers.Router
}

type svc struct {
	id, etag  string
	yaml      []byte
	s         *service.Service
	created   time.Time
	modified  time.Time
	health    map[string]healthEntry
	triggered time.Time
}

type healthEntry struct {
	Summary string
	Reason  string
	Changed time.Time
}

type failure struct {
	status  int
	message string
}

// New starts the fake portal and IAM endpoint over TLS with a fresh CA, and
// three controllers reporting OK. It loads the spec from the client module.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{
		t: t, ClientID: "esxi-byoi-test-client", Secret: "fake-secret-" + randHex(8),
		ProjectID: uuid(), SpaceName: "Default", tokenLifetime: 15 * time.Minute,
		tokens: map[string]time.Time{}, services: map[string]*svc{},
		forbidden: map[string]bool{}, failNext: map[string]failure{}, calls: map[string]int{},
		controllers: []Controller{
			{ID: uuid(), DataCenter: "FTC1", Region: "Central", Country: "USA", Summary: "OK"},
			{ID: uuid(), DataCenter: "BLR2", Region: "South", Country: "IND", Summary: "OK"},
			{ID: uuid(), DataCenter: "GVA1", Region: "West", Country: "CHE", Summary: "OK"},
		},
	}
	ca := tlstest.NewCA(t, "fake portal CA")
	f.CAFile = ca.WriteFile(t)
	metal := tlstest.NewServer(t, ca, http.HandlerFunc(f.serveMetal))
	iam := tlstest.NewServer(t, ca, http.HandlerFunc(f.serveIAM))
	f.RestURL = metal.URL + "/api/metal"
	f.IAMURL = iam.URL
	f.spec = loadSpec(t, f.RestURL+"/rest/v1")
	r, err := gorillamux.NewRouter(f.spec)
	if err != nil {
		t.Fatalf("fake portal: router: %v", err)
	}
	f.router = r
	return f
}

// Env returns the HPEGL_* environment of a project-scoped API client.
func (f *Fake) Env() map[string]string {
	return map[string]string{
		"HPEGL_METAL_REST_URL": f.RestURL, "HPEGL_METAL_PROJECT_ID": f.ProjectID,
		"HPEGL_IAM_SERVICE_URL": f.IAMURL, "HPEGL_USER_ID": f.ClientID, "HPEGL_USER_SECRET": f.Secret,
	}
}

// SetControllers replaces the controllers and what they report.
func (f *Fake) SetControllers(cs ...Controller) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range cs {
		if cs[i].ID == "" {
			cs[i].ID = uuid()
		}
	}
	f.controllers = cs
}

// Controllers returns the controllers.
func (f *Fake) Controllers() []Controller {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Controller(nil), f.controllers...)
}

// SetTokenLifetime sets the lifetime of tokens issued from now on.
func (f *Fake) SetTokenLifetime(d time.Duration) {
	f.mu.Lock()
	f.tokenLifetime = d
	f.mu.Unlock()
}

// ExpireTokens makes every token issued so far expire now, as a 15-minute
// token does in the middle of a long wait.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.tokens {
		f.tokens[k] = time.Now().Add(-time.Second)
	}
}

// TokensIssued is the number of tokens the IAM endpoint handed out.
func (f *Fake) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

// IssueToken returns a valid token, as HPEGL_IAM_TOKEN.
func (f *Fake) IssueToken(lifetime time.Duration) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newToken(lifetime)
}

// Forbid makes the API client's role lack the right to operationID (403).
func (f *Fake) Forbid(operationID string) {
	f.mu.Lock()
	f.forbidden[operationID] = true
	f.mu.Unlock()
}

// FailNext makes the next call of operationID answer status with message,
// as the portal's own validator or conflict check would.
func (f *Fake) FailNext(operationID string, status int, message string) {
	f.mu.Lock()
	f.failNext[operationID] = failure{status, message}
	f.mu.Unlock()
}

// FailNextToken makes the IAM endpoint answer the next token request with
// status (an IAM outage: 503, for example).
func (f *Fake) FailNextToken(status int) {
	f.mu.Lock()
	f.failToken = status
	f.mu.Unlock()
}

// SkewStoredSize makes the portal store every file_size off by delta, so
// tests can check that register compares what was stored with what was sent.
func (f *Fake) SkewStoredSize(delta int64) {
	f.mu.Lock()
	f.sizeSkew = delta
	f.mu.Unlock()
}

// Calls returns how many valid requests of operationID the fake answered.
func (f *Fake) Calls(operationID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[operationID]
}

// ServiceIDs lists the services in creation order.
func (f *Fake) ServiceIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.order...)
}

// ServiceYAML returns the YAML last stored for id.
func (f *Fake) ServiceYAML(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.services[id]; s != nil {
		return s.yaml
	}
	return nil
}

func loadSpec(t testing.TB, server string) *openapi3.T {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", ClientModule).Output()
	if err != nil {
		t.Fatalf("fake portal: locate %s (go list -m): %v", ClientModule, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatalf("fake portal: %s has no module directory: run go mod download", ClientModule)
	}
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(filepath.Join(dir, "v1", "pkg", "client", "api", "openapi.yaml"))
	if err != nil {
		t.Fatalf("fake portal: load the client's spec: %v", err)
	}
	// HPE's own examples miss required fields (LocationInfo without Country),
	// so examples are not checked; the schemas are.
	if err := doc.Validate(l.Context, openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("fake portal: the client's spec does not validate: %v", err)
	}
	// The spec names HPE's production server; serve its paths here instead.
	doc.Servers = openapi3.Servers{{URL: server}}
	return doc
}

// serveIAM is the GreenLake IAM token endpoint: client_credentials with the id
// and secret in the form, scope hpe-tenant.
func (f *Fake) serveIAM(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/token" {
		f.t.Errorf("fake IAM: unknown route %s %s", r.Method, r.URL.Path)
		http.Error(w, "fake IAM: unknown route", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		f.t.Errorf("fake IAM: Content-Type %q, want a form", ct)
	}
	if _, _, ok := r.BasicAuth(); ok {
		f.t.Errorf("fake IAM: credentials sent in an Authorization header; HPE's IAM takes them in the form")
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("fake IAM: form: %v", err)
	}
	for k, want := range map[string]string{"grant_type": "client_credentials", "scope": "hpe-tenant"} {
		if got := r.PostForm.Get(k); got != want {
			f.t.Errorf("fake IAM: %s=%q, want %q", k, got, want)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	fail := f.failToken
	f.failToken = 0
	f.mu.Unlock()
	if fail != 0 {
		w.WriteHeader(fail)
		_, _ = io.WriteString(w, `{"error":"temporarily_unavailable","error_description":"fake IAM: failure set by the test"}`)
		return
	}
	if r.PostForm.Get("client_id") != f.ClientID || r.PostForm.Get("client_secret") != f.Secret {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
		return
	}
	f.mu.Lock()
	life := f.tokenLifetime
	tok := f.newToken(life)
	f.issued++
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(life.Seconds())})
}

func (f *Fake) newToken(life time.Duration) string {
	tok := "fake-token-" + randHex(16)
	f.tokens[tok] = time.Now().Add(life)
	return tok
}

// authenticate implements the spec's security: a bearer token the fake issued
// and has not expired, plus the scope header. The spec lists Project (or
// Membership, for Metal-issued tokens we never use); its operations' texts
// name Space as the tenant/hoster-scope alternative, so Space is accepted for
// Project.
func (f *Fake) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "BearerAuth":
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		exp, known := f.tokens[tok]
		f.mu.Unlock()
		if !ok || !known {
			return errors.New("unknown bearer token")
		}
		if !time.Now().Before(exp) {
			return errors.New("bearer token expired")
		}
		return nil
	case "Project":
		if p := r.Header.Get("Project"); p != "" {
			if p != f.ProjectID {
				return fmt.Errorf("unknown project %q", p)
			}
			return nil
		}
		if s := r.Header.Get("Space"); s != "" && s == f.SpaceName {
			return nil
		}
		return errors.New("no Project or Space header")
	}
	return fmt.Errorf("scheme %s is not used by esxi-byoi", in.SecuritySchemeName)
}

// serveMetal validates the request, answers it and validates the answer.
func (f *Fake) serveMetal(w http.ResponseWriter, r *http.Request) {
	route, params, err := f.router.FindRoute(r)
	if err != nil {
		f.t.Errorf("fake portal: unknown route %s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "fake portal: unknown route", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake portal: read request: %v", err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: f.authenticate, IncludeResponseStatus: true, MultiError: true},
	}
	op := route.Operation.OperationID
	status, resp := 0, any(nil)
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		var se *openapi3filter.SecurityRequirementsError
		if !errors.As(err, &se) {
			f.t.Errorf("fake portal: %s %s violates the spec: %v", r.Method, r.URL.Path, err)
			http.Error(w, "fake portal: request violates the spec", http.StatusTeapot)
			return
		}
		status, resp = http.StatusUnauthorized, errorResponse("unauthorized: "+se.Error())
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.calls[op]++
		status, resp = f.answer(op, params, r, body)
		f.mu.Unlock()
	}
	var b []byte
	hdr := http.Header{}
	if resp != nil {
		if b, err = json.Marshal(resp); err != nil {
			f.t.Errorf("fake portal: encode: %v", err)
		}
		hdr.Set("Content-Type", "application/json")
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: hdr,
		Body: io.NopCloser(bytes.NewReader(b)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		f.t.Errorf("fake portal: its own answer %d to %s violates the spec: %v", status, op, err)
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type apiError struct {
	Message string `json:"message"`
}

func errorResponse(msg string) apiError { return apiError{Message: msg} }

// answer implements the operations esxi-byoi uses; f.mu is held.
func (f *Fake) answer(op string, params map[string]string, r *http.Request, body []byte) (int, any) {
	if f.forbidden[op] {
		return http.StatusForbidden, errorResponse("forbidden: role lacks permission for " + op)
	}
	if fl, ok := f.failNext[op]; ok {
		delete(f.failNext, op)
		return fl.status, errorResponse(fl.message)
	}
	now := time.Now().UTC()
	switch op {
	case "AvailableResources_list":
		return http.StatusOK, f.availableResources()
	case "Services_list":
		out := []any{}
		for _, id := range f.order {
			out = append(out, f.image(f.services[id]))
		}
		return http.StatusOK, out
	case "Service_add", "Service_update":
		var s *svc
		if op == "Service_update" {
			if s = f.services[params["serviceId"]]; s == nil {
				return http.StatusNotFound, errorResponse("service not found")
			}
		}
		y, err := uploadedYAML(r, body)
		if err != nil {
			return http.StatusBadRequest, errorResponse(err.Error())
		}
		parsed, err := service.Parse(y)
		if err != nil || parsed.SvcFlavor == "" || parsed.SvcVer == "" || parsed.Name == "" {
			return http.StatusBadRequest, errorResponse("invalid service yaml: name, svc_flavor and svc_ver are required")
		}
		if s == nil {
			s = &svc{id: uuid(), created: now, health: map[string]healthEntry{}}
			// A new service starts with old reports: only a check after the
			// trigger may count.
			for _, c := range f.controllers {
				s.health[c.ID] = healthEntry{Summary: "OK", Changed: now.Add(-24 * time.Hour)}
			}
			f.services[s.id] = s
			f.order = append(f.order, s.id)
		}
		s.yaml, s.s, s.modified, s.etag = y, parsed, now, uuid()
		if op == "Service_add" {
			return http.StatusCreated, f.image(s)
		}
		return http.StatusOK, f.image(s)
	case "Service_getByID":
		s := f.services[params["serviceId"]]
		if s == nil {
			return http.StatusNotFound, errorResponse("service not found")
		}
		return http.StatusOK, f.image(s)
	case "Service_updatehealth":
		s := f.services[params["serviceId"]]
		if s == nil {
			return http.StatusNotFound, errorResponse("service not found")
		}
		s.triggered = time.Now()
		return http.StatusAccepted, nil
	}
	f.t.Errorf("fake portal: operation %s is not implemented by the fake", op)
	return http.StatusInternalServerError, errorResponse("fake portal: not implemented")
}

func uploadedYAML(r *http.Request, body []byte) ([]byte, error) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return nil, fmt.Errorf("multipart: %v", err)
	}
	fh := r.MultipartForm.File["fileName"]
	if len(fh) != 1 {
		return nil, errors.New("want one part named fileName")
	}
	rd, err := fh[0].Open()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// health is the download health of s now: each controller's report appears
// Delay after the last trigger.
func (f *Fake) health(s *svc) (map[string]healthEntry, string) {
	out := map[string]healthEntry{}
	worst := "OK"
	rank := map[string]int{"OK": 0, "Warning": 1, "Unknown": 2, "Critical": 3}
	for _, c := range f.controllers {
		e, ok := s.health[c.ID]
		if !s.triggered.IsZero() && !c.Silent && time.Since(s.triggered) >= c.Delay {
			e = healthEntry{Summary: c.Summary, Reason: c.Reason, Changed: s.triggered.Add(c.Delay).UTC()}
			s.health[c.ID], ok = e, true
		}
		if !ok {
			continue
		}
		out[c.ID] = e
		if rank[e.Summary] > rank[worst] {
			worst = e.Summary
		}
	}
	return out, worst
}

// image is the OSServiceImage of s, with every field the spec requires.
func (f *Fake) image(s *svc) map[string]any {
	detailed, summary := f.health(s)
	files := []any{}
	for _, fl := range s.s.Files {
		files = append(files, map[string]any{
			"ID": uuid(), "Path": fl.Path, "FileSize": fl.FileSize + f.sizeSkew, "DownloadTimeout": fl.DownloadTimeout,
			"Signature": fl.Signature, "Algorithm": fl.Algorithm, "Expand": fl.Expand != nil && *fl.Expand,
			"DisplayURL": fl.DisplayURL, "SecureURL": fl.SecureURL, "SkipSslVerify": fl.SkipSSLVerify,
		})
	}
	classifiers := []any{}
	for _, c := range s.s.Classifiers {
		rules := []any{}
		for _, r := range c.Rules {
			rules = append(rules, map[string]any{"Attribute": r.Attribute, "Value": r.Value, "Operator": r.Operator, "SubAttributeRules": []any{}})
		}
		classifiers = append(classifiers, map[string]any{"Name": c.Name, "Rules": rules})
	}
	project := f.ProjectID
	return map[string]any{
		"ID": s.id, "ETag": s.etag, "Name": s.s.Name, "Created": s.created, "Modified": s.modified,
		"ProjectID": project, "Description": s.s.Description, "Category": s.s.SvcCategory,
		"Flavor": s.s.SvcFlavor, "Version": s.s.SvcVer, "Origin": s.s.Origin, "Timeout": s.s.Timeout,
		"DeviceLayouts": []any{}, "PermittedProjects": []any{}, "Files": files,
		// The spec's TemplatingInfo enum (hostdef-v1, hostdef-v2) predates the
		// hostdef-v3 ESXi services use, so echoing info[] would break the
		// contract this fake checks; esxi-byoi never reads Info back.
		"Info":     []any{},
		"Approach": s.s.Approach, "AssumedBootMethod": s.s.AssumedBootMethod, "NoSwitchLAG": s.s.NoSwitchLAG,
		"BondMode": "", "FWBaselineID": "00000000-0000-0000-0000-000000000000",
		"UserDefinedSteps": map[string]any{"ImagingPrepSteps": []any{}, "ImagingCompleteSteps": []any{}, "MaintenanceSteps": []any{}},
		"Classifiers":      classifiers,
		"DownloadHealth":   map[string]any{"DetailedDownloadHealth": detailed, "DownloadHealthSummary": summary},
	}
}

func (f *Fake) availableResources() map[string]any {
	locs := []any{}
	for _, c := range f.controllers {
		locs = append(locs, map[string]any{
			"ID": uuid(), "Country": c.Country, "Region": c.Region, "DataCenter": c.DataCenter, "ControllerID": c.ID,
			"PrivateNetworkVIDSupport": true, "PrivateNetworkVNISupport": false,
		})
	}
	empty := []any{}
	return map[string]any{
		"Images": empty, "Locations": locs, "MachineInventory": empty, "MachineSizes": empty, "Networks": empty,
		"SSHKeys": empty, "StorageInventory": empty, "StoragePools": empty, "VolumeCollections": empty,
		"VolumeFlavors": empty, "Volumes": empty,
	}
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
