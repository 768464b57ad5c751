package kickstart

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPasswordPolicy checks ESXi's default policy with VMware's own examples
// (min=disabled,disabled,disabled,7,7; an uppercase first and a digit last
// character do not count) and the length limits.
func TestPasswordPolicy(t *testing.T) {
	ok := []string{"xQaTEhb!", "xQaT3#A", "Avi_2021", "myp@ssw0rd", "VMware1!x", "aB1!" + strings.Repeat("x", 36)}
	for _, pw := range ok {
		require.Empty(t, passwordPolicy(pw), pw)
	}
	bad := map[string]string{
		"Xqat3hi":                        "uses 2 of the 4",
		"xQaTEh2":                        "uses 2 of the 4",
		"mypassword":                     "uses 1 of the 4",
		"aB1!x":                          "has 5 characters (at least 7)",
		"aB1!" + strings.Repeat("x", 37): "has 41 characters (at most 40)",
	}
	for pw, why := range bad {
		require.Contains(t, passwordPolicy(pw), why, pw)
	}
}
