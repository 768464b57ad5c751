package kickstart_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/realworld"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// installerErrors are the real installer errors of the corpus kickstarts, by
// file and line: anything else an installer-only lint calls an error is a
// false alarm.
var installerErrors = map[string]map[int]string{
	// rootpw mypassword: one character class; ESXi's policy wants three.
	"01-vmware-kb2004582.cfg": {9: "rootpw: the password uses 1 of the 4 character classes"},
	// --nameserver=10.23.108.1[,10.23.108.2]: the brackets of a usage line.
	"19-tacobayle-nested-crlf.cfg": {17: `network --nameserver: "10.23.108.1[" is not an IP address`},
}

// TestCorpusInstallerOnly lints every real kickstart with the installer's
// rules only: each passes, except for the real installer errors above, each
// at its line; and no finding is printed twice.
func TestCorpusInstallerOnly(t *testing.T) {
	hosts, err := kickstart.LoadHosts(templates.FS, "hosts", "templates")
	require.NoError(t, err)
	for _, path := range realworld.Files(t, "kickstarts", "*.cfg") {
		base := filepath.Base(path)
		t.Run(base, func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			findings := kickstart.Group(kickstart.Linter{InstallerOnly: true}.Lint(base, src, hosts))
			got := map[int]string{} // line → its error messages
			seen := map[string]bool{}
			for _, f := range findings {
				require.False(t, seen[f.String()], "printed twice: %s", f)
				seen[f.String()] = true
				require.Empty(t, f.Hosts, "a plain kickstart is checked once, for no host: %s", f)
				require.NotEqual(t, kickstart.PortalRules, f.RuleSet, f.String())
				if f.Severity == kickstart.SeverityError {
					got[f.Line] += f.Message + "\n"
				}
			}
			want := installerErrors[base]
			require.Len(t, got, len(want), "errors: %v", got)
			for line, msg := range want {
				require.Contains(t, got, line)
				require.Contains(t, got[line], msg)
			}
		})
	}
}

// TestCorpusDefaultNamesPortalRules lints every real kickstart with the
// default rules: none was written for the HPE Bare Metal portal, so each
// fails, and the portal's findings say they are the portal's.
func TestCorpusDefaultNamesPortalRules(t *testing.T) {
	for _, path := range realworld.Files(t, "kickstarts", "*.cfg") {
		base := filepath.Base(path)
		t.Run(base, func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			findings := kickstart.Group(kickstart.Lint(base, src, nil))
			var portal []string
			for _, f := range findings {
				if f.RuleSet == kickstart.PortalRules {
					require.Equal(t, kickstart.SeverityError, f.Severity, f.String())
					require.Contains(t, f.Message, " (HPE Bare Metal portal rule: ", f.String())
					portal = append(portal, f.Message)
				}
			}
			all := strings.Join(portal, "\n")
			require.Contains(t, all, "no root password placeholder %ROOTPW_HASH%")
			require.Contains(t, all, "/bin/poweroff -n")
			errs, _ := kickstart.CountFindings(findings)
			require.GreaterOrEqual(t, errs, 2)
		})
	}
}
