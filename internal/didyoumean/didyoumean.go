// Package didyoumean measures how far a mistyped name is from the names a
// file format knows, for "did you mean …?" hints in lint and validate
// messages. The policy (how far is too far) stays with each caller, since a
// kickstart command and a YAML key are mistyped differently.
package didyoumean

import "strings"

// Distance is the Levenshtein distance between a and b, ignoring ASCII case,
// counted in bytes.
func Distance(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
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
