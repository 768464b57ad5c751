package kickstart

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// This file is the ESXi 7.0/8.0 kickstart grammar: each command, its options
// and what the installer checks about them. It follows the 6.7 installer's
// own grammar (7.0 and 8.0 run the same program) plus the options VMware's
// 7.0/8.0 documentation adds (install --systemdisk, --repartitionsystemdisk,
// --forceunsupportedinstall, --dpupcislots). What the installer logs and goes
// on from is a warning; what stops it is an error.

type valKind uint8

const (
	flagOpt     valKind = iota // --name; a value is ignored with a warning
	valueOpt                   // --name=value; without a value the option is dropped
	optionalOpt                // --name or --name=value
)

type optSpec struct {
	kind  valKind
	canon string // canonical name: aliases share it
	// note, when set, makes the option a warning with this text (deprecated,
	// internal or unsupported options the installer ignores).
	note string
}

type cmdSpec struct {
	name         string // canonical name
	opts         map[string]optSpec
	positional   int  // bare arguments taken: 0 or 1
	firstArg     bool // the bare argument is the first one (part), not the last
	multi        bool // may be given more than once
	needsInstall bool // requires the install command
	check        func(c *checker, cmd *command)
}

// opts builds an option table from "name" (flag), "name=" (value) and
// "name=?" (optional value) entries; "a|b=" declares aliases.
func opts(specs ...string) map[string]optSpec {
	m := map[string]optSpec{}
	for _, s := range specs {
		kind := flagOpt
		switch {
		case strings.HasSuffix(s, "=?"):
			kind, s = optionalOpt, strings.TrimSuffix(s, "=?")
		case strings.HasSuffix(s, "="):
			kind, s = valueOpt, strings.TrimSuffix(s, "=")
		}
		names := strings.Split(s, "|")
		for _, n := range names {
			m["--"+n] = optSpec{kind: kind, canon: "--" + names[0]}
		}
	}
	return m
}

func withNote(m map[string]optSpec, note string, names ...string) map[string]optSpec {
	for _, n := range names {
		o := m[n]
		o.note = note
		m[n] = o
	}
	return m
}

var commandTable = map[string]*cmdSpec{}

// commandNames are the keys of commandTable, sorted (set by init).
var commandNames []string

// installFamily are the commands of which exactly one must be given.
var installFamily = []string{"install", "installorupgrade", "upgrade"}

func init() {
	add := func(s *cmdSpec, aliases ...string) {
		commandTable[s.name] = s
		for _, a := range aliases {
			commandTable[a] = s
		}
	}
	add(&cmdSpec{name: "vmaccepteula", opts: opts()}, "accepteula")
	add(&cmdSpec{name: "clearpart", multi: true, needsInstall: true, check: checkClearpart,
		opts: withNote(opts("drives=", "alldrives", "ignoredrives=", "firstdisk=?", "overwritevmfs", "all", "initlabel"),
			"is deprecated and ignored", "--initlabel")})
	add(&cmdSpec{name: "dryrun", opts: opts()})
	add(&cmdSpec{name: "install", check: checkInstall, opts: withNote(opts(
		"disk|drive=", "firstdisk=?", "ignoressd", "overwritevsan", "overwritevmfs", "preservevmfs", "novmfsondisk",
		"systemdisk|systemDisk=", "repartitionsystemdisk|repartitionSystemDisk", "forceunsupportedinstall",
		"dpupcislots|dpuPciSlots=", "ignoreprereqwarnings", "ignoreprereqerrors", "server=", "dir="),
		"is deprecated (ESX 4 install source) and ignored", "--server", "--dir")})
	add(&cmdSpec{name: "installorupgrade", check: checkDiskChoice, opts: opts(
		"disk|drive=", "firstdisk=?", "overwritevsan", "overwritevmfs", "forcemigrate",
		"ignoreprereqwarnings", "ignoreprereqerrors")})
	add(&cmdSpec{name: "upgrade", check: checkDiskChoice, opts: withNote(opts(
		"disk|drive=", "firstdisk=?", "forcemigrate", "deletecosvmdk", "overwritevmfs",
		"ignoreprereqwarnings", "ignoreprereqerrors", "diskBootedFrom", "savebootbank=", "bootDiskMarker="),
		"is internal to VMware's update tools; do not use it", "--diskBootedFrom", "--savebootbank", "--bootDiskMarker")})
	add(&cmdSpec{name: "keyboard", positional: 1, opts: opts(), check: checkKeyboard})
	add(&cmdSpec{name: "serialnum", opts: opts("esx="), check: checkSerialnum}, "vmserialnum")
	add(&cmdSpec{name: "network", check: checkNetwork, opts: opts(
		"bootproto=", "device=", "ip=", "netmask=", "gateway=", "nameserver=", "hostname=", "vlanid=",
		"addvmportgroup=", "nodns")})
	add(&cmdSpec{name: "paranoid", opts: opts()})
	add(&cmdSpec{name: "part", positional: 1, firstArg: true, multi: true, needsInstall: true, check: checkPart,
		opts: withNote(opts("ondisk|ondrive=", "onfirstdisk=?", "size=", "grow", "maxsize=", "fstype="),
			"is deprecated (ESX 4) and ignored", "--size", "--grow", "--maxsize", "--fstype")}, "partition")
	add(&cmdSpec{name: "partitionembed", needsInstall: true, opts: opts()})
	add(&cmdSpec{name: "reboot", opts: opts("noeject")})
	add(&cmdSpec{name: "rootpw", positional: 1, opts: opts("iscrypted"), check: checkRootpw})
	add(&cmdSpec{name: "%include", positional: 1, multi: true, opts: opts(), check: checkInclude}, "include")
	add(&cmdSpec{name: "%pre", multi: true, opts: opts("interpreter="), check: checkSection})
	add(&cmdSpec{name: "%post", multi: true, opts: opts("interpreter=", "timeout=", "ignorefailure="), check: checkSection})
	add(&cmdSpec{name: "%firstboot", multi: true, check: checkSection, opts: withNote(opts("interpreter=", "ignorefailure=", "timeout="),
		"is not supported on %firstboot and is ignored", "--ignorefailure", "--timeout")})
	for n := range commandTable {
		commandNames = append(commandNames, n)
	}
	sort.Strings(commandNames)
}

// deprecatedCommands are ESX 4 / Red Hat commands the installer ignores with a warning.
var deprecatedCommands = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`auth authconfig autopart autostep bootloader cmdline device deviceprobe
		esxlocation firewall firewallport firstboot harddrive ignoredisk interactive lilo lilocheck logvol mouse
		raid skipx text timezone virtualdisk vnc volgroup xconfig xdisplay vmlicense zerombr %packages %vmlicense_text`) {
		deprecatedCommands[n] = true
	}
}

// bootOptions are boot options (boot.cfg kernelopt), not kickstart commands.
var bootOptions = []string{"systemMediaSize", "autoPartitionOSDataSize", "allowLegacyCPU",
	"cpuUniformityHardCheckPanic", "ks", "ip", "netmask", "gateway", "nameserver", "vlanid", "ksdevice", "netdevice", "BOOTIF"}

// command is one parsed command line.
type command struct {
	line int
	name string // as written
	spec *cmdSpec
	opts map[string]optVal // by canonical option name
	args []string
}

type optVal struct {
	val    string
	hasVal bool
}

func (cmd *command) has(opt string) bool { _, ok := cmd.opts[opt]; return ok }
func (cmd *command) val(opt string) string {
	return cmd.opts[opt].val
}

// parseCommand reads the options and arguments of a known command.
func (c *checker) parseCommand(n int, tokens []string, spec *cmdSpec) *command {
	cmd := &command{line: n, name: tokens[0], spec: spec, opts: map[string]optVal{}}
	toks := tokens[1:]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !strings.HasPrefix(t, "--") {
			cmd.args = append(cmd.args, t)
			continue
		}
		name, val, hasVal := strings.Cut(t, "=")
		o, ok := spec.opts[name]
		if !ok {
			c.unknownOption(n, cmd, name)
			continue
		}
		if o.note != "" {
			c.warnf(n, "%s %s %s", cmd.name, name, o.note)
		}
		switch o.kind {
		case flagOpt:
			if hasVal {
				c.warnf(n, "%s %s takes no value; %q is ignored", cmd.name, name, val)
			}
		case valueOpt, optionalOpt:
			if hasVal || i+1 >= len(toks) || strings.HasPrefix(toks[i+1], "--") || (o.kind == optionalOpt && spec.positional > 0) {
				break
			}
			// The installer splits options on '=' only: the next word is
			// an argument of its own (reported below as unexpected).
			c.warnf(n, "%s %s %s: join the value with '=' (%s=%s); the installer reads %s without a value and %q as an unknown argument",
				cmd.name, name, toks[i+1], name, toks[i+1], name, toks[i+1])
			if o.kind == valueOpt {
				continue
			}
		}
		if o.kind == valueOpt && !hasVal {
			c.warnf(n, "%s %s needs a value (%s=VALUE); the installer drops it", cmd.name, name, name)
			continue
		}
		if _, dup := cmd.opts[o.canon]; dup {
			if isDiskSelector(o.canon) {
				c.errorf(n, "%s: duplicate %s", cmd.name, name)
			} else {
				c.warnf(n, "%s: duplicate %s; the last one wins", cmd.name, name)
			}
		}
		cmd.opts[o.canon] = optVal{val: val, hasVal: hasVal}
	}
	if extra := len(cmd.args) - spec.positional; extra > 0 {
		bad := cmd.args[:extra] // the argument is taken from the end...
		if spec.firstArg {
			bad = cmd.args[spec.positional:] // ...or, for part, from the front
		}
		for _, a := range bad {
			if cmd.spec.name == "install" && (a == "cdrom" || a == "usb" || a == "nfs" || a == "url") {
				c.warnf(n, "install %s: install sources are deprecated (ESX 4) and ignored", a)
				continue
			}
			c.warnf(n, "%s: unexpected argument %q (the installer ignores it)", cmd.name, a)
		}
	}
	return cmd
}

func isDiskSelector(opt string) bool {
	switch opt {
	case "--disk", "--firstdisk", "--drives", "--ondisk", "--onfirstdisk", "--savebootbank":
		return true
	}
	return false
}

func (c *checker) unknownOption(n int, cmd *command, name string) {
	if cmd.spec.name == "installorupgrade" && name == "--ignoressd" {
		c.errorf(n, "installorupgrade does not accept --ignoressd (an installer error)")
		return
	}
	var names []string
	for k := range cmd.spec.opts {
		names = append(names, k)
	}
	msg := fmt.Sprintf("unknown option %s for %s", name, cmd.name)
	if s := suggest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?", s)
		if strings.EqualFold(s, name) {
			msg += " Options are case-sensitive"
		}
		msg += ")"
	}
	c.warnf(n, "%s; the installer ignores it", msg)
}

func checkDiskChoice(c *checker, cmd *command) {
	if cmd.has("--disk") && cmd.has("--firstdisk") {
		c.errorf(cmd.line, "%s: --disk and --firstdisk exclude each other", cmd.name)
	}
	if o, ok := cmd.opts["--firstdisk"]; ok && o.hasVal && strings.TrimSpace(o.val) == "" {
		c.errorf(cmd.line, "%s: empty --firstdisk= is dropped by the installer; write --firstdisk or --firstdisk=local", cmd.name)
	}
	if o, ok := cmd.opts["--firstdisk"]; ok && o.hasVal {
		for _, f := range strings.Split(o.val, ",") {
			if strings.TrimSpace(f) == "" && strings.TrimSpace(o.val) != "" {
				c.warnf(cmd.line, "%s: --firstdisk=%s has an empty filter", cmd.name, o.val)
				break
			}
		}
	}
	if o, ok := cmd.opts["--disk"]; ok && strings.TrimSpace(o.val) == "" {
		c.errorf(cmd.line, "%s: empty --disk=", cmd.name)
	}
}

func checkInstall(c *checker, cmd *command) {
	checkDiskChoice(c, cmd)
	if !cmd.has("--disk") && !cmd.has("--firstdisk") {
		c.errorf(cmd.line, "install needs --disk=DISK or --firstdisk[=FILTERS]")
	}
	if cmd.has("--ignoressd") && cmd.has("--disk") {
		c.errorf(cmd.line, "install: --ignoressd and --disk exclude each other")
	}
	if cmd.has("--preservevmfs") {
		for _, o := range []string{"--overwritevmfs", "--novmfsondisk"} {
			if cmd.has(o) {
				c.errorf(cmd.line, "install: --preservevmfs contradicts %s", o)
			}
		}
	}
}

func checkClearpart(c *checker, cmd *command) {
	var sel []string
	for _, o := range []string{"--alldrives", "--firstdisk", "--ignoredrives", "--drives"} {
		if cmd.has(o) {
			sel = append(sel, o)
		}
	}
	switch {
	case len(sel) == 0:
		c.errorf(cmd.line, "clearpart needs one of --alldrives, --firstdisk, --ignoredrives=, --drives=")
	case len(sel) > 1:
		c.errorf(cmd.line, "clearpart: %s exclude each other", strings.Join(sel, " and "))
	}
}

func checkPart(c *checker, cmd *command) {
	if len(cmd.args) == 0 {
		c.errorf(cmd.line, "%s needs a datastore name", cmd.name)
	}
	switch {
	case cmd.has("--ondisk") && cmd.has("--onfirstdisk"):
		c.errorf(cmd.line, "%s: --ondisk and --onfirstdisk exclude each other", cmd.name)
	case !cmd.has("--ondisk") && !cmd.has("--onfirstdisk"):
		c.errorf(cmd.line, "%s needs --ondisk=DISK or --onfirstdisk", cmd.name)
	}
}

var keyboards = map[string]bool{}

func init() {
	for _, k := range strings.Split("Belgian,Brazilian,Croatian,Czechoslovakian,Danish,Estonian,Finnish,French,German,"+
		"Greek,Icelandic,Italian,Japanese,Latin American,Norwegian,Polish,Portuguese,Russian,Slovenian,Spanish,"+
		"Swedish,Swiss French,Swiss German,Turkish,Ukrainian,United Kingdom,US Default,US Dvorak", ",") {
		keyboards[k] = true
	}
}

func checkKeyboard(c *checker, cmd *command) {
	if len(cmd.args) == 0 {
		c.errorf(cmd.line, "keyboard type not specified for keyboard command")
		return
	}
	if k := cmd.args[len(cmd.args)-1]; !keyboards[k] {
		c.warnf(cmd.line, "keyboard %q is not a known layout; the installer uses the default (quote multi-word names: keyboard \"US Default\")", k)
	}
}

var serialRE = regexp.MustCompile(`^\w{5}-\w{5}-\w{5}-\w{5}-\w{5}$`)

func checkSerialnum(c *checker, cmd *command) {
	if !cmd.has("--esx") {
		c.errorf(cmd.line, "%s needs --esx=XXXXX-XXXXX-XXXXX-XXXXX-XXXXX", cmd.name)
	} else if !serialRE.MatchString(cmd.val("--esx")) {
		c.errorf(cmd.line, "%s --esx=%s is not a license key of five groups of five characters", cmd.name, cmd.val("--esx"))
	}
}

func checkInclude(c *checker, cmd *command) {
	if len(cmd.args) == 0 {
		c.errorf(cmd.line, "file not specified for %s command", cmd.name)
	}
}

// Root password hashes the installer accepts for rootpw --iscrypted.
var (
	md5Crypt = regexp.MustCompile(`^\$1\$[A-Za-z0-9./$]{22,31}$`)
	desCrypt = regexp.MustCompile(`^[A-Za-z0-9./]{13}$`)
	// otherCrypt is a modular crypt hash of another kind: SHA-256 ($5$),
	// yescrypt ($y$), bcrypt ($2b$)...
	otherCrypt = regexp.MustCompile(`^\$(5|y|gy|7|2[abxy]?|sha1|md5)\$[^$\s]+\$[^\s]*$`)
	// cryptPrefix is how any modular crypt hash starts ($1$, $6$, $y$...).
	cryptPrefix = regexp.MustCompile(`^\$(1|5|6|y|gy|7|2[abxy]?|sha1|md5)\$`)
)

func checkRootpw(c *checker, cmd *command) {
	if len(cmd.args) == 0 {
		c.errorf(cmd.line, "password not specified for rootpw command")
		return
	}
	pw := cmd.args[len(cmd.args)-1]
	crypted := cmd.has("--iscrypted")
	switch {
	case pw == RootpwPlaceholder && crypted:
		c.errorf(cmd.line, "rootpw still holds the build-time placeholder %s, which is not a crypt hash (esxi-byoi build substitutes the hash)", RootpwPlaceholder)
	case pw == "":
		c.errorf(cmd.line, "empty root password")
	case !crypted:
		checkPlainPassword(c, cmd.line, pw)
	case strings.HasPrefix(pw, "$6$rounds="):
		c.errorf(cmd.line, "rootpw --iscrypted: $6$rounds= hashes are rejected by the installer (crypted password is not valid)")
	case sha512Crypt.MatchString(pw), md5Crypt.MatchString(pw), desCrypt.MatchString(pw):
	case otherCrypt.MatchString(pw):
		c.cautionf(cmd.line, "rootpw --iscrypted: the 6.7 installer accepts only SHA-512 ($6$), MD5 ($1$) and DES crypt hashes; whether 7.0/8.0 take %s hashes is not known: use SHA-512", pw[:strings.IndexByte(pw[1:], '$')+2])
	default:
		c.errorf(cmd.line, "rootpw --iscrypted: %q is not a SHA-512 ($6$salt$86 chars), MD5 or DES crypt hash (crypted password is not valid)", pw)
	}
}

// checkPlainPassword checks a plaintext rootpw against ESXi's default
// password policy, which the installer applies to it.
func checkPlainPassword(c *checker, line int, pw string) {
	hashLike := ""
	if cryptPrefix.MatchString(pw) {
		hashLike = fmt.Sprintf("; it looks like a crypt hash: add --iscrypted, or the installer takes these %d characters as the password", len(pw))
	}
	if why := passwordPolicy(pw); why != "" {
		c.errorf(line, "rootpw: the password %s; ESXi's default password policy refuses it and the installer stops%s", why, hashLike)
		return
	}
	if hashLike != "" {
		c.cautionf(line, "rootpw: the password looks like a crypt hash (%s…): add --iscrypted, or the installer takes these %d characters as the password", cryptPrefix.FindString(pw), len(pw))
	}
}

func checkSection(c *checker, cmd *command) {
	if !cmd.has("--interpreter") {
		c.warnf(cmd.line, "%s without --interpreter: the installer warns and uses busybox", cmd.name)
	} else if v := cmd.val("--interpreter"); v != "busybox" && v != "python" {
		c.errorf(cmd.line, "%s --interpreter=%s: interpreter %q not found (use busybox or python)", cmd.name, v, v)
	}
	if cmd.spec.name != "%post" {
		return
	}
	if o, ok := cmd.opts["--timeout"]; ok {
		if _, err := strconv.ParseUint(o.val, 10, 32); err != nil {
			c.warnf(cmd.line, "%%post --timeout=%s is not a number of seconds; the installer ignores it", o.val)
		}
	}
	if o, ok := cmd.opts["--ignorefailure"]; ok {
		if v := strings.ToLower(o.val); v != "true" && v != "false" {
			c.warnf(cmd.line, "%%post --ignorefailure=%s is not true or false; the installer ignores it", o.val)
		}
	}
}
