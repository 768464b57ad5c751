package comment

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-github/v76/github"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
)

// identity is who the token posts as.
type identity struct {
	login string // as GraphQL or the caller names it; "[bot]" may be missing
	bot   bool
}

// owns reports whether u, a comment's author as REST shows it, is me. REST
// names a bot "<slug>[bot]" with type "Bot"; GraphQL's viewer names the same
// bot "<slug>" with __typename "Bot". A user whose login happens to equal a
// bot's slug is not the bot.
func (me *identity) owns(u *github.User) bool {
	if u == nil {
		return false
	}
	slug := strings.TrimSuffix(me.login, "[bot]")
	if me.bot {
		return u.GetType() == "Bot" && strings.EqualFold(u.GetLogin(), slug+"[bot]")
	}
	return u.GetType() != "Bot" && strings.EqualFold(u.GetLogin(), me.login)
}

// graphQLURL is o.GraphQLURL, else derived from the REST root as GitHub lays
// them out: https://api.github.com → https://api.github.com/graphql, and on
// GitHub Enterprise Server https://HOST/api/v3 → https://HOST/api/graphql.
func (o Options) graphQLURL() string {
	if o.GraphQLURL != "" {
		return o.GraphQLURL
	}
	api := strings.TrimRight(o.APIURL, "/")
	if api == "" {
		api = DefaultAPIURL
	}
	return strings.TrimSuffix(api, "/v3") + "/graphql"
}

// viewer asks GraphQL who the token is. Unlike REST's GET /user, which an
// installation token (GITHUB_TOKEN, a GitHub App's) may not call, the
// viewer query answers for every kind of token.
func (o Options) viewer(ctx context.Context, gh *github.Client) (*identity, error) {
	const op = "find the token's login"
	fail := func(status int, msg string, err error) error {
		e := &Error{Op: op, Repo: o.Repo, PR: o.PR, Status: status, Message: redact(msg, o.Token)}
		if err != nil {
			e.Err = httpclient.Describe(err)
		}
		return e
	}
	q, _ := json.Marshal(map[string]string{"query": "query { viewer { login __typename } }"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.graphQLURL(), bytes.NewReader(q))
	if err != nil {
		return nil, &OptionsError{Field: "graphql-url", Reason: "not a URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	httpclient.SetUserAgent(req, "")
	resp, err := gh.Client().Do(req) // go-github's client adds the Authorization header
	if err != nil {
		return nil, fail(0, "", err)
	}
	defer httpclient.DrainClose(resp.Body)
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fail(resp.StatusCode, "", err)
	}
	var ans struct {
		Data struct {
			Viewer struct {
				Login    string `json:"login"`
				TypeName string `json:"__typename"`
			} `json:"viewer"`
		} `json:"data"`
		Message string `json:"message"` // a REST-style error body (401, 403)
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	jerr := json.Unmarshal(body, &ans)
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fail(resp.StatusCode, ans.Message, nil)
	case jerr != nil:
		return nil, fail(resp.StatusCode, "the answer is not GraphQL JSON", nil)
	case len(ans.Errors) > 0:
		return nil, fail(resp.StatusCode, ans.Errors[0].Message, nil)
	case ans.Data.Viewer.Login == "":
		return nil, fail(resp.StatusCode, "the answer names no viewer login", nil)
	}
	v := ans.Data.Viewer
	return &identity{login: v.Login, bot: v.TypeName == "Bot" || strings.HasSuffix(v.Login, "[bot]")}, nil
}
