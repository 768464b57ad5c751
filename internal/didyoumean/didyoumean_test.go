package didyoumean_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/didyoumean"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"network", "network", 0}, {"netwrok", "network", 2}, {"Network", "network", 0},
		{"assumed_boot", "assumed_boot_method", 7}, {"", "abc", 3}, {"kitten", "sitting", 3},
	} {
		require.Equal(t, tc.want, didyoumean.Distance(tc.a, tc.b), "%q/%q", tc.a, tc.b)
		require.Equal(t, tc.want, didyoumean.Distance(tc.b, tc.a), "%q/%q", tc.b, tc.a)
	}
}
