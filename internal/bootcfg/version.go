package bootcfg

import "strings"

// ParseBuild splits a build= value such as "8.0.3-0.0.24022510" into the
// ESXi version ("8.0.3") and build number ("24022510", the last dot-separated
// field after the '-'). ok is false unless both parts look right, including
// for the empty build= found on some media; callers then fall back to
// VersionFromVolumeID.
func ParseBuild(s string) (version, build string, ok bool) {
	s = string(trim([]byte(s)))
	v, rest, found := strings.Cut(s, "-")
	if !found || !isDottedNumber(v) {
		return "", "", false
	}
	b := rest[strings.LastIndexByte(rest, '.')+1:]
	if !isDigits(b) {
		return "", "", false
	}
	return v, b, true
}

// VersionFromVolumeID reads the version and build from an installer ISO's
// volume ID, the image profile name upper-cased: "ESXI-8.0U3-24022510-STANDARD"
// gives "8.0U3" and "24022510". The version is returned as spelled on the
// media ("7.0B", "7.0U3G"). Custom profiles may carry no build number
// ("ESXI-7.0U3G-NUC12-SYN"), and 6.x patch profiles carry a dated ID where the
// build would be ("ESXI-6.7.0-20190802001-STANDARD"; a build number has at
// most 8 digits): build is then "" and ok still true. ok is false for IDs that
// are not ESXi profile names. PVD space or NUL padding is ignored.
func VersionFromVolumeID(id string) (version, build string, ok bool) {
	id = strings.Trim(id, " \x00")
	const prefix = "ESXI-"
	if len(id) <= len(prefix) || !equalFold(id[:len(prefix)], prefix) {
		return "", "", false
	}
	parts := strings.Split(id[len(prefix):], "-")
	if !isMediaVersion(parts[0]) {
		return "", "", false
	}
	// ESXi build numbers have had 7 or 8 digits (9484548, 24022510); a longer
	// number is a dated profile ID such as "20190802001" in a 6.x profile
	// name, not a build.
	if len(parts) > 1 && isDigits(parts[1]) && len(parts[1]) <= maxBuildDigits {
		build = parts[1]
	}
	return parts[0], build, true
}

// isDottedNumber accepts "8.0.3": at least two all-digit fields.
func isDottedNumber(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) {
			return false
		}
	}
	return true
}

// isMediaVersion accepts "8.0U3", "7.0B", "7.0.3": MAJOR.MINOR then letters,
// digits or dots (update and patch suffixes).
func isMediaVersion(s string) bool {
	major, rest, found := strings.Cut(s, ".")
	if !found || !isDigits(major) || rest == "" || rest[0] < '0' || rest[0] > '9' {
		return false
	}
	return strings.Trim(rest, digits+letters+".") == ""
}

// maxBuildDigits is the longest build number VersionFromVolumeID accepts.
const maxBuildDigits = 8

const (
	digits  = "0123456789"
	letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

func isDigits(s string) bool { return s != "" && strings.Trim(s, digits) == "" }
