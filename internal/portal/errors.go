package portal

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
)

// IAMError is a refusal by the IAM token endpoint.
type IAMError struct {
	URL         string // the token endpoint
	Status      int
	Code        string // OAuth2 "error", e.g. invalid_client
	Description string // OAuth2 "error_description"
}

// Refused reports whether the endpoint refused the API client's id or secret.
func (e *IAMError) Refused() bool {
	return e.Status == http.StatusUnauthorized || e.Code == "invalid_client" || e.Code == "unauthorized_client"
}

func (e *IAMError) Error() string {
	s := fmt.Sprintf("IAM endpoint %s", e.URL)
	if e.Refused() {
		s += fmt.Sprintf(" refused the API client id/secret (%s, %s)", EnvUserID, EnvUserSecret)
	} else {
		s += " gave no token"
	}
	s += ": " + statusText(e.Status)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Hint implements the CLI's fix line.
func (e *IAMError) Hint() string {
	if e.Refused() {
		return "check HPEGL_USER_ID and HPEGL_USER_SECRET (the GreenLake API client's id and secret) and that HPEGL_IAM_SERVICE_URL is the IAM URL shown with that API client"
	}
	return "check HPEGL_IAM_SERVICE_URL (the IAM URL shown with the GreenLake API client) and try again later"
}

// TokenExpiredError is a ready HPEGL_IAM_TOKEN that expired (or was refused
// after its expiry); such a token cannot be renewed.
type TokenExpiredError struct {
	Op string
}

func (e *TokenExpiredError) Error() string {
	return fmt.Sprintf("portal: %s: %s has expired and cannot be renewed", e.Op, EnvToken)
}

// Hint implements the CLI's fix line.
func (e *TokenExpiredError) Hint() string {
	return "get a new HPEGL_IAM_TOKEN (tokens last about 15 minutes), or set HPEGL_IAM_SERVICE_URL, HPEGL_USER_ID and HPEGL_USER_SECRET so tokens are renewed automatically"
}

// APIError is an error answer of the portal's REST API.
type APIError struct {
	Op      string // what we asked: "create service", "trigger download health check of service <id>"
	Status  int
	Message string // the portal's own "message" (its validator's words for 400/405)
	Token   bool   // a ready HPEGL_IAM_TOKEN was used
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("portal: %s: %s", e.Op, statusText(e.Status))
	if e.Status == http.StatusForbidden {
		s += ": the API client's role lacks the right to " + e.Op
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Hint implements the CLI's fix line.
func (e *APIError) Hint() string {
	switch e.Status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		return "the portal's validator refused the service YAML: fix what its message says ('esxi-byoi service validate' checks the rules it knows)"
	case http.StatusUnauthorized:
		if e.Token {
			return "HPEGL_IAM_TOKEN is not valid for this portal (or expired): get a new one, or set HPEGL_IAM_SERVICE_URL, HPEGL_USER_ID and HPEGL_USER_SECRET"
		}
		return "the portal refused the token: check that HPEGL_METAL_REST_URL and HPEGL_IAM_SERVICE_URL belong to the same GreenLake, and the project ID or space name"
	case http.StatusForbidden:
		return "ask a GreenLake administrator for a role that allows it (creating and updating OS images needs Hoster or BMaaS Access Owner)"
	case http.StatusNotFound:
		return "no such service in this project or space: check the service ID and {metal-project-id} / {metal-space-name}"
	case http.StatusConflict:
		return "the service changed in the portal meanwhile, or conflicts with another one: read the portal's message, then run register again"
	}
	if e.Status >= 500 {
		return "the portal failed: try again later"
	}
	return ""
}

// TransportError is a request that got no HTTP answer: TLS, DNS, refused
// connection, timeout.
type TransportError struct {
	Op  string
	Err error // classified by httpclient.Describe
}

func (e *TransportError) Error() string { return fmt.Sprintf("portal: %s: %v", e.Op, e.Err) }

func (e *TransportError) Unwrap() error { return e.Err }

// Hint implements the CLI's fix line; an unknown CA points at the CA file
// option ([HintCAFile]).
func (e *TransportError) Hint() string {
	var he *httpclient.Error
	if errors.As(e.Err, &he) {
		switch he.Kind {
		case httpclient.KindUnknownAuthority:
			return HintCAFile
		case httpclient.KindTimeout:
			return "the portal or IAM endpoint did not answer in time: check it is reachable from here (firewalls, HTTPS_PROXY, NO_PROXY) and try again"
		}
		return he.Hint()
	}
	return ""
}

// HintCAFile is the fix for a portal or IAM certificate from an unknown CA.
const HintCAFile = "pass {ca-file} with the CA that signed the portal's and IAM endpoint's certificates (a TLS-inspecting proxy's CA, for example)"

// Transient reports whether trying again later may succeed.
func (e *TransportError) Transient() bool {
	var he *httpclient.Error
	return errors.As(e.Err, &he) && he.Transient()
}

// AmbiguousError is more than one portal service with the same flavor and
// version: register cannot tell which one to update.
type AmbiguousError struct {
	Flavor, Version string
	IDs             []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("portal: %d services have svc_flavor %q and svc_ver %q (%s)", len(e.IDs), e.Flavor, e.Version, strings.Join(e.IDs, ", "))
}

// Hint implements the CLI's fix line.
func (e *AmbiguousError) Hint() string {
	return "delete the extra services in the portal, or give this build another svc_ver"
}

// MismatchError is a registered service whose stored file differs from the
// YAML that was sent.
type MismatchError struct {
	ID, Field, Want, Got string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("portal: service %s stores %s %q, the YAML says %q", e.ID, e.Field, e.Got, e.Want)
}

// Hint implements the CLI's fix line.
func (e *MismatchError) Hint() string {
	return "the portal did not keep the YAML as sent: look at the service in the portal and run register again"
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
