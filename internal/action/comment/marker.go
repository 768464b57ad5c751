package comment

import (
	"fmt"
	"strings"
)

const markerStart = "<!-- esxi-byoi:"

// Key returns the marker key of a workflow job: "<workflow>/<job>", each part
// escaped as the package doc describes.
func Key(workflow, job string) string {
	return escape(workflow) + "/" + escape(job)
}

// Marker returns the hidden first line of the comment of key whose text has
// the SHA-256 hash (lower-case hex).
func Marker(key, hash string) string {
	return markerStart + key + " sha256=" + hash + " -->"
}

// markerHash returns the hash in body's marker for key, or "" when body does
// not start with a well-formed marker for key.
func markerHash(body, key string) string {
	rest, ok := strings.CutPrefix(strings.TrimLeft(body, " \t\r\n\ufeff"), markerStart+key+" sha256=")
	if !ok {
		return ""
	}
	hash, _, ok := strings.Cut(rest, " -->")
	if !ok || len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return ""
	}
	return hash
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == ' ', c == '.', c == '_':
			b.WriteByte(c)
		case c == '-' && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
