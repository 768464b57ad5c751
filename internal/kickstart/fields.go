package kickstart

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strconv"
	"text/template/parse"
)

// hostFields are the field names of HostDef and of every struct in it: the
// only names a template can look up in hostdef-v3 data.
var hostFields = func() map[string]bool {
	m := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !m[f.Name] {
				m[f.Name] = true
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(HostDef{}))
	return m
}()

// Schema is the host data a service's template is rendered with: the
// templating_input of its info[] entry. hostdef-v4 is hostdef-v3 plus
// Network.NoIPAddr (a network without host addresses, which in v3 does not
// exist: every v3 network has Ranges).
type Schema string

const (
	// SchemaUnknown is used when the service (and so its templating_input) is
	// not known, as for a template file linted alone: a hostdef-v4 field then
	// draws a warning, not an error.
	SchemaUnknown Schema = ""
	// HostdefV3 is what HPE's ESXi service declares today.
	HostdefV3 Schema = "hostdef-v3"
	// HostdefV4 adds Network.NoIPAddr.
	HostdefV4 Schema = "hostdef-v4"
)

// ErrUnknownSchema is returned by [ParseSchema] for a templating_input that
// is not hostdef-v3 or hostdef-v4.
var ErrUnknownSchema = errors.New("templating_input is not hostdef-v3 or hostdef-v4")

// ParseSchema maps a service's templating_input to a [Schema].
func ParseSchema(templatingInput string) (Schema, error) {
	switch s := Schema(templatingInput); s {
	case HostdefV3, HostdefV4:
		return s, nil
	}
	return SchemaUnknown, fmt.Errorf("%q: %w", templatingInput, ErrUnknownSchema)
}

// v4Fields are the fields hostdef-v4 adds to hostdef-v3.
var v4Fields = map[string]bool{"NoIPAddr": true}

// HasField reports whether data of schema s has a field called name (in
// HostDef or any struct in it). SchemaUnknown has every field of hostdef-v4.
func (s Schema) HasField(name string) bool {
	if s == HostdefV3 && v4Fields[name] {
		return false
	}
	return hostFields[name]
}

// CheckFields finds field names that data of schema s does not have: a typo
// such as .Nmae (which fails on the portal only for the hosts that reach it),
// or a hostdef-v4 field in a hostdef-v3 service (an error: the portal's v3
// data has no such field; a warning when s is SchemaUnknown). Each problem
// carries the template line.
func CheckFields(t *Template, s Schema) []*LintError {
	lineOf := lineIndex(t.src)
	var problems []*LintError
	report := func(n parse.Node, names []string) {
		for _, name := range names {
			le := &LintError{File: t.name, Line: lineOf(int(n.Position()))}
			switch {
			case !s.HasField(name) && v4Fields[name]:
				le.Msg = fmt.Sprintf(".%s is a hostdef-v4 field; this service declares templating_input hostdef-v3, whose data has no such field (test .Ranges instead, or declare hostdef-v4)", name)
			case !s.HasField(name):
				le.Msg = fmt.Sprintf(".%s is not a field of the %s data (%s)", name, s.dataName(), suggestField(name))
			case v4Fields[name] && s == SchemaUnknown:
				le.Warning = true
				le.Msg = fmt.Sprintf(".%s is a hostdef-v4 field; with templating_input hostdef-v3 the portal may not have it (test .Ranges instead)", name)
			default:
				continue
			}
			problems = append(problems, le)
		}
	}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			report(n, n.Ident)
		case *parse.ChainNode:
			walk(n.Node)
			report(n, n.Field)
		case *parse.VariableNode:
			report(n, n.Ident[1:])
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	for _, tt := range t.tmpl.Templates() {
		if tt.Tree != nil {
			walk(tt.Tree.Root)
		}
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
	return problems
}

func suggestField(name string) string {
	var names []string
	for f := range hostFields {
		names = append(names, f)
	}
	sort.Strings(names)
	if s := suggest(name, names); s != "" {
		return "did you mean ." + s + "?"
	}
	return "the sample hosts in templates/hosts show every field there is"
}

// dataName names the host data in messages.
func (s Schema) dataName() string {
	if s == SchemaUnknown {
		return "hostdef-v3"
	}
	return string(s)
}

// CheckHost checks that h (read from file) is data the portal can produce for
// schema s, so that rendering a template for it proves something:
//
//   - every tagged network, and the untagged one when its VID is set, has
//     Ranges: HPE's templates take index .Ranges 0 of each without a check.
//     Only hostdef-v4 has networks without addresses, marked NoIPAddr;
//   - NoIPAddr appears only with hostdef-v4 (or SchemaUnknown), and never
//     beside Ranges;
//   - each range's Base is an IPv4 address and its Netmask matches its CIDR;
//   - iSCSI discovery addresses are bare IPv4 addresses (HPE's templates add
//     the port themselves).
//
// Problems name file and host; they carry no line, as the YAML decoder keeps
// none for values.
func CheckHost(file string, h *HostDef, s Schema) []*LintError {
	var problems []*LintError
	add := func(format string, args ...any) {
		problems = append(problems, &LintError{File: file, Host: h.Name, Msg: fmt.Sprintf(format, args...)})
	}
	checkNet := func(conn string, n Network, untagged bool) {
		where := fmt.Sprintf("connection %s network %q", conn, n.Name)
		if untagged {
			where = fmt.Sprintf("connection %s UntaggedNet %q", conn, n.Name)
		}
		switch {
		case n.NoIPAddr && s == HostdefV3:
			add("%s: NoIPAddr is a hostdef-v4 field; in hostdef-v3 data every network has Ranges", where)
		case n.NoIPAddr && len(n.Ranges) > 0:
			add("%s: NoIPAddr and Ranges together; the portal sets NoIPAddr only for a network without addresses", where)
		case !n.NoIPAddr && len(n.Ranges) == 0:
			add("%s has no Ranges; the portal gives every hostdef-v3 network an address range (HPE's templates index .Ranges 0)", where)
		}
		for i, r := range n.Ranges {
			ip := net.ParseIP(r.Base).To4()
			if ip == nil {
				add("%s: Ranges[%d].Base %q is not an IPv4 address", where, i, r.Base)
			}
			mask := net.ParseIP(r.Netmask).To4()
			if mask == nil || r.CIDR < 1 || r.CIDR > 32 || net.IP(net.CIDRMask(r.CIDR, 32)).String() != mask.String() {
				add("%s: Ranges[%d] Netmask %q and CIDR %d disagree", where, i, r.Netmask, r.CIDR)
			}
		}
	}
	for _, c := range h.Connections {
		if c.UntaggedNet.VID > 0 {
			checkNet(c.Name, c.UntaggedNet, true)
		}
		for _, n := range c.Networks {
			checkNet(c.Name, n, false)
		}
	}
	addrs := h.ISCSIDiscoveryAddressesV3
	if h.ISCSIDiscoveryAddress != "" {
		addrs = append([]string{h.ISCSIDiscoveryAddress}, addrs...)
	}
	for _, a := range addrs {
		if net.ParseIP(a).To4() == nil {
			add("iSCSI discovery address %s is not a bare IPv4 address (the portal gives one; templates add the port)", strconv.Quote(a))
		}
	}
	return problems
}
