package pipeline_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
)

// Every fix the CLI can print is documented in the README's troubleshooting table.
func TestEveryHintIsInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	require.NotEmpty(t, pipeline.Hints())
	for _, h := range pipeline.Hints() {
		require.Contains(t, string(readme), h)
	}
}
