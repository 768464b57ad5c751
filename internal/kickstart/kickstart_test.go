package kickstart_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const tmplName = "templates/kickstart.cfg.tmpl"

func shipped(t *testing.T) ([]byte, []kickstart.Host) {
	t.Helper()
	src, err := templates.FS.ReadFile("kickstart.cfg.tmpl")
	require.NoError(t, err)
	hosts, err := kickstart.LoadHosts(templates.FS, "hosts", "templates")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(hosts), 6)
	return src, hosts
}

// lineOf returns the 1-based line of the first line of src containing sub.
func lineOf(t *testing.T, src []byte, sub string) int {
	t.Helper()
	i := bytes.Index(src, []byte(sub))
	require.GreaterOrEqual(t, i, 0, "%q not in template", sub)
	return 1 + bytes.Count(src[:i], []byte("\n"))
}

func TestLintShippedTemplate(t *testing.T) {
	src, hosts := shipped(t)
	problems := kickstart.Lint(tmplName, src, hosts)
	for _, p := range problems {
		t.Errorf("%v", p)
	}
}

func TestRenderGolden(t *testing.T) {
	src, hosts := shipped(t)
	tmpl, err := kickstart.Parse(tmplName, src)
	require.NoError(t, err)
	for _, h := range hosts {
		name := strings.TrimSuffix(filepath.Base(h.File), ".yaml")
		t.Run(name, func(t *testing.T) {
			out, err := kickstart.Render(tmpl, &h.Def)
			require.NoError(t, err)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			require.Equal(t, string(want), string(out))
			// The rendered kickstart keeps the build-time placeholder...
			require.Contains(t, string(out), "\nrootpw --iscrypted "+kickstart.RootpwPlaceholder+"\n")
			// ...and is otherwise clean once a hash is in place.
			withHash := strings.Replace(string(out), kickstart.RootpwPlaceholder, testHash, 1)
			require.Empty(t, kickstart.Check(name, []byte(withHash)))
		})
	}
}

// TestLintBroken checks that each kind of broken template fails with the right
// FILE:LINE.
// replacer returns a function that replaces the one occurrence of old in src.
func replacer(t *testing.T, src []byte) func(old, new string) []byte {
	return func(old, new string) []byte {
		require.Equal(t, 1, bytes.Count(src, []byte(old)), old)
		return bytes.Replace(src, []byte(old), []byte(new), 1)
	}
}

// onlyHost returns the sample host called name, alone.
func onlyHost(t *testing.T, hosts []kickstart.Host, name string) []kickstart.Host {
	for _, h := range hosts {
		if h.Def.Name == name {
			return []kickstart.Host{h}
		}
	}
	t.Fatalf("no sample host %s", name)
	return nil
}

func TestLintBroken(t *testing.T) {
	src, hosts := shipped(t)
	replace := replacer(t, src)
	single := onlyHost(t, hosts, "esx-single01")
	emptyRanges := []kickstart.Host{{File: "hosts/empty.yaml", Def: kickstart.HostDef{
		Name: "esx-empty",
		Connections: []kickstart.Connection{{Name: "eth0", Networks: []kickstart.Network{
			{Name: "Public", Purpose: "vmKernel", VID: 10}}}},
	}}}
	indexTmpl := "vmaccepteula\n{{ range .Connections }}\n{{ range .Networks }}\n" +
		"network --ip={{ (index .Ranges 0).Base }}\n{{ end }}\n{{ end }}\n"

	tests := map[string]struct {
		src    []byte
		hosts  []kickstart.Host
		line   int    // template line the first error must be on
		prefix string // the first error must start with this...
		msg    string // ...and contain this
	}{
		"unknown function": {
			src:   replace("# ESXi scripted install for host {{ .Name }}.", "# ESXi scripted install for host {{ upper .Name }}."),
			hosts: hosts,
			line:  lineOf(t, src, "# ESXi scripted install for host"),
			msg:   `function "upper" not defined`,
		},
		"parse error": {
			src:   replace("{{- with .UserData }}", "{{- with .UserData }"),
			hosts: hosts,
			line:  lineOf(t, src, "{{- with .UserData }}"),
			msg:   "unexpected",
		},
		"empty ranges": {
			src:    []byte("rootpw --iscrypted " + kickstart.RootpwPlaceholder + "\n" + indexTmpl),
			hosts:  emptyRanges,
			line:   5,
			prefix: tmplName + ":5:",
			msg:    "host esx-empty (hosts/empty.yaml): at <index .Ranges 0>: error calling index: ",
		},
		"no poweroff": {
			src:   replace("/bin/poweroff -n\n", "\n"),
			hosts: single,
			line:  lineOf(t, src, "%post --interpreter"),
			msg:   "the last %post section must end with /bin/poweroff -n",
		},
		"unknown field": {
			src:   replace("{{- with .UserData }}", "{{- with .UserDat }}"),
			hosts: single,
			line:  lineOf(t, src, "{{- with .UserData }}"),
			msg:   ".UserDat is not a field of the hostdef-v3 data (did you mean .UserData?)",
		},
		"placeholder missing": {
			src:   replace("rootpw --iscrypted %ROOTPW_HASH%", "rootpw --iscrypted $6$x$y"),
			hosts: single,
			msg:   "no root password placeholder",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			problems := kickstart.Lint(tmplName, tc.src, tc.hosts)
			var errs []*kickstart.LintError
			for _, p := range problems {
				if !p.Warning {
					errs = append(errs, p)
				}
			}
			require.NotEmpty(t, errs)
			first := errs[0]
			require.Equal(t, tmplName, first.File, first.Error())
			require.Equal(t, tc.line, first.Line, first.Error())
			require.Contains(t, first.Error(), tc.msg)
			if tc.prefix != "" {
				require.True(t, strings.HasPrefix(first.Error(), tc.prefix), first.Error())
			} else if tc.line > 0 {
				require.True(t, strings.HasPrefix(first.Error(), tmplName+":"+strconv.Itoa(tc.line)+":"), first.Error())
			}
		})
	}
}

// TestShippedTemplateSurvivesEmptyRanges renders the shipped template for a
// host whose networks have no address: it must not fail.
func TestShippedTemplateSurvivesEmptyRanges(t *testing.T) {
	src, _ := shipped(t)
	hosts := []kickstart.Host{{File: "x.yaml", Def: kickstart.HostDef{
		Name: "esx-bare",
		Connections: []kickstart.Connection{{
			Name:        "eth0",
			UntaggedNet: kickstart.Network{Name: "Public", VID: 5},
			Networks: []kickstart.Network{
				{Name: "Public", Purpose: "vmKernel", VID: 10},
				{Name: "a", Purpose: "iSCSI-A", VID: 11},
				{Name: "t", Purpose: "Telemetry", VID: 12},
			},
		}},
	}}}
	for _, p := range kickstart.Lint(tmplName, src, hosts) {
		require.True(t, p.Warning, p.Error())
	}
}

func TestRenderErrorNamesHostAndLine(t *testing.T) {
	tmpl, err := kickstart.Parse("ks.tmpl", []byte("line one\n{{ euiswap .Name }}\n"))
	require.NoError(t, err)
	_, err = kickstart.Render(tmpl, &kickstart.HostDef{Name: "esx9"})
	require.Error(t, err)
	require.Equal(t, `ks.tmpl:2:3: host esx9: at <euiswap .Name>: error calling euiswap: euiswap: "esx9" is not an EUI-64 (16 hex digits)`, err.Error())
}

func TestParseOnlyPortalFunctions(t *testing.T) {
	for _, fn := range []string{"uuid", "hasprefix", "trimprefix", "contains", "lower", "euiswap",
		"and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge"} {
		_, err := kickstart.Parse("t", []byte("{{ if false }}{{ "+fn+" }}{{ end }}"))
		require.NoError(t, err, fn)
	}
	for _, fn := range []string{"upper", "replace", "split", "join", "default", "toYaml", "env", "trim"} {
		_, err := kickstart.Parse("t", []byte("x\n{{ "+fn+" .Name }}"))
		require.Error(t, err, fn)
		require.Equal(t, `t:2: function "`+fn+`" not defined`, err.Error())
	}
}

func TestLoadHostsStrict(t *testing.T) {
	fsys := fstest.MapFS{
		"hosts/good.yaml": {Data: []byte("Name: esx1\n")},
		"hosts/bad.yaml":  {Data: []byte("Name: esx2\nConnections:\n  - Name: eth0\n    Interface: []\n")},
		"hosts/notes.txt": {Data: []byte("ignored")},
	}
	hosts, err := kickstart.LoadHosts(fsys, "hosts", "samples")
	require.Error(t, err)
	require.Contains(t, err.Error(), "samples/hosts/bad.yaml:4: unknown key Interface in a Connections entry: the portal's host data has no such field (did you mean Interfaces?)")
	require.Len(t, hosts, 1)
	require.Equal(t, "samples/hosts/good.yaml", hosts[0].File)

	for name, data := range map[string]string{
		"empty":    "",
		"no name":  "SSHKeys: []\n",
		"two docs": "Name: a\n---\nName: b\n",
		"syntax":   "Name: [\n",
		"no guess": "Name: a\nConnections:\n  - Networks:\n      - Ranges:\n          - Mask: 24\n",
	} {
		_, err := kickstart.DecodeHost("h.yaml", strings.NewReader(data))
		require.Error(t, err, name)
		require.True(t, strings.HasPrefix(err.Error(), "h.yaml"), err.Error())
	}

	_, err = kickstart.LoadHosts(fstest.MapFS{"d/x.txt": {}}, "d", "")
	require.ErrorContains(t, err, "no *.yaml files in d: put one host definition per file there")

	// A directory that is not there is named as the user gave it.
	_, err = kickstart.LoadHosts(os.DirFS(filepath.Join(t.TempDir(), "nope")), ".", "my/hosts")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.EqualError(t, err, "read hosts: open my/hosts: no such file or directory")
}

func TestLoadHostFile(t *testing.T) {
	h, err := kickstart.LoadHostFile("../../templates/hosts/esx-bond-iscsi.yaml")
	require.NoError(t, err)
	require.Equal(t, "esx-iscsi02", h.Def.Name)
	require.Len(t, h.Def.Connections[0].Interfaces, 2)
	_, err = kickstart.LoadHostFile("testdata/does-not-exist.yaml")
	require.Error(t, err)
}

func TestLintWarnsOnHostdefV4Field(t *testing.T) {
	src := []byte("vmaccepteula\nrootpw --iscrypted %ROOTPW_HASH%\n{{ range .Connections }}\n{{ if .UntaggedNet.NoIPAddr }}x{{ end }}{{ end }}\n")
	problems := kickstart.Lint("ks.tmpl", src, nil)
	var found bool
	for _, p := range problems {
		if p.Line == 4 && p.Warning && strings.Contains(p.Msg, ".NoIPAddr is a hostdef-v4 field") {
			found = true
		}
	}
	require.True(t, found, "%v", problems)
}

func TestParseSchema(t *testing.T) {
	for in, want := range map[string]kickstart.Schema{"hostdef-v3": kickstart.HostdefV3, "hostdef-v4": kickstart.HostdefV4} {
		s, err := kickstart.ParseSchema(in)
		require.NoError(t, err)
		require.Equal(t, want, s)
	}
	for _, in := range []string{"", "hostdef-v2", "install-env-v1", "HOSTDEF-V3"} {
		_, err := kickstart.ParseSchema(in)
		require.ErrorIs(t, err, kickstart.ErrUnknownSchema, in)
	}
	require.False(t, kickstart.HostdefV3.HasField("NoIPAddr"))
	require.True(t, kickstart.HostdefV4.HasField("NoIPAddr"))
	require.True(t, kickstart.SchemaUnknown.HasField("NoIPAddr"))
	require.True(t, kickstart.HostdefV3.HasField("TargetIQN"))
	require.False(t, kickstart.HostdefV4.HasField("WWN"))
}

// TestCheckFieldsPerSchema: a hostdef-v4 field is an error for a service that
// declares hostdef-v3, fine for hostdef-v4, and a warning when the service is
// not known (what Lint does).
func TestCheckFieldsPerSchema(t *testing.T) {
	src := []byte("x\n{{ range .Connections }}{{ if .UntaggedNet.NoIPAddr }}x{{ end }}{{ end }}\n{{ .Nmae }}\n")
	tmpl, err := kickstart.Parse("ks.tmpl", src)
	require.NoError(t, err)

	v3 := kickstart.CheckFields(tmpl, kickstart.HostdefV3)
	require.Len(t, v3, 2)
	require.Equal(t, "ks.tmpl:2: .NoIPAddr is a hostdef-v4 field; this service declares templating_input hostdef-v3, whose data has no such field (test .Ranges instead, or declare hostdef-v4)", v3[0].Error())
	require.Equal(t, "ks.tmpl:3: .Nmae is not a field of the hostdef-v3 data (did you mean .Name?)", v3[1].Error())

	v4 := kickstart.CheckFields(tmpl, kickstart.HostdefV4)
	require.Len(t, v4, 1)
	require.Equal(t, "ks.tmpl:3: .Nmae is not a field of the hostdef-v4 data (did you mean .Name?)", v4[0].Error())

	unknown := kickstart.CheckFields(tmpl, kickstart.SchemaUnknown)
	require.Len(t, unknown, 2)
	require.True(t, unknown[0].Warning)
	require.False(t, unknown[1].Warning)
}

func TestCheckHost(t *testing.T) {
	rng := []kickstart.Range{{Base: "10.0.0.5", Netmask: "255.255.255.0", CIDR: 24}}
	host := func(n kickstart.Network, portals ...string) *kickstart.HostDef {
		return &kickstart.HostDef{Name: "esx1", ISCSIDiscoveryAddressesV3: portals,
			Connections: []kickstart.Connection{{Name: "bond0", Networks: []kickstart.Network{n}}}}
	}
	tests := map[string]struct {
		h      *kickstart.HostDef
		schema kickstart.Schema
		msg    string // "" = valid
	}{
		"v3 network":           {host(kickstart.Network{Name: "a", VID: 5, Ranges: rng}, "10.0.0.10"), kickstart.HostdefV3, ""},
		"NoIPAddr in v3":       {host(kickstart.Network{Name: "a", VID: 5, NoIPAddr: true}), kickstart.HostdefV3, `connection bond0 network "a": NoIPAddr is a hostdef-v4 field`},
		"NoIPAddr in v4":       {host(kickstart.Network{Name: "a", VID: 5, NoIPAddr: true}), kickstart.HostdefV4, ""},
		"NoIPAddr with Ranges": {host(kickstart.Network{Name: "a", VID: 5, NoIPAddr: true, Ranges: rng}), kickstart.HostdefV4, "NoIPAddr and Ranges together"},
		"no Ranges":            {host(kickstart.Network{Name: "a", VID: 5}), kickstart.HostdefV4, `connection bond0 network "a" has no Ranges`},
		"ip:port portal":       {host(kickstart.Network{Name: "a", VID: 5, Ranges: rng}, "10.0.0.10:3260"), kickstart.HostdefV3, `iSCSI discovery address "10.0.0.10:3260" is not a bare IPv4 address`},
		"mask and CIDR":        {host(kickstart.Network{Name: "a", VID: 5, Ranges: []kickstart.Range{{Base: "10.0.0.5", Netmask: "255.255.0.0", CIDR: 24}}}), kickstart.HostdefV3, `Ranges[0] Netmask "255.255.0.0" and CIDR 24 disagree`},
		"untagged without Ranges": {&kickstart.HostDef{Name: "esx1", Connections: []kickstart.Connection{{Name: "eth0",
			UntaggedNet: kickstart.Network{Name: "Public", VID: 7}}}}, kickstart.HostdefV3, `connection eth0 UntaggedNet "Public" has no Ranges`},
		"no untagged network": {&kickstart.HostDef{Name: "esx1", Connections: []kickstart.Connection{{Name: "eth0"}}}, kickstart.HostdefV3, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			problems := kickstart.CheckHost("h.yaml", tc.h, tc.schema)
			if tc.msg == "" {
				require.Empty(t, problems)
				return
			}
			require.Len(t, problems, 1, "%v", problems)
			require.True(t, strings.HasPrefix(problems[0].Error(), "h.yaml: host esx1: "), problems[0].Error())
			require.Contains(t, problems[0].Error(), tc.msg)
		})
	}
}

// TestLintBrokenWarnings: mistakes the installer only logs (it goes on with
// the install) come back as warnings at the template line, not as errors.
func TestLintBrokenWarnings(t *testing.T) {
	src, hosts := shipped(t)
	replace := replacer(t, src)
	single := onlyHost(t, hosts, "esx-single01")
	tests := map[string]struct {
		src  []byte
		line int
		msg  string
	}{
		"unknown command": {
			src:  replace("network --bootproto=static", "netwrok --bootproto=static"),
			line: lineOf(t, src, "network --bootproto=static"),
			msg:  `unknown command "netwrok" (did you mean "network"?)`,
		},
		"option value with a space": {
			src:  replace("install --firstdisk=local --overwritevmfs", "install --firstdisk local --overwritevmfs"),
			line: lineOf(t, src, "install --firstdisk=local"),
			msg:  "local",
		},
		"kickstart command in %firstboot": {
			src:  replace("/sbin/auto-backup.sh\n", "/sbin/auto-backup.sh\nvmaccepteula\n"),
			line: lineOf(t, src, "/sbin/auto-backup.sh") + 1,
			msg:  "vmaccepteula",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var found *kickstart.LintError
			for _, p := range kickstart.Lint(tmplName, tc.src, single) {
				require.True(t, p.Warning || p.Note, "want only warnings, got %s", p.Error())
				if p.Line == tc.line && strings.Contains(p.Error(), tc.msg) {
					found = p
				}
			}
			require.NotNil(t, found, "no warning at line %d containing %q", tc.line, tc.msg)
		})
	}
}

// TestLintUsesTheDeclaredHostdefVersion: a hostdef-v4 field is an error for a
// hostdef-v3 service, fine for a hostdef-v4 one, and a warning when the
// version is not known.
func TestLintUsesTheDeclaredHostdefVersion(t *testing.T) {
	src := []byte("vmaccepteula\nrootpw --iscrypted " + kickstart.RootpwPlaceholder + "\n" +
		"{{ range .Connections }}{{ range .Networks }}{{ if .NoIPAddr }}# none{{ end }}{{ end }}{{ end }}\n" +
		"install --firstdisk --overwritevmfs\nnetwork --bootproto=dhcp\nreboot\n%post --interpreter=busybox\n/bin/poweroff -n\n")
	hosts := []kickstart.Host{{File: "h.yaml", Def: kickstart.HostDef{Name: "h1"}}}
	severity := func(input string) string {
		for _, p := range (kickstart.Linter{TemplatingInput: input}).Lint("ks", src, hosts) {
			if strings.Contains(p.Msg, "NoIPAddr") {
				if p.Warning {
					return "warning"
				}
				return "error"
			}
		}
		return "none"
	}
	require.Equal(t, "error", severity("hostdef-v3"))
	require.Equal(t, "none", severity("hostdef-v4"))
	require.Equal(t, "warning", severity(""))
}

// A key no host type has lists the keys known there when none is close.
func TestUnknownHostKeyListsKnownKeys(t *testing.T) {
	_, err := kickstart.DecodeHost("h.yaml", strings.NewReader("Name: a\nConnections:\n  - Networks:\n      - Ranges:\n          - Colour: blue\n"))
	require.EqualError(t, err, "h.yaml:5: unknown key Colour in a Ranges entry: the portal's host data has no such field "+
		"(known there: Base, Netmask, CIDR, Gateway, DNS, DNSSearchDomains, NTP, Proxy, NoProxy)")
}

// A field no close name matches points at the sample hosts, not at a Go type.
func TestUnknownTemplateFieldWithoutGuess(t *testing.T) {
	src := []byte("vmaccepteula\nrootpw --iscrypted " + kickstart.RootpwPlaceholder + "\n# {{ .Favourite }}\n")
	var msgs []string
	for _, p := range kickstart.Lint("ks.tmpl", src, nil) {
		msgs = append(msgs, p.Error())
	}
	require.Contains(t, msgs, "ks.tmpl:3: .Favourite is not a field of the hostdef-v3 data (the sample hosts in templates/hosts show every field there is) "+
		"(HPE Bare Metal portal rule: the portal renders the template with the host's hostdef-v3 data)")
}

// A render error names the host data, not the Go type behind it.
func TestRenderErrorNamesNoGoType(t *testing.T) {
	tmpl, err := kickstart.Parse("ks.tmpl", []byte("{{ range .Connections }}{{ .Nmae }}{{ end }}\n"))
	require.NoError(t, err)
	_, err = kickstart.Render(tmpl, &kickstart.HostDef{Name: "h", Connections: []kickstart.Connection{{Name: "c"}}})
	require.EqualError(t, err, "ks.tmpl:1:27: host h: at <.Nmae>: can't evaluate field Nmae in a Connections entry")
}
