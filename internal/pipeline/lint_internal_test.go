package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The service template's literal templating_input tells lint which hostdef
// version the portal renders with; anything it cannot read for sure is
// "unknown".
func TestDeclaredTemplatingInput(t *testing.T) {
	require.Equal(t, "hostdef-v3", declaredTemplatingInput(nil), "the built-in service template")
	for tmpl, want := range map[string]string{
		"info:\n  - templating_input: hostdef-v4\n":                                   "hostdef-v4",
		"info:\n  - encoding: base64\n    templating_input: 'hostdef-v3'\n":           "hostdef-v3",
		"info:\n  - templating_input: {{ .Input }}\n":                                 "",
		"info:\n  - templating_input: hostdef-v3\n  - templating_input: hostdef-v4\n": "",
		"name: x\n": "",
	} {
		require.Equal(t, want, declaredTemplatingInput([]byte(tmpl)), tmpl)
	}
}
