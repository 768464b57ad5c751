package kickstart

import (
	"regexp"
	"strings"
)

// Leftovers of template languages: a kickstart that still holds one was never
// rendered, or rendered with a value missing, and the installer would take the
// placeholder literally (as a disk name, a password, a host name...).
var (
	// leftoverMarks are found anywhere: Go/Jinja/Ansible ({{ }}, {% %}),
	// Cobbler/Cheetah ($SNIPPET('...')), and Go's rendering of a missing map
	// value (<no value>).
	leftoverMarks = []string{"{{", "}}", "{%", "%}", "$SNIPPET(", "<no value>"}
	// commandMarks are found on command lines only, where no shell code is:
	// ERB (<%= %>) and shell/Terraform (${var}) interpolation.
	commandMarks = []string{"<%", "${"}
	// percentName is a %NAME% placeholder (HPE's %ROOTPW_HASH%, %DRIVEID%...).
	// In script bodies it needs three letters, so that date +%H%M%S is not one.
	percentName = regexp.MustCompile(`%[A-Z][A-Z0-9_]+%`)
	percentLong = regexp.MustCompile(`%[A-Z][A-Z0-9_]{2,}%`)
	// anglePlaceholder is a <placeholder> of documentation (<hostname>,
	// <disk id>); command lines only, as shell uses < and > for redirection.
	anglePlaceholder = regexp.MustCompile(`<[A-Za-z_][A-Za-z0-9_ .:-]*>`)
)

// leftover returns the first template leftover in the text of line (comments
// included: a leftover in a comment still means the file was not rendered),
// or "".
func leftover(line string, command bool) string {
	for _, m := range leftoverMarks {
		if strings.Contains(line, m) {
			return m
		}
	}
	if !command {
		return percentLong.FindString(line)
	}
	if m := percentName.FindString(line); m != "" && !strings.HasPrefix(strings.TrimSpace(line), "#") {
		return m
	}
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i] // plain comments may use <...> and ${...} in prose
	}
	for _, m := range commandMarks {
		if strings.Contains(line, m) {
			return m
		}
	}
	return anglePlaceholder.FindString(line)
}

func (c *checker) leftovers(n int, raw string, command bool) {
	m := leftover(raw, command)
	switch {
	case m == "":
	case m == "<no value>":
		c.errorf(n, "\"<no value>\": the template printed a missing value")
	case command && m == RootpwPlaceholder:
		// Reported by the rootpw check, which knows the build substitutes it.
	case command:
		c.errorf(n, "template leftover %q: the file was not rendered, and the installer would take it literally", m)
	default:
		c.cautionf(n, "template leftover %q in a script body", m)
	}
}
