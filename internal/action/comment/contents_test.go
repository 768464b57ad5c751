package comment_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action/comment"
	"github.com/esxi-byoi/esxi-byoi/internal/action/ghfake"
)

const baseSHA = "b0a2c4e6f8d0b2a4c6e8f0a2b4c6d8e0f2a4b6c8"

func contents(gh *ghfake.Server) comment.Contents {
	return comment.Contents{APIURL: gh.URL, Token: gh.Token, Repo: gh.Repo, Ref: baseSHA}
}

// The contents API gives the file at the ref, with the token, and a file
// the ref lacks is "not there", not an error.
func TestContentsReadsTheFileAtTheRef(t *testing.T) {
	gh := ghfake.New(t,
		ghfake.WithFile(baseSHA, "ks/kickstart.cfg.tmpl", []byte("sleep 30\n")),
		ghfake.WithFile("main", "ks/kickstart.cfg.tmpl", []byte("sleep 45\n")))

	b, ok, err := contents(gh).ReadFile(t.Context(), "ks/kickstart.cfg.tmpl")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "sleep 30\n", string(b), "the ref's version, not the default branch's")
	rq := gh.Requests()[0]
	require.Equal(t, "/repos/"+gh.Repo+"/contents/ks/kickstart.cfg.tmpl", rq.Path)
	require.Equal(t, "ref="+baseSHA, rq.RawQuery)
	require.Equal(t, "Bearer "+gh.Token, rq.Header.Get("Authorization"))

	b, ok, err = contents(gh).ReadFile(t.Context(), "ks/hosts/new.yaml")
	require.NoError(t, err)
	require.False(t, ok, "new in the pull request")
	require.Nil(t, b)
}

// A refused or failed read is an *Error with a fix for a read (not the
// comment's pull-requests permission), and never holds the token.
func TestContentsErrors(t *testing.T) {
	const token = "ghs_SuperSecretToken0000000000000000000"
	for name, tc := range map[string]struct {
		opts   []ghfake.Option
		status int
		hint   string
	}{
		"no access":     {opts: []ghfake.Option{ghfake.WithForbidden(http.MethodGet)}, status: 403, hint: "contents: read"},
		"wrong token":   {opts: []ghfake.Option{ghfake.WithToken("ghs_other")}, status: 401, hint: "github-token"},
		"server echoes": {opts: []ghfake.Option{ghfake.WithError(http.MethodGet, http.StatusBadGateway, `{"message":"bad gateway for `+token+`"}`)}, status: 502, hint: "re-run"},
	} {
		t.Run(name, func(t *testing.T) {
			gh := ghfake.New(t, append([]ghfake.Option{ghfake.WithToken(token)}, tc.opts...)...)
			c := contents(gh)
			c.Token = token
			_, ok, err := c.ReadFile(t.Context(), "ks/kickstart.cfg.tmpl")
			require.False(t, ok)
			var ce *comment.Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.status, ce.Status)
			require.Contains(t, ce.Hint(), tc.hint)
			require.Contains(t, err.Error(), "read ks/kickstart.cfg.tmpl at b0a2c4e6f8d0 on "+gh.Repo+": ")
			require.NotContains(t, err.Error(), "#0")
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				require.NotContains(t, s, token)
			}
		})
	}

	gh := ghfake.New(t)
	for field, mutate := range map[string]func(*comment.Contents){
		"token":   func(c *comment.Contents) { c.Token = "" },
		"repo":    func(c *comment.Contents) { c.Repo = "no-slash" },
		"ref":     func(c *comment.Contents) { c.Ref = "" },
		"api-url": func(c *comment.Contents) { c.APIURL = "api.github.com" },
	} {
		c := contents(gh)
		mutate(&c)
		_, _, err := c.ReadFile(t.Context(), "f")
		var oe *comment.OptionsError
		require.True(t, errors.As(err, &oe), "%s: %v", field, err)
		require.Equal(t, field, oe.Field)
	}
	require.Empty(t, gh.Requests(), "nothing asked with unusable options")
}
