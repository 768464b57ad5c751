package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/secret"
)

func TestSecretNeverPrintsItsValue(t *testing.T) {
	const raw = "hunter2-Distinctive"
	s := secret.New(raw)
	type wrapper struct {
		Password secret.String `json:"password" yaml:"password"`
	}
	w := wrapper{Password: s}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, w))
	}
	j, err := json.Marshal(w)
	require.NoError(t, err)
	y, err := yaml.Marshal(w)
	require.NoError(t, err)
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("x", "pw", s)
	out = append(out, string(j), string(y), logBuf.String())
	for _, o := range out {
		require.NotContains(t, o, raw)
		require.Contains(t, o, secret.Redacted)
	}
	require.Equal(t, raw, s.Reveal())
}
