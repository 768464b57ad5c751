package service

import "strings"

// suggest returns the known name that got was most likely meant to be, or "":
// one that starts with got or that got starts with ("assumed_boot" →
// "assumed_boot_method"), else the closest within a few edits, ignoring case.
func suggest(got string, known []string) string {
	g := strings.ToLower(got)
	best, bestDist := "", 0
	for _, k := range known {
		kl := strings.ToLower(k)
		d := editDistance(g, kl)
		if min(len(g), len(kl)) >= 4 && (strings.HasPrefix(kl, g) || strings.HasPrefix(g, kl)) {
			d = min(d, 1) // a cut-off or extended key is as good as a typo
		}
		if d <= max(2, len(kl)/4) && (best == "" || d < bestDist) {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
