package s3test_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/s3test"
)

// The rig is what the publish tests rely on: TLS with its own CA, a bucket,
// anonymous GET under the public prefix only, and survival of a restart.
func TestRigServesPublicPrefixOnlyAndSurvivesRestart(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client()
	for _, k := range []string{srv.PublicPrefix + "a.txt", srv.PrivatePrefix + "a.txt"} {
		_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(k), Body: strings.NewReader("hello")})
		require.NoError(t, err)
	}
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.TLSConfig()}}
	get := func(key string) (int, string) {
		resp, err := anon.Get(srv.PublicURL(key))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(srv.PublicPrefix + "a.txt")
	require.Equal(t, 200, code)
	require.Equal(t, "hello", body)
	code, _ = get(srv.PrivatePrefix + "a.txt")
	require.Equal(t, 403, code)

	srv.Kill()
	_, err := anon.Get(srv.PublicURL(srv.PublicPrefix + "a.txt"))
	require.Error(t, err)
	srv.Restart()
	code, _ = get(srv.PublicPrefix + "a.txt")
	require.Equal(t, 200, code)
	require.Positive(t, srv.Ops()["s3_PutObject"])
}
