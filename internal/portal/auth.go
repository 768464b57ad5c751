package portal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/secret"
)

// renewBefore: a token this close to its expiry is renewed before use, so it
// cannot expire between our check and the portal's.
const renewBefore = 60 * time.Second

// tokens hands out bearer tokens: fetched and renewed with the API client's
// credentials, or one fixed HPEGL_IAM_TOKEN.
type tokens struct {
	fixed    secret.String
	fixedExp time.Time // from the JWT "exp" claim; zero when unknown

	cc   *clientcredentials.Config // nil with a fixed token
	http *http.Client
	now  func() time.Time

	mu      sync.Mutex
	current secret.String
	expiry  time.Time
}

func newTokens(c *Config, hc *http.Client, now func() time.Time) *tokens {
	if c.clientCredentials() {
		return &tokens{http: hc, now: now, cc: &clientcredentials.Config{
			ClientID:     c.UserID,
			ClientSecret: c.UserSecret.Reveal(),
			TokenURL:     c.tokenURL(),
			Scopes:       []string{"hpe-tenant"},
			// The id and secret go in the form, as HPE's provider library sends them.
			AuthStyle: oauth2.AuthStyleInParams,
		}}
	}
	return &tokens{fixed: c.Token, fixedExp: jwtExpiry(c.Token.Reveal()), now: now}
}

// renewable reports whether a refused token can be replaced by a new one.
func (t *tokens) renewable() bool { return t.cc != nil }

// token returns a token valid for at least renewBefore, fetching one when needed.
func (t *tokens) token(ctx context.Context, op string) (secret.String, error) {
	if t.cc == nil {
		if t.expired() {
			return secret.String{}, &TokenExpiredError{Op: op}
		}
		return t.fixed, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.current.IsZero() && (t.expiry.IsZero() || t.now().Add(renewBefore).Before(t.expiry)) {
		return t.current, nil
	}
	tok, err := t.cc.Token(context.WithValue(ctx, oauth2.HTTPClient, t.http))
	if err != nil {
		return secret.String{}, t.describe(op, err)
	}
	t.current, t.expiry = secret.New(tok.AccessToken), tok.Expiry
	return t.current, nil
}

// invalidate drops the current token after the portal refused it.
func (t *tokens) invalidate() {
	t.mu.Lock()
	t.current, t.expiry = secret.String{}, time.Time{}
	t.mu.Unlock()
}

// expired reports whether the fixed token is known to have expired.
func (t *tokens) expired() bool {
	return t.cc == nil && !t.fixedExp.IsZero() && !t.now().Before(t.fixedExp)
}

func (t *tokens) describe(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &IAMError{URL: httpclient.Redact(t.cc.TokenURL), Code: redact(re.ErrorCode, t.cc.ClientSecret),
			Description: redact(re.ErrorDescription, t.cc.ClientSecret)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		return e
	}
	return &TransportError{Op: "get a token from " + httpclient.Redact(t.cc.TokenURL) + " for " + op, Err: httpclient.Describe(err)}
}

// redact removes a secret from text another party sent back: as it is
// (without surrounding white space, which an echo may drop) and URL-encoded,
// as a form body echoed back carries it.
func redact(s, secretValue string) string {
	v := strings.TrimSpace(secretValue)
	if v == "" {
		return s
	}
	s = strings.ReplaceAll(s, v, secret.Redacted)
	return strings.ReplaceAll(s, url.QueryEscape(v), secret.Redacted)
}

// jwtExpiry reads the "exp" claim of a JWT without checking its signature (the
// portal does that); zero when tok is not a JWT or has no exp.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return time.Time{}
	}
	sec, err := claims.Exp.Float64()
	if err != nil || sec <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(sec), 0)
}
