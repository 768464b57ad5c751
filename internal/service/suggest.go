package service

import (
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/didyoumean"
)

// suggest returns the known name that got was most likely meant to be, or "":
// one that starts with got or that got starts with ("assumed_boot" →
// "assumed_boot_method"), else the closest within a few edits, ignoring case.
func suggest(got string, known []string) string {
	g := strings.ToLower(got)
	best, bestDist := "", 0
	for _, k := range known {
		kl := strings.ToLower(k)
		d := didyoumean.Distance(g, kl)
		if min(len(g), len(kl)) >= 4 && (strings.HasPrefix(kl, g) || strings.HasPrefix(g, kl)) {
			d = min(d, 1) // a cut-off or extended key is as good as a typo
		}
		if d <= max(2, len(kl)/4) && (best == "" || d < bestDist) {
			best, bestDist = k, d
		}
	}
	return best
}
