package kickstart_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

// find returns the problems of ks (checked with l) on line that contain msg.
func find(t *testing.T, l kickstart.Linter, ks string, line int, msg string) []*kickstart.LintError {
	t.Helper()
	var found []*kickstart.LintError
	for _, p := range l.Check("ks.cfg", []byte(ks)) {
		if p.Line == line && strings.Contains(p.Msg, msg) {
			found = append(found, p)
		}
	}
	return found
}

func one(t *testing.T, l kickstart.Linter, ks string, line int, msg string) *kickstart.LintError {
	t.Helper()
	found := find(t, l, ks, line, msg)
	if len(found) != 1 {
		var all []string
		for _, p := range l.Check("ks.cfg", []byte(ks)) {
			all = append(all, p.Error())
		}
		t.Fatalf("want one problem on line %d with %q, got %d of:\n%s", line, msg, len(found), strings.Join(all, "\n"))
	}
	return found[0]
}

// What the installer only logs stays a warning, and does not fail the lint.
func TestInstallerWarningsAreWarnings(t *testing.T) {
	tests := map[string]struct {
		old, new string
		line     int
		msg      string
	}{
		"top-level vim-cmd":     {"vmaccepteula\n", "vmaccepteula\nvim-cmd hostsvc/enable_ssh\n", 2, `unknown command "vim-cmd"; the installer skips the line (it is a shell command: run it in a %post or %firstboot section)`},
		"top-level esxcfg":      {"vmaccepteula\n", "vmaccepteula\nesxcfg-vswitch -L vmnic1 vSwitch0\n", 2, `unknown command "esxcfg-vswitch"; the installer skips the line (it is a shell command`},
		"extra positional word": {"vmaccepteula\n", "vmaccepteula\nkeyboard US Default\n", 2, `unexpected argument "US"`},
		"unknown option":        {"vmaccepteula\n", "vmaccepteula\nreboot --eject\n", 2, "unknown option --eject for reboot"},
		"interpreter no value":  {"%post --interpreter=busybox", "%post --interpreter", 5, "%post --interpreter needs a value"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ks := strings.Replace(minimal, tc.old, tc.new, 1)
			p := one(t, kickstart.Linter{InstallerOnly: true}, ks, tc.line, tc.msg)
			require.True(t, p.Warning, p.Error())
			errs, _ := kickstart.Count(kickstart.Linter{InstallerOnly: true}.Check("ks.cfg", []byte(ks)))
			require.Zero(t, errs)
		})
	}
}

// paranoid makes the warnings the installer logs fatal, and only those.
func TestParanoid(t *testing.T) {
	ks := strings.Replace(minimal, "vmaccepteula\n", "vmaccepteula\nparanoid\nreboot --eject\n", 1)
	ks = strings.Replace(ks, "--vlanid=20", "--vlanid=0", 1)
	l := kickstart.Linter{InstallerOnly: true}
	p := one(t, l, ks, 3, "unknown option --eject")
	require.False(t, p.Warning)
	require.Contains(t, p.Msg, "(fatal here: paranoid on line 2 makes every installer warning an error)")
	// --vlanid=0 is lint's caution, not an installer warning: it stays one.
	p = one(t, l, ks, 6, "--vlanid=0 is accepted but is not a usable VLAN")
	require.True(t, p.Warning, p.Error())
}

func TestTemplateLeftovers(t *testing.T) {
	tests := map[string]struct {
		old, new string
		line     int
		warning  bool
		msg      string
	}{
		"go template":      {"--hostname=esx01.lab", "--hostname={{ .Name }}", 4, false, `"{{"`},
		"jinja statement":  {"--hostname=esx01.lab", "--hostname={% if x %}a{% endif %}", 4, false, `"{%"`},
		"percent name":     {"--disk=naa.600508b1001c3a8e", "--disk=%DRIVEID%", 3, false, `"%DRIVEID%"`},
		"cobbler snippet":  {"vmaccepteula\n", "vmaccepteula\n$SNIPPET('network_config')\n", 2, false, `"$SNIPPET("`},
		"angle brackets":   {"--hostname=esx01.lab", "--hostname=<hostname>", 4, false, `"<hostname>"`},
		"erb":              {"--hostname=esx01.lab", "--hostname=<%= @name %>", 4, false, `"<%"`},
		"shell variable":   {"--hostname=esx01.lab", "--hostname=${HOST}", 4, false, `"${"`},
		"no value":         {"--hostname=esx01.lab", "--hostname=<no value>", 4, false, "the template printed a missing value"},
		"in a body":        {"vim-cmd hostsvc/enable_ssh\n", "echo {{ .Name }}\n", 8, true, "in a script body"},
		"percent in body":  {"vim-cmd hostsvc/enable_ssh\n", "echo %SERIAL_NUMBER%\n", 8, true, `"%SERIAL_NUMBER%" in a script body`},
		"date is not one":  {"vim-cmd hostsvc/enable_ssh\n", "date +%H%M%S > /tmp/t\n", 8, true, ""},
		"shell redirects":  {"vim-cmd hostsvc/enable_ssh\n", "cat <<EOF > /tmp/x\n${HOME} <b>\nEOF\n", 8, true, ""},
		"comment prose ok": {"vmaccepteula\n", "vmaccepteula\n# set <disk> and ${x} here\n", 2, true, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(minimal, tc.old))
			ks := strings.Replace(minimal, tc.old, tc.new, 1)
			if tc.msg == "" { // not a leftover
				for _, p := range kickstart.Check("ks.cfg", []byte(ks)) {
					require.NotContains(t, p.Msg, "leftover", p.Error())
				}
				return
			}
			p := one(t, kickstart.Linter{InstallerOnly: true}, ks, tc.line, tc.msg)
			require.Equal(t, tc.warning, p.Warning, p.Error())
		})
	}
}

func TestScriptSyntax(t *testing.T) {
	tests := map[string]struct {
		old, new string
		line     int
		warning  bool
		msg      string
	}{
		"post": {"/bin/poweroff -n\n", "if true; then\necho x\n/bin/poweroff -n\n", 6, false,
			"shell syntax error in the %post script of line 5: `if` statement must end with `fi`: a failing %post script fails the install"},
		"post ignorefailure": {"%post --interpreter=busybox\n/bin/poweroff -n\n", "%post --interpreter=busybox --ignorefailure=TRUE\necho 'x\n/bin/poweroff -n\n", 6, true,
			"(--ignorefailure=true: the install carries on)"},
		"pre": {"vmaccepteula\n", "vmaccepteula\n%pre --interpreter=busybox\necho > \n%include /tmp/x\n", 3, false,
			"shell syntax error in the %pre script of line 2"},
		"firstboot": {"vim-cmd hostsvc/enable_ssh\n", "for x in a b; do\necho $x\n", 8, true,
			"(it fails on the first boot, after the install)"},
		"default interpreter is busybox": {"%firstboot --interpreter=busybox\n", "%firstboot\nfi\n", 8, true,
			"shell syntax error in the %firstboot script of line 7"},
		"python end": {"%post --interpreter=busybox\n", "%post --interpreter=python\n%end\n", 6, false,
			"%end is not a section terminator: in a python script it is a SyntaxError: a failing %post script fails the install"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(minimal, tc.old))
			ks := strings.Replace(minimal, tc.old, tc.new, 1)
			p := one(t, kickstart.Linter{InstallerOnly: true}, ks, tc.line, tc.msg)
			require.Equal(t, tc.warning, p.Warning, p.Error())
		})
	}
	// busybox ash accepts &> and [[ ]], which POSIX sh refuses.
	bash := strings.Replace(minimal, "/bin/poweroff -n\n", "[[ -d /tmp ]] && ls &> /dev/null\n/bin/poweroff -n\n", 1)
	require.Empty(t, kickstart.Check("ks.cfg", []byte(bash)))
}

// A python body is not parsed, and lint says so once for the section.
func TestPythonBodyNotedOnce(t *testing.T) {
	ks := strings.Replace(minimal, "%firstboot --interpreter=busybox\nvim-cmd hostsvc/enable_ssh\n",
		"%firstboot --interpreter=python\nimport os\nos.system('x'\nprint(1)\n", 1)
	var notes []*kickstart.LintError
	for _, p := range kickstart.Check("ks.cfg", []byte(ks)) {
		require.True(t, p.Note, "a python body is not checked: %v", p)
		notes = append(notes, p)
	}
	require.Len(t, notes, 1)
	require.Equal(t, 7, notes[0].Line)
	require.Contains(t, notes[0].Error(), "ks.cfg:7: note: %firstboot --interpreter=python: the python body is not checked")
	errs, warns := kickstart.Count(notes)
	require.Zero(t, errs+warns)
}

// The portal's rules apply by default, each saying so, and only then.
func TestPortalRulesOnlyByDefault(t *testing.T) {
	ks := strings.Replace(minimal, "/bin/poweroff -n\n", "echo done\n", 1)
	p := one(t, kickstart.Linter{}, ks, 5, "the last %post section must end with /bin/poweroff -n")
	require.Equal(t, kickstart.PortalRules, p.Rules)
	require.False(t, p.Warning)
	require.Contains(t, p.Msg, `(found "echo done") (HPE Bare Metal portal rule: the portal learns that the deployment finished`)
	require.Empty(t, kickstart.Linter{InstallerOnly: true}.Check("ks.cfg", []byte(ks)))

	// Lint: the build placeholder is a portal rule too.
	plain := []byte(minimal)
	problems := kickstart.Lint("ks.cfg", plain, nil)
	require.Len(t, problems, 1)
	require.Equal(t, kickstart.PortalRules, problems[0].Rules)
	require.Contains(t, problems[0].Error(), "ks.cfg: no root password placeholder %ROOTPW_HASH% (the template needs the line `rootpw --iscrypted %ROOTPW_HASH%`) (HPE Bare Metal portal rule: ")
	require.Empty(t, kickstart.Linter{InstallerOnly: true}.Lint("ks.cfg", plain, nil))
}

// With --installer-only, a file that is not a portal template is still
// checked as the installer reads it.
func TestInstallerOnlyChecksWhatDoesNotParse(t *testing.T) {
	ks := strings.Replace(minimal, "--hostname=esx01.lab", "--hostname={{ upper .Name }}", 1)
	problems := kickstart.Linter{InstallerOnly: true}.Lint("ks.cfg", []byte(ks), nil)
	require.True(t, problems[0].Note)
	require.Contains(t, problems[0].Msg, `not a template the portal can render (function "upper" not defined): checked as a plain kickstart`)
	var all []string
	for _, p := range problems {
		all = append(all, p.Error())
	}
	require.Contains(t, all, `ks.cfg:4: template leftover "{{": the file was not rendered, and the installer would take it literally`)
	require.Contains(t, all, `ks.cfg:4: network --hostname={{ is not a valid host name`)

	problems = kickstart.Lint("ks.cfg", []byte(ks), nil)
	require.Len(t, problems, 2, "the portal cannot render it: nothing else is checked")
	require.Equal(t, kickstart.TemplateRules, problems[1].Rules)
}

// A problem every host shares is one finding listing the hosts; a render
// failure names its host.
func TestGroup(t *testing.T) {
	src := []byte("vmaccepteula\nrootpw --iscrypted %ROOTPW_HASH%\ninstall --firstdisk --overwritevmfs\nreboot --eject\n" +
		"network --bootproto=static --ip={{ (index (index .Connections 0).Networks 0).Name }}\n" +
		"%post --interpreter=busybox\n/bin/poweroff -n\n")
	net := func(name string) []kickstart.Connection {
		return []kickstart.Connection{{Name: "c", Networks: []kickstart.Network{{Name: name}}}}
	}
	hosts := []kickstart.Host{
		{File: "h/a.yaml", Def: kickstart.HostDef{Name: "a", Connections: net("10.0.0.1")}},
		{File: "h/b.yaml", Def: kickstart.HostDef{Name: "b", Connections: net("10.0.0.2")}},
		{File: "h/c.yaml", Def: kickstart.HostDef{Name: "c"}},
	}
	problems := kickstart.Lint("ks.tmpl", src, hosts)
	findings := kickstart.Group(problems)
	var lines []string
	for _, f := range findings {
		lines = append(lines, f.String())
	}
	require.Equal(t, []string{
		"ks.tmpl:4: warning: unknown option --eject for reboot (did you mean --noeject?); the installer ignores it (hosts a, b)",
		"ks.tmpl:5: warning: network --bootproto=static without --netmask: the installer guesses or leaves it empty (hosts a, b)",
		"ks.tmpl:5: warning: network --bootproto=static without --gateway: the installer guesses or leaves it empty (hosts a, b)",
		"ks.tmpl:5: warning: network --bootproto=static without --nameserver: the installer guesses or leaves it empty (hosts a, b)",
		"ks.tmpl:5: warning: network --bootproto=static without --hostname: the installer guesses or leaves it empty (hosts a, b)",
		"ks.tmpl:5:43: at <index .Connections 0>: error calling index: reflect: slice index out of range (host c)",
	}, lines)
	require.Equal(t, kickstart.TemplateRules, findings[5].RuleSet)
	require.Equal(t, []kickstart.HostRef{{Name: "c", File: "h/c.yaml"}}, findings[5].Hosts)
	require.Equal(t, []kickstart.HostRef{{Name: "a", File: "h/a.yaml", RenderedLine: 4}, {Name: "b", File: "h/b.yaml", RenderedLine: 4}}, findings[0].Hosts)
	errs, warns := kickstart.CountFindings(findings)
	require.Equal(t, 1, errs)
	require.Equal(t, 5, warns)
}

// A message that names another line names the template line, not a line of
// one host's rendered kickstart, so hosts with different layouts share it.
func TestLintMessagesNameTemplateLines(t *testing.T) {
	src := []byte("vmaccepteula\nrootpw --iscrypted %ROOTPW_HASH%\ninstall --firstdisk --overwritevmfs\n" +
		"{{ range .SSHKeys }}# {{ . }}\n{{ end }}network --bootproto=dhcp\nnetwork --bootproto=dhcp\n" +
		"%post --interpreter=busybox\n/bin/poweroff -n\n")
	hosts := []kickstart.Host{
		{File: "a.yaml", Def: kickstart.HostDef{Name: "a"}},
		{File: "b.yaml", Def: kickstart.HostDef{Name: "b", SSHKeys: []string{"k1", "k2"}}},
	}
	findings := kickstart.Group(kickstart.Lint("ks.tmpl", src, hosts))
	require.Len(t, findings, 1, "%v", findings)
	require.Equal(t, `ks.tmpl:6: warning: command "network" was already specified on line 5; the last one wins (hosts a, b)`, findings[0].String())
	require.Equal(t, 5, findings[0].Hosts[0].RenderedLine, "host a has no key comments")
	require.Equal(t, 7, findings[0].Hosts[1].RenderedLine)
}

// The service's templating_input decides whether hostdef-v4 fields are there.
func TestTemplatingInput(t *testing.T) {
	src := []byte("vmaccepteula\nrootpw --iscrypted %ROOTPW_HASH%\n{{ range .Connections }}{{ if .UntaggedNet.NoIPAddr }}x{{ end }}{{ end }}\n")
	v4 := func(l kickstart.Linter) bool {
		for _, p := range l.Lint("ks.tmpl", src, nil) {
			if strings.Contains(p.Msg, ".NoIPAddr is a hostdef-v4 field") {
				return true
			}
		}
		return false
	}
	require.True(t, v4(kickstart.Linter{}))
	require.True(t, v4(kickstart.Linter{TemplatingInput: "hostdef-v3"}))
	require.False(t, v4(kickstart.Linter{TemplatingInput: "hostdef-v4"}))
}

// Findings come down the file: whole-file ones first, then by line, whatever
// check found them first (here the leftover check runs before the script
// parser, and the missing network command is found last).
func TestGroupSortsByLine(t *testing.T) {
	src := []byte("vmaccepteula\nrootpw --iscrypted %ROOTPW_HASH%\ninstall --firstdisk --overwritevmfs\n" +
		"%post --interpreter=busybox\nif [ -d /x ; then\n  echo x\n%post --interpreter=busybox\necho <no value>\n/bin/poweroff -n\n")
	var got []int
	for _, f := range kickstart.Group(kickstart.Lint("ks.cfg", src, nil)) {
		got = append(got, f.Line)
	}
	require.True(t, slices.IsSorted(got), "%v", got)
	require.Contains(t, got, 0)
	require.Contains(t, got, 5) // the unclosed if
	require.Contains(t, got, 8)
}

// A byte order mark sticks to the first command, as in the installer; the
// finding names the mark instead of an unknown command "\ufeffvmaccepteula".
func TestByteOrderMark(t *testing.T) {
	ks := "\ufeff" + minimal
	p := one(t, kickstart.Linter{InstallerOnly: true}, ks, 1, "the file starts with a UTF-8 byte order mark, so the installer reads the first command as")
	require.True(t, p.Warning)
	require.Contains(t, p.Msg, "save the file as UTF-8 without a byte order mark")
	var msgs []string
	for _, f := range (kickstart.Linter{InstallerOnly: true}).Check("ks.cfg", []byte(ks)) {
		msgs = append(msgs, f.Error())
	}
	require.Contains(t, strings.Join(msgs, "\n"), "vmaccepteula command was not specified")
	require.NotContains(t, strings.Join(msgs, "\n"), "unknown command \"")
}
