package kickstart_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

// minimal is the smallest kickstart Check accepts without a finding.
var minimal = "vmaccepteula\n" +
	"rootpw --iscrypted " + testHash + "\n" +
	"install --disk=naa.600508b1001c3a8e --overwritevmfs --novmfsondisk\n" +
	"network --bootproto=static --device=vmnic0 --ip=10.0.0.11 --netmask=255.255.255.0 --gateway=10.0.0.1 " +
	"--nameserver=\"10.0.0.2,10.0.0.3\" --hostname=esx01.lab --vlanid=20 --addvmportgroup=0\n" +
	"%post --interpreter=busybox\n" +
	"/bin/poweroff -n\n" +
	"%firstboot --interpreter=busybox\n" +
	"vim-cmd hostsvc/enable_ssh\n"

func TestCheckMinimal(t *testing.T) {
	require.Empty(t, kickstart.Check("ks.cfg", []byte(minimal)))
	crlf := strings.ReplaceAll(minimal, "\n", "\r\n")
	require.Empty(t, kickstart.Check("ks.cfg", []byte(crlf)), "CRLF line ends are fine")
}

func TestCheck(t *testing.T) {
	// edit returns minimal with old replaced by new (old must be there once).
	edit := func(old, new string) string {
		require.Equal(t, 1, strings.Count(minimal, old), old)
		return strings.Replace(minimal, old, new, 1)
	}
	type testCase struct {
		ks      string
		line    int
		warning bool
		msg     string
	}
	tests := map[string]testCase{
		"unknown command": {edit("vmaccepteula\n", "vmaccepteula\nnetwrok --bootproto=dhcp\n"), 2, true,
			`unknown command "netwrok" (did you mean "network"?)`},
		"wrong case command": {edit("vmaccepteula\n", "vmaccepteula\nReboot\n"), 2, true, "Commands are case-sensitive"},
		"boot option":        {edit("vmaccepteula\n", "vmaccepteula\nsystemMediaSize=min\n"), 2, true, "is a boot option"},
		"deprecated":         {edit("vmaccepteula\n", "vmaccepteula\ntimezone UTC\n"), 2, true, `command "timezone" is deprecated`},
		"unused":             {edit("vmaccepteula\n", "vmaccepteula\nlang en_US\n"), 2, true, "unused"},
		"no eula":            {edit("vmaccepteula\n", ""), 0, false, "vmaccepteula command was not specified: the installer stops; add the line vmaccepteula"},
		"accepteula alias": {edit("vmaccepteula\n", "accepteula\nvmaccepteula\n"), 2, true,
			"already specified on line 1"},
		"no rootpw":  {edit("rootpw --iscrypted "+testHash+"\n", ""), 0, false, `command "rootpw" required but not found: the installer stops; add rootpw --iscrypted`},
		"no install": {edit("install --disk=naa.600508b1001c3a8e --overwritevmfs --novmfsondisk\n", ""), 0, false, "none of install, installorupgrade or upgrade is specified: the installer stops; add one, e.g. install --firstdisk --overwritevmfs"},
		"two installs": {edit("vmaccepteula\n", "vmaccepteula\ninstallorupgrade --firstdisk\n"), 4, false,
			"more than one of install, upgrade or installorupgrade"},
		"unknown option": {edit("--novmfsondisk", "--novmfsondisk --eject"), 3, true, "unknown option --eject for install"},
		"option case": {edit("--novmfsondisk", "--OverwriteVMFS"), 3, true,
			"did you mean --overwritevmfs? Options are case-sensitive"},
		"value with space": {edit("--disk=naa.600508b1001c3a8e", "--disk naa.600508b1001c3a8e"), 3, true,
			"join the value with '=' (--disk=naa.600508b1001c3a8e)"},
		"value with space drops the disk": {edit("--disk=naa.600508b1001c3a8e", "--disk naa.600508b1001c3a8e"), 3, false,
			"install needs --disk"},
		"optional value with space": {edit("--disk=naa.600508b1001c3a8e", "--firstdisk local"), 3, true,
			`unexpected argument "local"`},
		"missing value":  {edit("--disk=naa.600508b1001c3a8e", "--firstdisk --disk"), 3, true, "--disk needs a value"},
		"flag value":     {edit("--novmfsondisk", "--novmfsondisk=1"), 3, true, "takes no value"},
		"disk conflict":  {edit("--disk=naa.600508b1001c3a8e", "--disk=naa.600508b1001c3a8e --firstdisk"), 3, false, "exclude each other"},
		"no disk":        {edit("--disk=naa.600508b1001c3a8e ", ""), 3, false, "install needs --disk"},
		"empty filter":   {edit("--disk=naa.600508b1001c3a8e", "--firstdisk="), 3, false, "empty --firstdisk="},
		"preserve+over":  {edit("--novmfsondisk", "--preservevmfs"), 3, false, "--preservevmfs contradicts --overwritevmfs"},
		"extra argument": {edit("--novmfsondisk", "--novmfsondisk naa.x"), 3, true, `unexpected argument "naa.x"`},
		"clearpart with upgrade": {edit("install --disk=naa.600508b1001c3a8e --overwritevmfs --novmfsondisk\n",
			"installorupgrade --firstdisk\nclearpart --alldrives\n"), 4, false, `requires command: "install"`},
		"clearpart no selector": {edit("vmaccepteula\n", "vmaccepteula\nclearpart --overwritevmfs\n"), 2, false, "clearpart needs one of"},
		"ignoressd on installorupgrade": {edit("install --disk=naa.600508b1001c3a8e --overwritevmfs --novmfsondisk\n",
			"installorupgrade --firstdisk --ignoressd\n"), 3, false, "does not accept --ignoressd"},
		"bootproto case": {edit("--bootproto=static", "--bootproto=STATIC"), 4, true, "neither static nor dhcp"},
		"bootproto case falls back to dhcp": {edit("--bootproto=static", "--bootproto=STATIC"), 4, false,
			"network with DHCP (the installer's default here) does not allow --ip"},
		"static no ip": {edit("--ip=10.0.0.11 ", ""), 4, false, "needs --ip"},
		"bad ip":       {edit("--ip=10.0.0.11", "--ip=10.0.0.311"), 4, false, "is not an IP address"},
		"ip with cidr": {edit("--ip=10.0.0.11", "--ip=10.0.0.11/24"), 4, false, "is not an IP address (give the address alone, --ip=10.0.0.11, and the prefix as --netmask)"},
		"dns brackets": {edit(`--nameserver="10.0.0.2,10.0.0.3"`, "--nameserver=10.0.0.2[,10.0.0.3]"), 4, false,
			`network --nameserver: "10.0.0.2[" is not an IP address (the [ ] of VMware's usage line mark an optional part and are not typed: --nameserver=10.0.0.2,10.0.0.3)`},
		"dns bad": {edit(`--nameserver="10.0.0.2,10.0.0.3"`, "--nameserver=10.0.0.2;10.0.0.3"), 4, false,
			`is not an IP address (give IP addresses separated by commas: --nameserver=10.0.0.2,10.0.0.3)`},
		"bad netmask":    {edit("--netmask=255.255.255.0", "--netmask=255.0.255.0"), 4, false, "is not a netmask"},
		"gateway subnet": {edit("--gateway=10.0.0.1", "--gateway=10.0.1.1"), 4, false, "not in the subnet 10.0.0.0/24"},
		"vlan range":     {edit("--vlanid=20", "--vlanid=4096"), 4, false, "is not a VLAN id"},
		"vlan 0":         {edit("--vlanid=20", "--vlanid=0"), 4, true, "not a usable VLAN"},
		"bad hostname":   {edit("--hostname=esx01.lab", "--hostname=esx_01"), 4, false, "not a valid host name"},
		"no hostname":    {edit(" --hostname=esx01.lab", ""), 4, true, "without --hostname"},
		"dhcp with ip":   {edit("--bootproto=static", "--bootproto=dhcp"), 4, false, "dhcp does not allow --ip"},
		"three dns": {edit(`--nameserver="10.0.0.2,10.0.0.3"`, "--nameserver=10.0.0.2,10.0.0.3,10.0.0.4"), 4, true,
			"only the first two"},
		"two networks":   {edit("%post", "network --bootproto=dhcp\n%post"), 5, true, "already specified on line 4"},
		"addvmportgroup": {edit("--addvmportgroup=0", "--addvmportgroup=no"), 4, true, "is not 0, 1, true or false"},
		"hash comment": {edit("rootpw --iscrypted "+testHash, "rootpw VMware#1!x"), 2, true,
			`unquoted '#' starts a comment: the installer reads "VMware" where the line says "VMware#1!x"`},
		"hash comment cuts the password": {edit("rootpw --iscrypted "+testHash, "rootpw VMware#1!x"), 2, false,
			"rootpw: the password has 6 characters (at least 7)"},
		"weak password": {edit("rootpw --iscrypted "+testHash, "rootpw mypassword"), 2, false,
			"uses 1 of the 4 character classes"},
		"uppercase first does not count": {edit("rootpw --iscrypted "+testHash, "rootpw Xqat3hi"), 2, false,
			"uses 2 of the 4 character classes"},
		"digit last does not count": {edit("rootpw --iscrypted "+testHash, "rootpw xQaTEh2"), 2, false,
			"uses 2 of the 4 character classes"},
		"password too long": {edit("rootpw --iscrypted "+testHash, "rootpw aB1!"+strings.Repeat("x", 37)), 2, false,
			"has 41 characters (at most 40)"},
		"hash without iscrypted": {edit("rootpw --iscrypted "+testHash, "rootpw "+testHash), 2, false,
			"it looks like a crypt hash: add --iscrypted"},
		"md5 hash without iscrypted": {edit("rootpw --iscrypted "+testHash, "rootpw $1$.vSaIn5T$8gWqn1PripEjH911OQT7N/"), 2, true,
			`rootpw: the password looks like a crypt hash ($1$…): add --iscrypted, or the installer takes these 34 characters as the password`},
		"bad hash":     {edit(testHash, "$6$salt$abc"), 2, false, "is not a SHA-512"},
		"sha-256 hash": {edit(testHash, "$5$salt$abc"), 2, true, "whether 7.0/8.0 take $5$ hashes is not known"},
		"placeholder":  {edit(testHash, kickstart.RootpwPlaceholder), 2, false, "build-time placeholder"},
		"unclosed quote": {edit(`--nameserver="10.0.0.2,10.0.0.3"`, `--nameserver="10.0.0.2,10.0.0.3`), 4, false,
			"No closing quotation"},
		"continuation": {edit("--vlanid=20 --addvmportgroup=0\n", "--vlanid=20 \\\n --addvmportgroup=0\n"), 4, true,
			"trailing backslash"},
		"non-ascii":   {edit("--hostname=esx01.lab", "--hostname=esx01.lab # café"), 4, true, "non-ASCII"},
		"interpreter": {edit("%post --interpreter=busybox", "%post --interpreter=bash"), 5, false, `interpreter "bash" not found`},
		"no interp":   {edit("%firstboot --interpreter=busybox", "%firstboot"), 7, true, "without --interpreter"},
		"fb ignorefail": {edit("%firstboot --interpreter=busybox", "%firstboot --interpreter=busybox --ignorefailure=true"), 7, true,
			"not supported on %firstboot"},
		"post timeout": {edit("%post --interpreter=busybox", "%post --interpreter=busybox --timeout=soon"), 5, true, "not a number"},
		"no poweroff": {edit("/bin/poweroff -n\n", "echo done\n"), 5, false,
			`must end with /bin/poweroff -n (found "echo done")`},
		"no post": {edit("%post --interpreter=busybox\n/bin/poweroff -n\n", ""), 0, false, "no %post section"},
		"poweroff not last post": {edit("vim-cmd hostsvc/enable_ssh\n", "vim-cmd hostsvc/enable_ssh\n%post --interpreter=busybox\necho late\n"), 9, false,
			"the last %post section must end with /bin/poweroff -n"},
		"ks command in body": {edit("vim-cmd hostsvc/enable_ssh\n", "vim-cmd hostsvc/enable_ssh\nrootpw x\n"), 9, true,
			"kickstart command rootpw after the %firstboot header of line 7"},
		"network in body": {edit("vim-cmd hostsvc/enable_ssh\n", "vim-cmd hostsvc/enable_ssh\nnetwork --bootproto=dhcp\n"), 9, true,
			"kickstart command network"},
		"reboot in body": {edit("vim-cmd hostsvc/enable_ssh\n", "vim-cmd hostsvc/enable_ssh\nreboot\n"), 9, true, "shell command"},
		"end in body":    {edit("vim-cmd hostsvc/enable_ssh\n", "vim-cmd hostsvc/enable_ssh\n%end\n"), 9, true, "%end is not a section terminator"},
		"prefix ends body": {edit("vim-cmd hostsvc/enable_ssh\n", "vim-cmd hostsvc/enable_ssh\ninclude_dirs = 1\necho x\n"), 9, true,
			`line starts with "include" at column 0, which ends the %firstboot section of line 7 early`},
		"indented header":       {edit("%firstboot", "  %firstboot"), 7, true, "indented %firstboot does not end the %post section"},
		"indented first header": {edit("%post", "  %post"), 5, true, "not at column 0"},
		"header last line":      {minimal + "%include /tmp/x.cfg", 9, true, "never reads a header on the last line"},
		"template leftover":     {edit("--hostname=esx01.lab", "--hostname={{.Name}}"), 4, false, `template leftover "{{"`},
		"no value":              {edit("--hostname=esx01.lab", "--hostname=<no value>"), 4, false, "<no value>"},
		"serialnum":             {edit("vmaccepteula\n", "vmaccepteula\nserialnum --esx=ABCDE\n"), 2, false, "is not a license key"},
		"keyboard":              {edit("vmaccepteula\n", "vmaccepteula\nkeyboard Klingon\n"), 2, true, "not a known layout"},
		"upgrade ignores rootpw": {edit("install --disk=naa.600508b1001c3a8e --overwritevmfs --novmfsondisk\n", "upgrade --firstdisk\n"), 2, true,
			`command "rootpw" is ignored on upgrade`},
		"part": {edit("vmaccepteula\n", "vmaccepteula\npart datastore2\n"), 2, false, "part needs --ondisk"},
	}
	// A kickstart without a network line only draws a warning.
	noNet := minimal[:strings.Index(minimal, "network")] + minimal[strings.Index(minimal, "%post"):]
	tests["no network"] = testCase{noNet, 0, true, "network command not specified"}

	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			problems := kickstart.Check("ks.cfg", []byte(tc.ks))
			var found []string
			for _, p := range problems {
				found = append(found, p.Error())
				if p.Line == tc.line && p.Warning == tc.warning && strings.Contains(p.Msg, tc.msg) {
					require.Equal(t, "ks.cfg", p.File)
					return
				}
			}
			t.Fatalf("want line %d warning=%v %q, got:\n%s", tc.line, tc.warning, tc.msg, strings.Join(found, "\n"))
		})
	}
}

func TestCheckIncludeSoftensRequiredCommands(t *testing.T) {
	problems := kickstart.Check("ks.cfg", []byte("%include /tmp/part.cfg\n%pre --interpreter=busybox\necho install --firstdisk > /tmp/part.cfg\n"))
	for _, p := range problems {
		if strings.Contains(p.Msg, "vmaccepteula") || strings.Contains(p.Msg, "none of install") {
			require.True(t, p.Warning, p.Error())
			require.Contains(t, p.Msg, "unless an %include supplies it")
		}
	}
}

func TestLintErrorFormat(t *testing.T) {
	tests := map[string]struct {
		e    kickstart.LintError
		want string
	}{
		"template":      {kickstart.LintError{File: "ks.tmpl", Line: 3, Msg: "boom"}, "ks.tmpl:3: boom"},
		"column":        {kickstart.LintError{File: "ks.tmpl", Line: 3, Col: 7, Msg: "boom"}, "ks.tmpl:3:7: boom"},
		"whole file":    {kickstart.LintError{File: "ks.tmpl", Msg: "boom"}, "ks.tmpl: boom"},
		"warning":       {kickstart.LintError{File: "ks.cfg", Line: 1, Warning: true, Msg: "hm"}, "ks.cfg:1: warning: hm"},
		"mapped":        {kickstart.LintError{File: "ks.tmpl", Line: 9, Host: "esx1", HostFile: "h/esx1.yaml", RenderedLine: 4, Msg: "x"}, "ks.tmpl:9: host esx1 (h/esx1.yaml): rendered line 4: x"},
		"unmapped":      {kickstart.LintError{File: "ks.tmpl", Host: "esx1", RenderedLine: 4, Msg: "x"}, "ks.tmpl: host esx1: rendered line 4: x"},
		"host, no line": {kickstart.LintError{File: "ks.tmpl", Host: "esx1", Msg: "x"}, "ks.tmpl: host esx1: x"},
	}
	for name, tc := range tests {
		require.Equal(t, tc.want, tc.e.Error(), name)
	}
	errs, warns := kickstart.Count([]*kickstart.LintError{{Warning: true}, {}, {}})
	require.Equal(t, 2, errs)
	require.Equal(t, 1, warns)
}

// FuzzCheck feeds arbitrary text to the checker: it must not panic, and every
// problem must name the file and a line that exists.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(minimal))
	goldens, _ := filepath.Glob("testdata/*.golden")
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, ks []byte) {
		problems := kickstart.Check("ks.cfg", ks)
		lines := bytes.Count(bytes.ReplaceAll(ks, []byte("\r\n"), []byte("\n")), []byte("\n")) + 1
		for _, p := range problems {
			if p.File != "ks.cfg" || p.Line < 0 || p.Line > lines || p.Msg == "" {
				t.Fatalf("bad problem %#v for %d lines", p, lines)
			}
		}
	})
}
