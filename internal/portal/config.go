package portal

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/secret"
)

// The environment variables of HPE's Terraform provider, which the CLI and the
// action read too. Credentials come only from the environment, never flags.
const (
	EnvRestURL    = "HPEGL_METAL_REST_URL"   // flag --metal-rest-url
	EnvProjectID  = "HPEGL_METAL_PROJECT_ID" // flag --metal-project-id
	EnvSpaceName  = "HPEGL_METAL_SPACE_NAME" // flag --metal-space-name
	EnvIAMURL     = "HPEGL_IAM_SERVICE_URL"
	EnvUserID     = "HPEGL_USER_ID"
	EnvUserSecret = "HPEGL_USER_SECRET"
	EnvToken      = "HPEGL_IAM_TOKEN"
)

// DefaultRequestTimeout bounds one portal or IAM request.
const DefaultRequestTimeout = 2 * time.Minute

// Config says which portal to talk to, in which scope, as whom.
type Config struct {
	RestURL   string // e.g. https://client.greenlake.hpe.com/api/metal; the API is RestURL + "/rest/v1"
	ProjectID string // sent as "Project: <id>" (project scope)
	SpaceName string // sent as "Space: <name>" (tenant/hoster scope); at least one of the two

	// An API client's credentials; the token is fetched and renewed.
	IAMURL     string // token URL is IAMURL + "/v1/token"
	UserID     string
	UserSecret secret.String
	// Or a ready bearer token, used until it expires (no renewal). Ignored
	// when the API client credentials are complete.
	Token secret.String

	CAFile         string        // extra trusted CA for the portal and the IAM endpoint
	UserAgent      string        // "" = httpclient.UserAgent()
	RequestTimeout time.Duration // one request; 0 = DefaultRequestTimeout
}

// ConfigFromEnv reads every setting of c from the environment; flags given on
// the command line override RestURL, ProjectID and SpaceName afterwards.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		RestURL:    strings.TrimSpace(getenv(EnvRestURL)),
		ProjectID:  strings.TrimSpace(getenv(EnvProjectID)),
		SpaceName:  strings.TrimSpace(getenv(EnvSpaceName)),
		IAMURL:     strings.TrimSpace(getenv(EnvIAMURL)),
		UserID:     strings.TrimSpace(getenv(EnvUserID)),
		UserSecret: secret.New(getenv(EnvUserSecret)),
		Token:      secret.New(strings.TrimSpace(getenv(EnvToken))),
	}
}

// ConfigError is missing or contradictory portal configuration. The CLI exits
// 2 on it, as on a usage mistake.
type ConfigError struct {
	// Var names the environment variables concerned, and the options that
	// set them too as {name} (see option.Surface.Expand):
	// "HPEGL_METAL_REST_URL ({metal-rest-url})".
	Var string
	Msg string
	// Option is the option that sets Var too ("metal-rest-url"); "" for
	// the credentials, which only the environment gives.
	Option string
}

// OptionName is the option of the setting (option.Named), or "".
func (e *ConfigError) OptionName() string { return e.Option }

// Error is the CLI rendering: options named by their flags.
func (e *ConfigError) Error() string { return e.Render(option.CLI) }

// Render names the options as surface s does (flags on the CLI, inputs in the
// action).
func (e *ConfigError) Render(s option.Surface) string {
	return "portal configuration: " + s.Expand(e.Var) + ": " + e.Msg
}

// Hint implements the CLI's fix line.
func (e *ConfigError) Hint() string {
	return "set the HPEGL_* variables (see the README section \"Register in the HPE Bare Metal portal\")"
}

// clientCredentials reports whether the API client's id, secret and IAM URL are
// all given.
func (c *Config) clientCredentials() bool {
	return c.IAMURL != "" && c.UserID != "" && !c.UserSecret.IsZero()
}

// Validate reports every missing or wrong setting at once (errors.Join of
// *[ConfigError]).
func (c *Config) Validate() error {
	var errs []error
	add := func(v, opt, format string, args ...any) {
		errs = append(errs, &ConfigError{Var: v, Option: opt, Msg: fmt.Sprintf(format, args...)})
	}
	if c.RestURL == "" {
		add(EnvRestURL+" ({metal-rest-url})", "metal-rest-url", "not set: give the portal REST URL, e.g. https://client.greenlake.hpe.com/api/metal")
	} else if err := checkHTTPS(c.RestURL); err != nil {
		add(EnvRestURL+" ({metal-rest-url})", "metal-rest-url", "%v", err)
	}
	// Both may be set, as Terraform configurations of HPE's provider often
	// have them: both headers are then sent, as its Metal resources do.
	if c.ProjectID == "" && c.SpaceName == "" {
		add(EnvProjectID+" or "+EnvSpaceName+" ({metal-project-id} or {metal-space-name})", "metal-project-id",
			"not set: give the project ID (project scope) or the space name (tenant/hoster scope)")
	}
	if !c.clientCredentials() && c.Token.IsZero() {
		var missing []string
		for _, v := range []struct {
			name string
			set  bool
		}{{EnvIAMURL, c.IAMURL != ""}, {EnvUserID, c.UserID != ""}, {EnvUserSecret, !c.UserSecret.IsZero()}} {
			if !v.set {
				missing = append(missing, v.name)
			}
		}
		add(strings.Join(missing, ", "), "", "not set: give the GreenLake API client's IAM URL, id and secret in the environment (or a ready token in %s)", EnvToken)
	}
	if c.IAMURL != "" {
		if err := checkHTTPS(c.IAMURL); err != nil {
			add(EnvIAMURL, "", "%v", err)
		}
	}
	return errors.Join(errs...)
}

func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// Redacted: a password in the URL must not reach the message.
		return fmt.Errorf("%q: want an https:// URL without user:password, query or fragment", httpclient.Redact(raw))
	}
	return nil
}

// apiBase is the base URL of the REST API.
func (c *Config) apiBase() string { return strings.TrimRight(c.RestURL, "/") + "/rest/v1" }

// tokenURL is the IAM token endpoint.
func (c *Config) tokenURL() string { return strings.TrimRight(c.IAMURL, "/") + "/v1/token" }
