package portal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	metal "github.com/hewlettpackard/hpegl-metal-client/v1/pkg/client"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
)

// Client is a connection to one portal, in one scope, with one identity. It is
// safe for concurrent use.
type Client struct {
	api    *metal.APIClient
	tokens *tokens
	now    func() time.Time
}

// Option changes a [Client] made by [New].
type Option func(*Client)

// WithClock makes the client read time from now (token expiry, health checks).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New checks cfg and returns a client. It sends nothing yet.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tmo := cfg.RequestTimeout
	if tmo == 0 {
		tmo = DefaultRequestTimeout
	}
	hc, err := httpclient.New(httpclient.Options{CAFile: cfg.CAFile, Timeout: tmo})
	if err != nil {
		return nil, err
	}
	c := &Client{now: time.Now}
	for _, o := range opts {
		o(c)
	}
	mc := metal.NewConfiguration()
	mc.BasePath = cfg.apiBase()
	mc.HTTPClient = hc
	mc.UserAgent = cfg.UserAgent
	if mc.UserAgent == "" {
		mc.UserAgent = httpclient.UserAgent()
	}
	// The scope headers go on every request, each one that is set, as HPE's
	// Terraform resources send them.
	if cfg.ProjectID != "" {
		mc.AddDefaultHeader("Project", cfg.ProjectID)
	}
	if cfg.SpaceName != "" {
		mc.AddDefaultHeader("Space", cfg.SpaceName)
	}
	c.api = metal.NewAPIClient(mc)
	c.tokens = newTokens(&cfg, hc, func() time.Time { return c.now() })
	return c, nil
}

// call runs one API request with a bearer token. A token the portal refuses is
// renewed and the request sent once more (tokens last 15 minutes; a long health
// wait outlives several). Errors come back typed.
func (c *Client) call(ctx context.Context, op string, do func(ctx context.Context) (*http.Response, error)) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.token(ctx, op)
		if err != nil {
			return err
		}
		resp, err := do(context.WithValue(ctx, metal.ContextAccessToken, tok.Reveal()))
		if err == nil {
			return nil
		}
		if resp != nil && resp.StatusCode == http.StatusUnauthorized && attempt == 0 && c.tokens.renewable() {
			c.tokens.invalidate()
			continue
		}
		return c.describe(op, resp, err, tok.Reveal())
	}
}

// describe types the error of one request. tok is the bearer token sent: a
// portal or proxy that echoes it (an "invalid token …" page) must not carry it
// into a message.
func (c *Client) describe(op string, resp *http.Response, err error, tok string) error {
	if resp == nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &TransportError{Op: op, Err: httpclient.Describe(err)}
	}
	if resp.StatusCode < 300 {
		return &APIError{Op: op, Status: resp.StatusCode, Message: redact("unreadable answer: "+oneLine(err.Error()), tok)}
	}
	if resp.StatusCode == http.StatusUnauthorized && c.tokens.expired() {
		return &TokenExpiredError{Op: op}
	}
	e := &APIError{Op: op, Status: resp.StatusCode, Token: !c.tokens.renewable()}
	var oe metal.GenericOpenAPIError
	if errors.As(err, &oe) {
		e.Message = redact(oneLine(portalMessage(oe)), tok)
		if len(e.Message) > 500 {
			e.Message = e.Message[:500] + "…"
		}
	}
	return e
}

// portalMessage is the "message" of the portal's error answer. The client
// decodes the ErrorResponse only for the statuses the spec lists per
// operation; for the others (403 of most operations, 409, 404 of some) its
// Message is the raw body, so the JSON is read here.
func portalMessage(oe metal.GenericOpenAPIError) string {
	if _, ok := oe.Model().(metal.ErrorResponse); ok {
		return oe.Message()
	}
	var er struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(oe.Body(), &er) == nil && er.Message != nil {
		return *er.Message
	}
	return oe.Message()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// services lists every OS service the scope can see.
func (c *Client) services(ctx context.Context) ([]metal.OsServiceImage, error) {
	var out []metal.OsServiceImage
	err := c.call(ctx, "list services", func(ctx context.Context) (r *http.Response, err error) {
		out, r, err = c.api.ServicesApi.List(ctx, nil)
		return r, err
	})
	return out, err
}

// service reads one OS service.
func (c *Client) service(ctx context.Context, id string) (metal.OsServiceImage, error) {
	var out metal.OsServiceImage
	err := c.call(ctx, "read service "+id, func(ctx context.Context) (r *http.Response, err error) {
		out, r, err = c.api.ServicesApi.GetByID(ctx, id, nil)
		return r, err
	})
	return out, err
}

// upload creates (id == "") or updates a service from the YAML file at path:
// one multipart part named fileName.
func (c *Client) upload(ctx context.Context, id, path string) (metal.OsServiceImage, error) {
	var out metal.OsServiceImage
	op := "create service"
	if id != "" {
		op = "update service " + id
	}
	err := c.call(ctx, op, func(ctx context.Context) (*http.Response, error) {
		f, err := os.Open(path) // the client reads and closes it, once per attempt
		if err != nil {
			return nil, err
		}
		var r *http.Response
		if id == "" {
			out, r, err = c.api.ServicesApi.Add(ctx, f, nil)
		} else {
			out, r, err = c.api.ServicesApi.Update(ctx, id, f, nil)
		}
		return r, err
	})
	return out, err
}

// triggerHealth asks every controller to check the service's download again.
// It returns the server's Date of the answer (zero when absent).
func (c *Client) triggerHealth(ctx context.Context, id string) (time.Time, error) {
	var date time.Time
	err := c.call(ctx, "trigger download health check of service "+id, func(ctx context.Context) (*http.Response, error) {
		r, err := c.api.ServicesApi.Updatehealth(ctx, id, nil)
		if r != nil && err == nil {
			date, _ = http.ParseTime(r.Header.Get("Date"))
		}
		return r, err
	})
	return date, err
}

// Site is a data center and the controller that serves it.
type Site struct {
	ControllerID string
	DataCenter   string
	Region       string
	Country      string
}

func (s Site) String() string {
	var parts []string
	for _, p := range []string{s.DataCenter, s.Region, s.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "controller " + s.ControllerID
	}
	return strings.Join(parts, ", ")
}

// Sites maps controller IDs to the sites they serve (GET /available-resources).
func (c *Client) Sites(ctx context.Context) (map[string]Site, error) {
	var ar metal.AvailableResources
	err := c.call(ctx, "list available resources", func(ctx context.Context) (r *http.Response, err error) {
		ar, r, err = c.api.AvailableResourcesApi.List(ctx, nil)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]Site{}
	for _, l := range ar.Locations {
		s := Site{ControllerID: l.ControllerID, DataCenter: l.DataCenter, Region: l.Region, Country: string(l.Country)}
		if prev, ok := out[l.ControllerID]; ok && prev.DataCenter != s.DataCenter {
			// One controller serving several data centers: name them all.
			s.DataCenter = prev.DataCenter + "+" + s.DataCenter
		}
		out[l.ControllerID] = s
	}
	return out, nil
}
