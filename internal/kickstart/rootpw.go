package kickstart

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// RootpwPlaceholder is the build-time placeholder for the root password hash.
// The kickstart template holds it exactly once, as the password of its
// `rootpw --iscrypted` line:
//
//	rootpw --iscrypted %ROOTPW_HASH%
//
// `esxi-byoi build` replaces it with a SHA-512 crypt hash ([SubstituteRootpw])
// before the template is base64-encoded into the service YAML. It is plain text
// to Go's text/template and never meets the portal: percent signs and capitals
// are neither template syntax nor a kickstart section header (it is not at the
// start of a line).
const RootpwPlaceholder = "%ROOTPW_HASH%"

// ErrNoRootpwPlaceholder means a template lacks [RootpwPlaceholder].
var ErrNoRootpwPlaceholder = errors.New("kickstart: no root password placeholder " + RootpwPlaceholder +
	" (the template needs the line `rootpw --iscrypted " + RootpwPlaceholder + "`)")

// sha512Crypt matches a hash the ESXi installer accepts for rootpw --iscrypted
// with SHA-512: $6$, a salt of at most 16 characters, $, 86 characters, all
// from the crypt alphabet. ($6$rounds=N$ hashes are rejected by the installer.)
var sha512Crypt = regexp.MustCompile(`^\$6\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$`)

// SubstituteRootpw returns tmpl with [RootpwPlaceholder] replaced by hash and
// every other byte unchanged. It fails when the placeholder is missing, occurs
// more than once or is not the password of a `rootpw --iscrypted` line, and
// when hash is not a SHA-512 crypt hash ($6$<salt>$<86 characters>): in
// particular a hash holding a newline, whitespace, '#', quotes or "{{" could
// break the kickstart line or the portal's template and is refused.
func SubstituteRootpw(tmpl []byte, hash string) ([]byte, error) {
	if err := checkHash(hash); err != nil {
		return nil, err
	}
	ph := []byte(RootpwPlaceholder)
	switch n := bytes.Count(tmpl, ph); {
	case n == 0:
		return nil, ErrNoRootpwPlaceholder
	case n > 1:
		return nil, fmt.Errorf("kickstart: root password placeholder %s occurs %d times; keep it once, on the rootpw line", RootpwPlaceholder, n)
	}
	i := bytes.Index(tmpl, ph)
	lineStart := bytes.LastIndexByte(tmpl[:i], '\n') + 1
	lineEnd := len(tmpl)
	if j := bytes.IndexByte(tmpl[i:], '\n'); j >= 0 {
		lineEnd = i + j
	}
	line := strings.TrimRight(string(tmpl[lineStart:lineEnd]), "\r")
	f := strings.Fields(line)
	if !strings.HasPrefix(line, "rootpw") || len(f) < 3 || f[0] != "rootpw" || !slices.Contains(f[1:len(f)-1], "--iscrypted") || f[len(f)-1] != RootpwPlaceholder {
		return nil, fmt.Errorf("kickstart: root password placeholder must end a `rootpw --iscrypted %s` line at column 0, found %q", RootpwPlaceholder, line)
	}
	out := make([]byte, 0, len(tmpl)-len(ph)+len(hash))
	out = append(out, tmpl[:i]...)
	out = append(out, hash...)
	return append(out, tmpl[i+len(ph):]...), nil
}

func checkHash(hash string) error {
	switch {
	case hash == "":
		return errors.New("kickstart: empty root password hash")
	case strings.ContainsAny(hash, "\r\n"):
		return errors.New("kickstart: root password hash contains a line break")
	case strings.Contains(hash, "{{") || strings.Contains(hash, "}}"):
		return errors.New("kickstart: root password hash contains template delimiters {{ or }}")
	case strings.ContainsAny(hash, " \t\"'#\\"):
		return errors.New("kickstart: root password hash contains whitespace, a quote, '#' or '\\', which would break the rootpw line")
	case !sha512Crypt.MatchString(hash):
		return errors.New("kickstart: root password hash is not a SHA-512 crypt hash ($6$<salt of 1-16 characters>$<86 characters>, no rounds=)")
	}
	return nil
}

// passwordPolicy says why pw fails ESXi's default password policy, or "".
// ESXi checks passwords with pam_passwdqc, by default
// "retry=3 min=disabled,disabled,disabled,7,7" and at most 40 characters:
// one or two character classes and pass phrases are refused, three or four
// classes need 7 characters. The classes are lowercase, uppercase, digits and
// other characters; an uppercase first character and a digit last character
// do not count (VMware's examples: "Xqat3hi" and "xQaTEh2" are refused). The
// policy's dictionary check is not modelled.
func passwordPolicy(pw string) string {
	if n := len(pw); n < 7 {
		return fmt.Sprintf("has %d characters (at least 7)", n)
	} else if n > 40 {
		return fmt.Sprintf("has %d characters (at most 40)", n)
	}
	var digits, lowers, uppers, others, unknowns int
	for i := 0; i < len(pw); i++ {
		switch c := pw[i]; {
		case c >= 0x80:
			unknowns++
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z':
			lowers++
		case c >= 'A' && c <= 'Z':
			uppers++
		default:
			others++
		}
	}
	// passwdqc: "Upper case letters and digits used in common ways don't
	// increase the strength of a password".
	if c := pw[0]; c >= 'A' && c <= 'Z' {
		uppers--
	}
	if c := pw[len(pw)-1]; c >= '0' && c <= '9' {
		digits--
	}
	classes := 0
	for _, n := range []int{digits, lowers, uppers, others} {
		if n > 0 {
			classes++
		}
	}
	if unknowns > 0 && classes <= 1 {
		classes = 2 // passwdqc counts non-ASCII as at most a second class
	}
	if classes < 3 {
		return fmt.Sprintf("uses %d of the 4 character classes (lowercase, uppercase, digits, others; an uppercase first and a digit last character do not count), and 3 are needed", classes)
	}
	return ""
}
