package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/cli"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// ks runs `esxi-byoi kickstart ARGS...` in-process.
func ks(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(t.Context(), append([]string{"kickstart"}, args...), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// brokenTemplate writes the shipped template with old replaced by new and
// returns its path and the 1-based line where old was.
func brokenTemplate(t *testing.T, old, new string) (string, int) {
	t.Helper()
	src, err := templates.FS.ReadFile("kickstart.cfg.tmpl")
	require.NoError(t, err)
	i := bytes.Index(src, []byte(old))
	require.GreaterOrEqual(t, i, 0, old)
	line := 1 + bytes.Count(src[:i], []byte("\n"))
	path := filepath.Join(t.TempDir(), "ks.cfg.tmpl")
	require.NoError(t, os.WriteFile(path, bytes.Replace(src, []byte(old), []byte(new), 1), 0o644))
	return path, line
}

func TestKickstartLintShipped(t *testing.T) {
	code, out, errb := ks(t, "lint")
	require.Equal(t, 0, code, errb)
	require.Empty(t, errb)
	require.Regexp(t, `^templates/kickstart.cfg.tmpl: \d+ hosts checked \(installer and portal rules\): 0 errors, 0 warnings\n$`, out)
}

func TestKickstartLintBroken(t *testing.T) {
	tests := map[string]struct {
		old, new string
		msg      string
	}{
		"unknown function": {"{{ .Name }}.", "{{ upper .Name }}.", `function "upper" not defined`},
		"parse error":      {"{{- with .UserData }}", "{{- with .UserData }", "unexpected"},
		"bad option value": {"network --bootproto=static", "network --bootproto=static --vlanid=5000", `network --vlanid=5000 is not a VLAN id`},
		"no poweroff":      {"/bin/poweroff -n\n", "echo done\n", "must end with /bin/poweroff -n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path, line := brokenTemplate(t, tc.old, tc.new)
			if name == "no poweroff" {
				// The problem is reported on the %post header.
				src, err := os.ReadFile(path)
				require.NoError(t, err)
				line = 1 + bytes.Count(src[:bytes.Index(src, []byte("%post --"))], []byte("\n"))
			}
			code, out, errb := ks(t, "lint", path)
			require.Equal(t, 1, code, errb)
			require.Contains(t, errb, path+":"+strconv.Itoa(line)+":")
			require.Contains(t, errb, tc.msg)
			require.Contains(t, errb, "error: kickstart lint: "+path+": ")
			if name != "unknown function" && name != "parse error" {
				require.Regexp(t, `^`+regexp.QuoteMeta(path)+`: 7 hosts checked \(installer and portal rules\): \d+ errors?, \d+ warnings?\n$`, out)
			}
		})
	}
}

func TestKickstartLintRenderErrorNamesHost(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "ks.tmpl")
	require.NoError(t, os.WriteFile(tmpl, []byte("vmaccepteula\nrootpw --iscrypted %ROOTPW_HASH%\n"+
		"{{ range .Connections }}{{ range .Networks }}\nnetwork --ip={{ (index .Ranges 0).Base }}\n{{ end }}{{ end }}\n"), 0o644))
	hosts := filepath.Join(dir, "hosts")
	require.NoError(t, os.Mkdir(hosts, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hosts, "empty.yaml"), []byte(
		"Name: esx-empty\nConnections:\n  - Name: eth0\n    Networks:\n      - Name: Public\n        VID: 10\n"), 0o644))

	code, _, errb := ks(t, "lint", tmpl, "--hosts", hosts)
	require.Equal(t, 1, code, errb)
	require.Contains(t, errb, tmpl+":4:")
	require.Contains(t, errb, "at <index .Ranges 0>: error calling index")
	require.Contains(t, errb, "(host esx-empty)\n", "a render failure names its host")
}

// A problem that every host shares prints once, with the hosts; an
// installer warning does not fail the lint; --installer-only drops the
// portal's rules.
func TestKickstartLintOneLinePerFinding(t *testing.T) {
	path, line := brokenTemplate(t, "vmaccepteula\n", "vmaccepteula\nreboot --eject\n")
	code, out, errb := ks(t, "lint", path)
	require.Equal(t, 0, code, errb)
	want := path + ":" + strconv.Itoa(line+1) + ": warning: unknown option --eject for reboot (did you mean --noeject?); the installer ignores it (hosts "
	require.Equal(t, 1, strings.Count(errb, "--eject"), errb)
	require.Contains(t, errb, want)
	require.Contains(t, out, "7 hosts checked (installer and portal rules): 0 errors, 1 warning\n")
}

func TestKickstartLintPlainKickstart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ks.cfg")
	require.NoError(t, os.WriteFile(path, []byte("vmaccepteula\nrootpw VMware1!x\ninstall --firstdisk --overwritevmfs\nnetwork --bootproto=dhcp\n"), 0o644))

	code, out, errb := ks(t, "lint", "--installer-only", path)
	require.Equal(t, 0, code, errb)
	require.Empty(t, errb)
	require.Equal(t, path+": plain kickstart, checked once (installer rules): 0 errors, 0 warnings\n", out)

	code, out, errb = ks(t, "lint", path)
	require.Equal(t, 1, code, errb)
	require.Contains(t, errb, path+": no root password placeholder %ROOTPW_HASH%")
	require.Contains(t, errb, path+": no %post section: the last one must end with /bin/poweroff -n (HPE Bare Metal portal rule: ")
	require.NotContains(t, errb, "(host", "a plain kickstart is checked once, for no host")
	require.Contains(t, out, "(installer and portal rules): 2 errors, 0 warnings")
}

func TestKickstartLintParanoid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ks.cfg")
	require.NoError(t, os.WriteFile(path, []byte("paranoid\nvmaccepteula\nrootpw VMware1!x\ninstall --firstdisk --overwritevmfs\nkeyboard US\n"), 0o644))
	code, _, errb := ks(t, "lint", "--installer-only", path)
	require.Equal(t, 1, code, errb)
	require.Contains(t, errb, path+`:5: keyboard "US" is not a known layout`)
	require.Contains(t, errb, "(fatal here: paranoid on line 1 makes every installer warning an error)")
}

func TestKickstartLintJSON(t *testing.T) {
	path, line := brokenTemplate(t, "vmaccepteula\n", "vmaccepteula\nreboot --eject\n")
	code, out, errb := ks(t, "lint", "--json", path)
	require.Equal(t, 0, code, errb)
	require.Empty(t, errb)
	var report struct {
		File     string   `json:"file"`
		Rules    string   `json:"rules"`
		Hosts    []string `json:"hosts"`
		Errors   int      `json:"errors"`
		Warnings int      `json:"warnings"`
		Findings []struct {
			File     string `json:"file"`
			Line     int    `json:"line"`
			Severity string `json:"severity"`
			RuleSet  string `json:"rule_set"`
			Message  string `json:"message"`
			Hosts    []struct {
				Name, File   string
				RenderedLine int `json:"rendered_line"`
			} `json:"hosts"`
		} `json:"findings"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &report), out)
	require.Equal(t, path, report.File)
	require.Equal(t, "installer and portal", report.Rules)
	require.Len(t, report.Hosts, 7)
	require.Equal(t, 0, report.Errors)
	require.Equal(t, 1, report.Warnings)
	require.Len(t, report.Findings, 1)
	f := report.Findings[0]
	require.Equal(t, path, f.File)
	require.Equal(t, line+1, f.Line)
	require.Equal(t, "warning", f.Severity)
	require.Equal(t, "installer", f.RuleSet)
	require.Contains(t, f.Message, "unknown option --eject for reboot")
	require.Len(t, f.Hosts, 7)
	require.NotEmpty(t, f.Hosts[0].File)
	require.Positive(t, f.Hosts[0].RenderedLine)
}

func TestKickstartLintBadHostFile(t *testing.T) {
	hosts := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(hosts, "typo.yaml"), []byte("Name: esx1\nSSHKey: []\n"), 0o644))
	code, out, errb := ks(t, "--hosts", hosts) // flags before the subcommand are a usage error
	require.Equal(t, 2, code, errb)
	require.Empty(t, out)

	code, _, errb = ks(t, "lint", "--hosts", hosts)
	require.Equal(t, 1, code, errb)
	require.Contains(t, errb, filepath.ToSlash(filepath.Join(hosts, "typo.yaml"))+":2: unknown key SSHKey in a host definition: the portal's host data has no such field (did you mean SSHKeys?)")
	require.NotContains(t, errb, "kickstart.", "no Go type names")
}

func TestKickstartRender(t *testing.T) {
	host := filepath.Join("..", "..", "templates", "hosts", "esx-raid-naa.yaml")
	code, out, errb := ks(t, "render", "--host", host)
	require.Equal(t, 0, code, errb)
	require.Empty(t, errb)
	require.Contains(t, out, "\nrootpw --iscrypted %ROOTPW_HASH%\n")
	require.Contains(t, out, "\ninstall --disk=naa.600508b1001c7d3e4f5a6b7c8d9e0f12 --overwritevmfs\n")

	const hash = "$6$esxibyoitest$51i1TJMoVjjw1CAsbjsfukpHcbaux2TTvrVrFqDCtgmyw6AjQbJkTZgmiyyn.uRnpn7YG5xJ4xhh1iXjchHko0"
	code, out2, errb := ks(t, "render", "--root-password-hash", hash, "--host", host)
	require.Equal(t, 0, code, errb)
	require.Equal(t, strings.Replace(out, "%ROOTPW_HASH%", hash, 1), out2)

	code, _, errb = ks(t, "render", "--root-password-hash", "plain", "--host", host)
	require.Equal(t, 1, code)
	require.Contains(t, errb, "not a SHA-512 crypt hash")
}

// A user without the repository has no templates/hosts/ on disk: --host takes
// the name of an embedded sample host, and a name that is neither a file nor a
// sample host lists the sample hosts.
func TestKickstartRenderSampleHostByName(t *testing.T) {
	_, fromFile, _ := ks(t, "render", "--host", filepath.Join("..", "..", "templates", "hosts", "esx-raid-naa.yaml"))
	require.Contains(t, fromFile, "host esx-raid04")
	for _, name := range []string{"esx-raid-naa", "esx-raid-naa.yaml"} {
		t.Chdir(t.TempDir()) // no such file here
		code, out, errb := ks(t, "render", "--host", name)
		require.Equal(t, 0, code, errb)
		require.Equal(t, fromFile, out)
	}
	code, out, errb := ks(t, "render", "--host", "esx-nope")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errb, "read host: open esx-nope: no such file or directory (fix: give the path of a host YAML file, or the name of a sample host: esx-bfs-fc, esx-bond-iscsi,")
	require.NotContains(t, errb, "check the path")

	code, _, errb = ks(t, "render", "--host", filepath.Join("sub", "esx-raid-naa"))
	require.Equal(t, 1, code, "a path is never a sample host's name")
	require.Contains(t, errb, "(fix: check the path)")
}

func TestKickstartRenderOwnTemplateAfterHost(t *testing.T) {
	tmpl := filepath.Join(t.TempDir(), "mini.tmpl")
	require.NoError(t, os.WriteFile(tmpl, []byte("# {{ .Name }} {{ len .Connections }}\n"), 0o644))
	host := filepath.Join("..", "..", "templates", "hosts", "esx-bfs-fc.yaml")
	code, out, errb := ks(t, "render", tmpl, "--host", host) // flags may follow FILE
	require.Equal(t, 0, code, errb)
	require.Equal(t, "# esx-bfs06 2\n", out)
}

func TestKickstartUsage(t *testing.T) {
	tests := map[string]struct {
		args []string
		code int
		msg  string
	}{
		"no subcommand":      {nil, 2, "missing subcommand"},
		"unknown subcommand": {[]string{"check"}, 2, `unknown subcommand "check"`},
		"render needs host":  {[]string{"render"}, 2, "--host HOST.yaml is required"},
		"two files":          {[]string{"lint", "a", "b"}, 2, "at most one template FILE"},
		"bad flag":           {[]string{"lint", "--nope"}, 2, "flag provided but not defined"},
		"missing file":       {[]string{"lint", "/nonexistent/ks.tmpl"}, 1, "read kickstart template"},
		"directory":          {[]string{"lint", os.TempDir()}, 1, "is a directory: give the template file in it, e.g. " + filepath.Join(os.TempDir(), "kickstart.cfg.tmpl")},
		"missing host":       {[]string{"render", "--host", "/nonexistent/h.yaml"}, 1, "read host"},
		"help":               {[]string{"lint", "-h"}, 0, "usage: esxi-byoi kickstart lint"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, errb := ks(t, tc.args...)
			require.Equal(t, tc.code, code, errb)
			require.Contains(t, errb, tc.msg)
			if tc.code == 2 {
				require.Contains(t, errb, "usage: esxi-byoi kickstart lint|render [flags] [FILE]")
			}
		})
	}
}

// With --json, a broken sample host still gives JSON on stdout: the host
// file's problem is an error finding at its line, and the command fails.
func TestKickstartLintJSONReportsBrokenHosts(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("Name: x\nConnections:\n  - Nme: eth0\n"), 0o644))
	code, stdout, stderr := run(t, "kickstart", "lint", "--json", "--hosts", dir)
	require.Equal(t, 1, code, stderr)
	var r struct {
		Errors   int
		Findings []struct {
			File, Severity, Message string
			Line                    int
			RuleSet                 string `json:"rule_set"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
	require.Equal(t, 1, r.Errors)
	require.Len(t, r.Findings, 1)
	f := r.Findings[0]
	require.Equal(t, filepath.Join(dir, "bad.yaml"), f.File)
	require.Equal(t, 3, f.Line)
	require.Equal(t, "error", f.Severity)
	require.Equal(t, "template", f.RuleSet)
	require.Contains(t, f.Message, "did you mean Name?")
}
