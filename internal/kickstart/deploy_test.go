package kickstart_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

// The tests in this file read what the ESXi installer (and the host's first
// boot) would run from the shipped template's output, one aspect at a time.

// renderShipped renders src for h and fails the test on any error.
func renderShipped(t *testing.T, src []byte, h *kickstart.HostDef) string {
	t.Helper()
	tmpl, err := kickstart.Parse(tmplName, src)
	require.NoError(t, err)
	out, err := kickstart.Render(tmpl, h)
	require.NoError(t, err)
	return string(out)
}

// sampleHosts maps the file name without .yaml to the shipped sample host.
func sampleHosts(t *testing.T) ([]byte, map[string]*kickstart.HostDef) {
	t.Helper()
	src, hosts := shipped(t)
	m := map[string]*kickstart.HostDef{}
	for i := range hosts {
		m[strings.TrimSuffix(filepath.Base(hosts[i].File), ".yaml")] = &hosts[i].Def
	}
	return src, m
}

// firstboot returns the body of the %firstboot section of a rendered kickstart.
func firstboot(t *testing.T, ks string) string {
	t.Helper()
	i := strings.Index(ks, "\n%firstboot")
	require.GreaterOrEqual(t, i, 0, "no %firstboot")
	return ks[i+1:]
}

const networkportalAdd = "esxcli iscsi networkportal add"

// TestSampleHostsAreHostdefV3 keeps the sample hosts to data the portal can
// produce for the service's templating_input.
func TestSampleHostsAreHostdefV3(t *testing.T) {
	_, hosts := shipped(t)
	for _, h := range hosts {
		require.Empty(t, kickstart.CheckHost(h.File, &h.Def, kickstart.HostdefV3), h.File)
	}
}

func TestPortBindingOnlyWithinOneSubnet(t *testing.T) {
	src, hosts := sampleHosts(t)

	// iSCSI-A 10.30.1.0/24 and iSCSI-B 10.30.2.0/24: bound ports could not
	// reach the other fabric's portal.
	ks := renderShipped(t, src, hosts["esx-bond-iscsi"])
	require.NotContains(t, ks, networkportalAdd)
	require.Contains(t, ks, "# No port binding: the iSCSI VMkernel ports are in different subnets.\n")
	require.Contains(t, ks, `esxcli iscsi adapter discovery sendtarget add --adapter="$hba" --address=10.30.2.10`)

	// One iSCSI port and both portals in 10.40.0.0/24 on one vSwitch: bound.
	ks = renderShipped(t, src, hosts["esx-raid-naa"])
	require.Equal(t, 1, strings.Count(ks, networkportalAdd))
	require.Contains(t, ks, "# Port binding: the iSCSI VMkernel ports and every target portal are in\n# 10.40.0.0/24, and the ports on one vSwitch.\n"+
		"for v in $iscsi_vmks; do\n  "+networkportalAdd+` --adapter="$hba" --nic="$v"`+"\ndone\n")

	// Hosts without iSCSI networks never bind.
	for _, name := range []string{"esx-single-static", "esx-bfs-fc", "esx-vmotion-ft", "esx-untagged-mgmt", "esx-nvme-eui"} {
		require.NotContains(t, renderShipped(t, src, hosts[name]), networkportalAdd, name)
	}
}

// TestPortBindingRule varies the bound host one fact at a time.
func TestPortBindingRule(t *testing.T) {
	src, _ := shipped(t)
	iscsi := func(purpose, base, mask string, cidr int) kickstart.Network {
		return kickstart.Network{Name: "n-" + purpose, Purpose: purpose, VID: 400,
			Ranges: []kickstart.Range{{Base: base, Netmask: mask, CIDR: cidr}}}
	}
	mgmt := kickstart.Network{Name: "Public", Purpose: "vmKernel", VID: 10,
		Ranges: []kickstart.Range{{Base: "172.16.0.5", Netmask: "255.255.255.0", CIDR: 24, Gateway: "172.16.0.1", DNS: []string{"172.16.0.2"}}}}
	nic := func(mac string) []kickstart.Interface { return []kickstart.Interface{{Name: "eth", HWAddr: mac}} }
	host := func(portals []string, conns ...kickstart.Connection) *kickstart.HostDef {
		return &kickstart.HostDef{Name: "esx-b", InitiatorName: "iqn.x:y",
			VolumeAttachments:         []kickstart.VolumeAttachment{{TargetIQN: "iqn.t:v", IPAddress: portals[0]}},
			ISCSIDiscoveryAddressesV3: portals, Connections: conns}
	}
	tests := map[string]struct {
		h    *kickstart.HostDef
		bind string // "" = no binding; else the subnet named
		why  string
	}{
		"two ports, one /16": {
			h: host([]string{"10.50.1.1", "10.50.2.1"}, kickstart.Connection{Name: "bond0", Interfaces: nic("00:00:00:00:00:01"),
				Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.50.1.9", "255.255.0.0", 16), iscsi("iSCSI-B", "10.50.2.9", "255.255.0.0", 16)}}),
			bind: "10.50.0.0/16",
		},
		"one /8": {
			h: host([]string{"10.9.9.9"}, kickstart.Connection{Name: "bond0", Interfaces: nic("00:00:00:00:00:01"),
				Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.200.3.4", "255.0.0.0", 8)}}),
			bind: "10.0.0.0/8",
		},
		"portal in another subnet": {
			h: host([]string{"10.40.0.10", "10.41.0.10"}, kickstart.Connection{Name: "bond0", Interfaces: nic("00:00:00:00:00:01"),
				Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.40.0.28", "255.255.255.0", 24)}}),
			why: "target portal 10.41.0.10 is in another subnet",
		},
		"same leading digits, other subnet": {
			h: host([]string{"10.40.10.5"}, kickstart.Connection{Name: "bond0", Interfaces: nic("00:00:00:00:00:01"),
				Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.40.1.28", "255.255.255.0", 24)}}),
			why: "target portal 10.40.10.5 is in another subnet",
		},
		"two vSwitches": {
			h: host([]string{"10.40.0.10"},
				kickstart.Connection{Name: "eth0", Interfaces: nic("00:00:00:00:00:01"),
					Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.40.0.28", "255.255.255.0", 24)}},
				kickstart.Connection{Name: "eth1", Interfaces: nic("00:00:00:00:00:02"),
					Networks: []kickstart.Network{iscsi("iSCSI-B", "10.40.0.29", "255.255.255.0", 24)}}),
			why: "the iSCSI networks are on different vSwitches",
		},
		"prefix the template cannot compare": {
			h: host([]string{"10.40.0.10"}, kickstart.Connection{Name: "bond0", Interfaces: nic("00:00:00:00:00:01"),
				Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.40.0.28", "255.255.255.192", 26)}}),
			why: "their prefix length /26 is not 8, 16 or 24, which is all the template can compare",
		},
		"no portal": {
			h: func() *kickstart.HostDef {
				h := host([]string{"10.40.0.10"}, kickstart.Connection{Name: "bond0", Interfaces: nic("00:00:00:00:00:01"),
					Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.40.0.28", "255.255.255.0", 24)}})
				h.ISCSIDiscoveryAddressesV3 = nil
				return h
			}(),
			why: "no target portal is known to check",
		},
		"single discovery address only": {
			h: func() *kickstart.HostDef {
				h := host([]string{"10.40.0.10"}, kickstart.Connection{Name: "bond0", Interfaces: nic("00:00:00:00:00:01"),
					Networks: []kickstart.Network{mgmt, iscsi("iSCSI-A", "10.40.0.28", "255.255.255.0", 24)}})
				h.ISCSIDiscoveryAddressesV3, h.ISCSIDiscoveryAddress = nil, "10.40.0.10"
				return h
			}(),
			bind: "10.40.0.0/24",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ks := renderShipped(t, src, tc.h)
			if tc.bind != "" {
				require.Contains(t, ks, "# "+tc.bind+", and the ports on one vSwitch.\n")
				require.Contains(t, ks, networkportalAdd)
			} else {
				require.NotContains(t, ks, networkportalAdd)
				require.Contains(t, ks, "# No port binding: "+tc.why+".\n")
			}
			withHash := strings.Replace(ks, kickstart.RootpwPlaceholder, testHash, 1)
			require.Empty(t, kickstart.Check(name, []byte(withHash)))
		})
	}
}

func TestCHAPPreferred(t *testing.T) {
	src, hosts := sampleHosts(t)
	for _, name := range []string{"esx-bond-iscsi", "esx-raid-naa"} {
		ks := renderShipped(t, src, hosts[name])
		require.Regexp(t, `(?m)^esxcli iscsi adapter auth chap set --adapter="\$hba" --direction=uni --level=preferred --authname='[^']+' --secret='[^']+'$`, ks, name)
		require.NotContains(t, ks, "--level=required", name)
	}
}

// TestTelemetryAccount checks HPE's telemetry account: created when the host
// has a Telemetry network, with the password HPE's collector derives from the
// serial (checked by running the rendered lines in sh against a stand-in
// esxcli that prints what `esxcli hardware platform get` prints), and switched
// off by the one variable at the top of the template.
func TestTelemetryAccount(t *testing.T) {
	src, hosts := sampleHosts(t)
	ks := renderShipped(t, src, hosts["esx-vmotion-ft"])
	fb := firstboot(t, ks)
	require.Contains(t, fb, `esxcli system account add --id=vspherews --description="Telemetry" --password="$tm_pw" --password-confirmation="$tm_pw"`+"\n")
	require.Contains(t, fb, "esxcli system permission set --id=vspherews --role=ReadOnly\n")
	for name, h := range hosts {
		if name != "esx-vmotion-ft" {
			require.NotContains(t, renderShipped(t, src, h), "vspherews", name)
		}
	}

	serialLine := regexp.MustCompile(`(?m)^tm_serial=.*$`).FindString(fb)
	pwLine := regexp.MustCompile(`(?m)^  tm_pw=.*$`).FindString(fb)
	require.NotEmpty(t, serialLine)
	require.NotEmpty(t, pwLine)
	script := "esxcli() { printf 'Platform Information\\n   UUID: 0x30 0x39\\n   Product Name: ProLiant DL360 Gen10\\n" +
		"   Vendor Name: HPE\\n   Serial Number: CZ2D1F0ABC\\n   Enclosure Serial Number: CZ2D1F0XYZ\\n   BIOS Asset Tag:\\n'; }\n" +
		serialLine + "\n" + pwLine + "\necho \"$tm_pw\"\n"
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "H"+"cz2d1f0abc"+"P"+"CZ2D1F0ABC"+"E!\n", string(out))

	const on = "{{- $telemetryAccount := true -}}\n"
	require.Equal(t, 1, bytes.Count(src, []byte(on)), "the switch is one line at the top")
	require.Less(t, bytes.Index(src, []byte(on)), bytes.Index(src, []byte("vmaccepteula")))
	off := bytes.Replace(src, []byte(on), []byte("{{- $telemetryAccount := false -}}\n"), 1)
	ks = renderShipped(t, off, hosts["esx-vmotion-ft"])
	require.NotContains(t, ks, "esxcli system account add")
	require.NotContains(t, ks, "--id=vspherews")
	require.Contains(t, ks, "# No telemetry account: $telemetryAccount is false in the template.\n")
	require.Contains(t, ks, `add_vmk "Telemetry" 192.168.212.12 255.255.255.0 1500`, "the network is still set up")
}

// TestFirstbootEnding checks that %firstboot ends with an orderly, delayed
// reboot from maintenance mode, after the configuration is saved, and never
// with an immediate reboot.
func TestFirstbootEnding(t *testing.T) {
	src, hosts := sampleHosts(t)
	for name, h := range hosts {
		fb := firstboot(t, renderShipped(t, src, h))
		lines := strings.Split(strings.TrimRight(fb, "\n"), "\n")
		require.GreaterOrEqual(t, len(lines), 3)
		require.Equal(t, []string{
			"esxcli system maintenanceMode set --enable=true",
			"/sbin/auto-backup.sh",
			`esxcli system shutdown reboot --delay=60 --reason="esxi-byoi: first-boot configuration done"`,
		}, lines[len(lines)-3:], name)
		require.NotRegexp(t, `(?m)^\s*(/bin/)?reboot\b`, fb, name)
	}
}

// TestPortGroupsPerPurpose checks the port groups HPE's recipe documents:
// FS Mgmt on the management VLAN, and one per purpose.
func TestPortGroupsPerPurpose(t *testing.T) {
	src, hosts := sampleHosts(t)
	for name, vlan := range map[string]string{
		"esx-single-static": "1100", "esx-bond-iscsi": "1100", "esx-raid-naa": "1100", "esx-bfs-fc": "1100",
		"esx-nvme-eui": "1100", "esx-vmotion-ft": "1100", "esx-untagged-mgmt": "0",
	} {
		ks := renderShipped(t, src, hosts[name])
		require.Equal(t, 1, strings.Count(ks, `add_portgroup vSwitch0 "FS Mgmt" `+vlan+"\n"), name)
		require.NotContains(t, ks, "VM Network\"", name)
	}
	ks := renderShipped(t, src, hosts["esx-vmotion-ft"])
	for _, pg := range []string{`"vMotion" 1210`, `"vmFT" 1211`, `"Telemetry" 1212`, `"vCHA" 1213`, `"Backup" 1214`, `"External" 1215`} {
		require.Contains(t, ks, "add_portgroup vSwitch0 "+pg+"\n")
	}
	ks = renderShipped(t, src, hosts["esx-bond-iscsi"])
	require.Contains(t, ks, "add_portgroup vSwitch0 iSCSI-A 301\n")
	require.Contains(t, ks, "add_portgroup vSwitch0 iSCSI-B 302\n")
}

// TestNGUIDVolume keeps the eui.<NGUID> install branch covered. It is not a
// sample host: HPE's own ESXi template passes every eui. id to euiswap, which
// takes only an EUI-64, so no sample may carry one.
func TestNGUIDVolume(t *testing.T) {
	src, hosts := sampleHosts(t)
	h := *hosts["esx-single-static"]
	h.DeviceLayouts = []kickstart.DeviceLayout{{Device: "eui.6E4B3A2F1D0C9B8A00A0750100003F21"}}
	ks := renderShipped(t, src, &h)
	require.Contains(t, ks, "\ninstall --disk=eui.6e4b3a2f1d0c9b8a00a0750100003f21 --overwritevmfs\n")
}
