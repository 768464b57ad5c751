package kickstart

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// The checks of the network command. The installer validates --ip,
// --netmask, --gateway, --nameserver, --hostname and --vlanid (0-4095) and
// stops on a bad value; a --bootproto other than static or dhcp (the values
// are case-sensitive) is dropped with a warning, and the host then uses DHCP.

// hostnameLabel is one RFC 1123 label.
var hostnameLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func checkNetwork(c *checker, cmd *command) {
	n := cmd.line
	bp, hasBP := cmd.opts["--bootproto"]
	static := bp.val == "static"
	switch {
	case !hasBP:
		c.warnf(n, "network without --bootproto: the installer uses DHCP")
	case bp.val != "static" && bp.val != "dhcp":
		c.warnf(n, "network --bootproto=%s is neither static nor dhcp (values are case-sensitive); the installer drops it and uses DHCP", bp.val)
	}
	addrs := map[string]netip.Addr{}
	for _, o := range []string{"--ip", "--gateway"} {
		if !cmd.has(o) {
			continue
		}
		a, err := netip.ParseAddr(cmd.val(o))
		if err != nil {
			fix := "give one IPv4 address such as 10.0.0.11"
			if p, perr := netip.ParsePrefix(cmd.val(o)); perr == nil && o == "--ip" {
				fix = fmt.Sprintf("give the address alone, --ip=%s, and the prefix as --netmask", p.Addr())
			}
			c.errorf(n, "network %s=%s is not an IP address (%s)", o, cmd.val(o), fix)
			continue
		}
		addrs[o] = a
	}
	var mask netip.Prefix
	if cmd.has("--netmask") {
		bits, ok := maskBits(cmd.val("--netmask"))
		if !ok {
			c.errorf(n, "network --netmask=%s is not a netmask such as 255.255.255.0", cmd.val("--netmask"))
		} else if ip, ok := addrs["--ip"]; ok && ip.Is4() {
			mask = netip.PrefixFrom(ip, bits).Masked()
		}
	}
	if cmd.has("--nameserver") {
		val := cmd.val("--nameserver")
		servers := strings.Split(val, ",")
		fix := "give IP addresses separated by commas: --nameserver=10.0.0.2,10.0.0.3"
		if strings.ContainsAny(val, "[]") {
			// VMware's usage line writes --nameserver=<server1>[,<server2>],
			// and the brackets there only mark the second server as optional.
			fix = "the [ ] of VMware's usage line mark an optional part and are not typed: --nameserver=" +
				strings.NewReplacer("[", "", "]", "").Replace(val)
		}
		for _, s := range servers {
			if _, err := netip.ParseAddr(strings.TrimSpace(s)); err != nil {
				c.errorf(n, "network --nameserver: %q is not an IP address (%s)", s, fix)
			}
		}
		if len(servers) > 2 {
			c.cautionf(n, "network --nameserver: the installer uses only the first two of %d servers", len(servers))
		}
	}
	if cmd.has("--hostname") {
		h := cmd.val("--hostname")
		ok := len(h) <= 253 && h != ""
		for _, l := range strings.Split(strings.TrimSuffix(h, "."), ".") {
			ok = ok && hostnameLabel.MatchString(l)
		}
		if !ok {
			c.errorf(n, "network --hostname=%s is not a valid host name", h)
		}
	}
	if cmd.has("--vlanid") {
		v, err := strconv.Atoi(cmd.val("--vlanid"))
		switch {
		case err != nil || v < 0 || v > 4095:
			c.errorf(n, "network --vlanid=%s is not a VLAN id (0-4095)", cmd.val("--vlanid"))
		case v == 0 || v == 4095:
			c.cautionf(n, "network --vlanid=%d is accepted but is not a usable VLAN; use 1-4094 or leave it out", v)
		}
	}
	if cmd.has("--addvmportgroup") {
		switch strings.ToLower(cmd.val("--addvmportgroup")) {
		case "0", "1", "true", "false":
		default:
			c.warnf(n, "network --addvmportgroup=%s is not 0, 1, true or false; the installer ignores it", cmd.val("--addvmportgroup"))
		}
	}
	switch {
	case static && !cmd.has("--ip"):
		c.errorf(n, "network --bootproto=static needs --ip")
	case static:
		for _, o := range []string{"--netmask", "--gateway", "--nameserver", "--hostname"} {
			if !cmd.has(o) {
				c.warnf(n, "network --bootproto=static without %s: the installer guesses or leaves it empty", o)
			}
		}
		if gw, ok := addrs["--gateway"]; ok && mask.IsValid() && !mask.Contains(gw) {
			c.errorf(n, "network --gateway=%s is not in the subnet %s of --ip", gw, mask)
		}
	default: // dhcp, given or by default
		how := "--bootproto=dhcp"
		if bp.val != "dhcp" {
			how = "DHCP (the installer's default here)"
		}
		for _, o := range []string{"--ip", "--netmask", "--gateway"} {
			if cmd.has(o) {
				c.errorf(n, "network with %s does not allow %s", how, o)
			}
		}
		for _, o := range []string{"--hostname", "--nameserver"} {
			if cmd.has(o) {
				c.warnf(n, "network with %s ignores %s", how, o)
			}
		}
	}
}

// maskBits returns the prefix length of a dotted IPv4 netmask.
func maskBits(s string) (int, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := 0
	for v&0x80000000 != 0 {
		ones++
		v <<= 1
	}
	return ones, v == 0
}
