package kickstart

import "github.com/esxi-byoi/esxi-byoi/internal/didyoumean"

// suggest returns the candidate closest to s (case-insensitive edit distance
// at most 2), or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if abs(len(c)-len(s)) > bestD {
			continue // the distance is at least the difference in length
		}
		d := didyoumean.Distance(s, c)
		if d < bestD || d == bestD && best != "" && c < best {
			best, bestD = c, d
		}
	}
	return best
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
