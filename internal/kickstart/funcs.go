package kickstart

import (
	"fmt"
	"strings"
	"text/template"
)

// Funcs returns exactly the functions the HPE Bare Metal portal adds to
// text/template when it renders a kickstart: uuid, hasprefix, trimprefix,
// contains, lower and euiswap. With the text/template built-ins (and, or, not,
// len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js,
// urlquery, call) they are all a template may call; any other name fails at
// parse time, as it does on the portal.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"uuid":       IsUUID,
		"hasprefix":  strings.HasPrefix, // hasprefix s prefix
		"trimprefix": strings.TrimPrefix,
		"contains":   strings.Contains, // contains s substr (Go argument order)
		"lower":      strings.ToLower,
		"euiswap":    EUISwap,
	}
}

// IsUUID reports whether id is a UUID or an NAA-6 volume id: 32 hex digits, or
// a UUID in its 8-4-4-4-12 form. It is the portal's `uuid` function, which
// HPE's templates use to tell a RAID logical volume's NAA id (the part after
// "naa.") from an NVMe "eui." id. Case does not matter.
func IsUUID(id string) bool {
	switch len(id) {
	case 32:
		return isHex(id)
	case 36:
		for _, i := range []int{8, 13, 18, 23} {
			if id[i] != '-' {
				return false
			}
		}
		return isHex(id[0:8] + id[9:13] + id[14:18] + id[19:23] + id[24:])
	}
	return false
}

// EUISwap returns an NVMe EUI-64 (16 hex digits, an optional "eui." prefix
// ignored) the way ESXi writes it at the end of the namespace's t10 device name:
// the 8 bytes in reverse order, upper-case hex. So eui.0025385b71b07e2f is the
// disk t10.NVMe____<model>____2F7EB0715B382500. This is our reading of the
// portal's `euiswap` (its source is not public): it matches the t10 names ESXi
// shows for NVMe drives whose EUI-64 starts with an OUI (Samsung 00:25:38 gives
// names ending in ...382500); it is not verified on an HPE NS204i volume.
// Anything but 16 hex digits is an error, so that a wrong id fails the render
// instead of producing a disk name that does not exist.
func EUISwap(eui string) (string, error) {
	hex := strings.TrimPrefix(strings.ToLower(eui), "eui.")
	if len(hex) != 16 || !isHex(hex) {
		return "", fmt.Errorf("euiswap: %q is not an EUI-64 (16 hex digits)", eui)
	}
	var b strings.Builder
	for i := len(hex) - 2; i >= 0; i -= 2 {
		b.WriteString(strings.ToUpper(hex[i : i+2]))
	}
	return b.String(), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
