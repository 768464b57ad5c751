package kickstart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// HostDef is the data the HPE Bare Metal portal renders a kickstart template
// with (templating_input: hostdef-v3, or hostdef-v4 = v3 + [Network].NoIPAddr).
// No public definition of it exists: every field here is one that HPE's own
// service templates (ESXi, RHEL, SLES, Debian, Windows, the Terraform Ubuntu
// example) read, and nothing more, so a template that lints clean against it
// does not fail on the portal for a field the portal lacks. Go field names are
// exactly the template's names, and so are the YAML keys of the sample host
// files: `.DeviceLayouts` in the template is `DeviceLayouts:` in a host file.
type HostDef struct {
	// Name is the host name given in the portal, short ("esx01") or qualified.
	Name string `yaml:"Name"`
	// AssumedBootMethod is "fc" when the host boots from a SAN LUN.
	AssumedBootMethod string `yaml:"AssumedBootMethod"`
	// DeviceLayouts lists the RAID logical volumes the portal set up.
	DeviceLayouts []DeviceLayout `yaml:"DeviceLayouts"`
	// SSHKeys are the public keys of the host's project, one per entry.
	SSHKeys []string `yaml:"SSHKeys"`
	// InitiatorName is the host's iSCSI IQN; CHAPUser and CHAPSecret its CHAP credentials.
	InitiatorName string `yaml:"InitiatorName"`
	CHAPUser      string `yaml:"CHAPUser"`
	CHAPSecret    string `yaml:"CHAPSecret"`
	// VolumeAttachments are the storage volumes attached at host creation.
	VolumeAttachments []VolumeAttachment `yaml:"VolumeAttachments"`
	// ISCSIDiscoveryAddress is the iSCSI send-target portal, a bare IPv4
	// address (HPE's Windows template appends its own port, 3260);
	// ISCSIDiscoveryAddressesV3 lists every portal (preferred when set).
	ISCSIDiscoveryAddress     string   `yaml:"ISCSIDiscoveryAddress"`
	ISCSIDiscoveryAddressesV3 []string `yaml:"ISCSIDiscoveryAddressesV3"`
	// UserData is the free text the user attached to the host.
	UserData string `yaml:"UserData"`
	// Connections are the host's network connections: one NIC or a bond.
	Connections []Connection `yaml:"Connections"`
}

// DeviceLayout is one RAID logical volume. Device is its id: NAA/UUID hex
// ("600508b1001c...") or an NVMe id with an "eui." prefix.
type DeviceLayout struct {
	Device string `yaml:"Device"`
}

// VolumeAttachment is one iSCSI volume attached at host creation: the
// fields HPE's Ubuntu template logs in with (iscsiadm --targetname/-p). The
// shipped ESXi template only tests that the list is not empty.
type VolumeAttachment struct {
	// TargetIQN is the volume's iSCSI target name, assigned by the array.
	TargetIQN string `yaml:"TargetIQN"`
	// IPAddress is the array address the volume is exported on.
	IPAddress string `yaml:"IPAddress"`
}

// Connection is one NIC, or several NICs bonded, and the networks they carry.
type Connection struct {
	Name       string      `yaml:"Name"`
	Interfaces []Interface `yaml:"Interfaces"`
	// Networks are the tagged (VLAN) networks of the connection.
	Networks []Network `yaml:"Networks"`
	// UntaggedNet is the native-VLAN network; VID 0 means there is none.
	UntaggedNet Network `yaml:"UntaggedNet"`
}

// Interface is one physical NIC, named by the portal and identified by its MAC.
type Interface struct {
	Name   string `yaml:"Name"`
	HWAddr string `yaml:"HWAddr"`
}

// Network is one layer-2 network. Name "Public" and "Storage-Client" are
// special; Purpose is one of vmKernel, iSCSI-A, iSCSI-B, vMotion, vmFT, vCHA,
// Backup, External, Telemetry, Storage, vmNSX-T (or empty).
type Network struct {
	Name    string `yaml:"Name"`
	Purpose string `yaml:"Purpose"`
	VID     int    `yaml:"VID"`
	// NoIPAddr is set for networks without host addresses. It is a hostdef-v4
	// field ([HostdefV4]); in hostdef-v3 data every network has Ranges, which
	// HPE's templates index without a check (index .Ranges 0).
	NoIPAddr bool    `yaml:"NoIPAddr"`
	Ranges   []Range `yaml:"Ranges"`
}

// Range is the host's address on a network and the pool's settings.
type Range struct {
	Base             string   `yaml:"Base"`    // the host's IPv4 address
	Netmask          string   `yaml:"Netmask"` // dotted, 255.255.255.0
	CIDR             int      `yaml:"CIDR"`    // prefix length, 24
	Gateway          string   `yaml:"Gateway"`
	DNS              []string `yaml:"DNS"`
	DNSSearchDomains []string `yaml:"DNSSearchDomains"`
	NTP              []string `yaml:"NTP"`
	Proxy            string   `yaml:"Proxy"`
	NoProxy          string   `yaml:"NoProxy"`
}

// Host is a sample host: its definition and the file it was read from.
type Host struct {
	File string
	Def  HostDef
}

// DecodeHost reads one host definition strictly: a key that HostDef does not
// have, a second YAML document or an empty file is an error naming file.
// Decoding errors that carry a YAML line are returned as *LintError.
func DecodeHost(file string, r io.Reader) (*HostDef, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var h HostDef
	if err := dec.Decode(&h); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &LintError{File: file, Msg: "empty host definition"}
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &LintError{File: file, Msg: "more than one YAML document; a host file holds one host"}
	}
	if strings.TrimSpace(h.Name) == "" {
		return nil, &LintError{File: file, Msg: "host has no Name"}
	}
	return &h, nil
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError turns yaml.v3 errors ("yaml: line 3: ..." or a *yaml.TypeError
// with one "line N: ..." entry per problem) into *LintError values.
func yamlError(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var errs []error
	for _, m := range msgs {
		le := &LintError{File: file, Msg: m}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			le.Line, _ = strconv.Atoi(sm[1])
			le.Msg = sm[2]
		}
		le.Msg = unknownHostField(le.Msg)
		errs = append(errs, le)
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// yamlUnknownField matches yaml.v3's strict-decoding error for a key the Go
// type lacks: "field X not found in type kickstart.T".
var yamlUnknownField = regexp.MustCompile(`^field (\S+) not found in type \*?kickstart\.(\w+)$`)

// hostTypes are the types of a host definition, by Go name, with the name a
// message gives them.
var hostTypes = map[string]struct {
	t    reflect.Type
	what string
}{
	"HostDef":          {reflect.TypeFor[HostDef](), "a host definition"},
	"DeviceLayout":     {reflect.TypeFor[DeviceLayout](), "a DeviceLayouts entry"},
	"VolumeAttachment": {reflect.TypeFor[VolumeAttachment](), "a VolumeAttachments entry"},
	"Connection":       {reflect.TypeFor[Connection](), "a Connections entry"},
	"Interface":        {reflect.TypeFor[Interface](), "an Interfaces entry"},
	"Network":          {reflect.TypeFor[Network](), "a network"},
	"Range":            {reflect.TypeFor[Range](), "a Ranges entry"},
}

// unknownHostField rewrites yaml.v3's unknown-key message in the words of a
// host file (no Go package or type names) with the closest known key.
func unknownHostField(msg string) string {
	m := yamlUnknownField.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	ht, ok := hostTypes[m[2]]
	if !ok {
		return msg
	}
	var keys []string
	for i := range ht.t.NumField() {
		if k := ht.t.Field(i).Tag.Get("yaml"); k != "" {
			keys = append(keys, k)
		}
	}
	out := fmt.Sprintf("unknown key %s in %s: the portal's host data has no such field", m[1], ht.what)
	if s := suggest(m[1], keys); s != "" {
		return out + " (did you mean " + s + "?)"
	}
	return out + " (known there: " + strings.Join(keys, ", ") + ")"
}

// LoadHostFile reads one host definition from a file on disk.
func LoadHostFile(file string) (Host, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Host{}, fmt.Errorf("read host: %w", err)
	}
	h, err := DecodeHost(file, bytes.NewReader(b))
	if err != nil {
		return Host{}, err
	}
	return Host{File: file, Def: *h}, nil
}

// LoadHosts reads every *.yaml and *.yml file of dir in fsys, sorted by name.
// prefix is prepended to each file's path in Host.File and in errors, so that
// messages name the files as the user knows them. A directory without host
// files is an error.
func LoadHosts(fsys fs.FS, dir, prefix string) ([]Host, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // name the directory as the user gave it, not "."
			err = &fs.PathError{Op: pe.Op, Path: path.Join(prefix, dir), Err: pe.Err}
		}
		return nil, fmt.Errorf("read hosts: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("read hosts: no *.yaml files in %s: put one host definition per file there (as in templates/hosts), or use the built-in sample hosts", path.Join(prefix, dir))
	}
	var hosts []Host
	var errs []error
	for _, n := range names {
		file := path.Join(prefix, dir, n)
		b, err := fs.ReadFile(fsys, path.Join(dir, n))
		if err != nil {
			errs = append(errs, fmt.Errorf("read host: %w", err))
			continue
		}
		h, err := DecodeHost(file, bytes.NewReader(b))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		hosts = append(hosts, Host{File: file, Def: *h})
	}
	return hosts, errors.Join(errs...)
}
