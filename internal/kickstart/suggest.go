package kickstart

import "strings"

// suggest returns the candidate closest to s (case-insensitive edit distance
// at most 2), or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if abs(len(c)-len(s)) > bestD {
			continue // the distance is at least the difference in length
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD || d == bestD && best != "" && c < best {
			best, bestD = c, d
		}
	}
	return best
}

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

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
