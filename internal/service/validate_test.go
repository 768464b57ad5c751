package service_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

func validYAML(t *testing.T) string {
	t.Helper()
	out, _, err := service.Render(baseOptions(t))
	require.NoError(t, err)
	return string(out)
}

// What Render writes has no finding at all, not even a warning.
func TestValidateGood(t *testing.T) {
	require.NoError(t, service.Validate([]byte(validYAML(t))))
	require.Empty(t, service.Check([]byte(validYAML(t))))
}

// svcClientYAML is a service-client image in the shape of HPE's Terraform
// example, with user_defined_steps as HPE's Windows recipe writes them.
const svcClientYAML = `name: Ubuntu-18.04
type: deploy
svc_category: linux
svc_flavor: ubuntu
svc_ver: 18.04-20201103
description: svc-client image
timeout: 1800
approach: svc-client
assumed_boot_method: na
schema_version: v2
device_layouts:
  - device: /dev/sda
    table_type: gpt
    partitions:
      - type: efi
        formula:
          equation: 250M
        mount: /boot/efi
      - type: swap
        formula:
          equation: 100%memory
          max_size: 25%disk
        mount_options: defaults
user_defined_steps:
  imgprep_steps:
    - operation: Set RAID AutoConfig
      description: Set RAID AutoConfig
      parameters:
        - name: AutoConfig Mode
          value: none
          type: String
files:
  - path: image.tgz
    file_size: 540167804
    display_url: https://images.example.com/ubuntu.tgz
    download_timeout: 300
    signature: 8fcc249a1bc488fe8d6d84e70ffa60c57dcd4b1ea70518624b4e0d7a9e616075
    algorithm: sha256sum
    expand: true
info:
  - contents: aG9zdG5hbWU6IHt7IC5OYW1lIH19Cg==
    encoding: base64
    templating: go-text-template
    templating_input: hostdef-v2
    target: hdd
    path: /etc/cloud/cloud.cfg.d/95_datasource.cfg
`

func TestValidateServiceClient(t *testing.T) {
	require.Empty(t, service.Check([]byte(svcClientYAML)))
	for name, tc := range map[string]struct {
		old, new, field string
		sev             service.Severity
		msg             string
	}{
		"operation":        {"operation: Set RAID AutoConfig", "operation: Set RAID Autoconfig", "user_defined_steps.imgprep_steps[0].operation", service.Warning, "did you mean Set RAID AutoConfig?"},
		"operation empty":  {"operation: Set RAID AutoConfig", "operation: ''", "user_defined_steps.imgprep_steps[0].operation", service.Error, "is required"},
		"step key":         {"imgprep_steps:", "imgprep_step:", "user_defined_steps.imgprep_step", service.Warning, "did you mean imgprep_steps?"},
		"parameter type":   {"type: String", "type: Text", "user_defined_steps.imgprep_steps[0].parameters[0].type", service.Warning, "known values: String, Integer, Version, URL"},
		"partition type":   {"type: efi", "type: ntfs", "device_layouts[0].partitions[0].type", service.Warning, "not a value the API spec or HPE's recipes use"},
		"table type":       {"table_type: gpt", "table_type: mbr", "device_layouts[0].table_type", service.Warning, "known values: gpt, dos, sun, sgi"},
		"no device":        {"device: /dev/sda", "device: ''", "device_layouts[0].device", service.Error, "is required"},
		"mount point key":  {"mount: /boot/efi", "mountpoint: /boot/efi", "device_layouts[0].partitions[0].mountpoint", service.Warning, "did you mean mount?"},
		"display_url http": {"display_url: https://", "display_url: http://", "files[0].display_url", service.Error, "must be an https:// URL"},
	} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, svcClientYAML, tc.old)
			found := service.Check([]byte(strings.Replace(svcClientYAML, tc.old, tc.new, 1)))
			require.Len(t, found, 1, "%v", found)
			require.Equal(t, tc.field, found[0].Field)
			require.Equal(t, tc.sev, found[0].Severity)
			require.Contains(t, found[0].Error(), tc.msg)
		})
	}
}

func TestValidate(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const (
		E = service.Error
		W = service.Warning
	)
	for name, tc := range map[string]struct {
		old, new string           // replace old by new in the valid YAML
		field    string           // expected field path ("" = no finding at all)
		sev      service.Severity // expected severity
		msg      string           // expected words of the message
	}{
		"type":                  {"type: deploy", "type: install", "type", E, `"install" is not allowed`},
		"type missing":          {"type: deploy\n", "", "type", W, "HPE's recipes all write type: deploy"},
		"approach":              {"approach: vmedia", "approach: pxe", "approach", E, "use one of: vmedia, svc-client"},
		"approach missing":      {"approach: vmedia\n", "", "approach", E, "is required"},
		"boot method":           {"assumed_boot_method: na", "assumed_boot_method: bios", "assumed_boot_method", E, "not allowed"},
		"boot method missing":   {"assumed_boot_method: na\n", "", "", E, ""},
		"origin":                {"origin: Custom", "origin: Mine", "origin", E, "HPE, Custom"},
		"origin missing":        {"origin: Custom\n", "", "", E, ""},
		"schema missing":        {"schema_version: v2\n", "", "schema_version", W, "is not set; HPE's ESXi recipe writes v2"},
		"schema other":          {"schema_version: v2", "schema_version: v7", "schema_version", W, "(v2)"},
		"name missing":          {`name: "BYOI VMware ESXi 8.0U3 20240625"`, `name: ""`, "name", E, "is required"},
		"name 128":              {`name: "BYOI VMware ESXi 8.0U3 20240625"`, `name: "` + strings.Repeat("é", 128) + `"`, "", E, ""},
		"name 129":              {`name: "BYOI VMware ESXi 8.0U3 20240625"`, `name: "` + strings.Repeat("x", 129) + `"`, "name", E, "has 129 characters; the portal takes at most 128"},
		"name tab":              {`name: "BYOI VMware ESXi 8.0U3 20240625"`, `name: "BYOI\tESXi"`, "name", E, "non-printable character U+0009 at byte 4"},
		"description missing":   {"description: ", "x_description: ", "description", W, "is not set"},
		"svc_ver unquoted":      {`svc_ver: "8.0U3-20240625-BYOI"`, `svc_ver: 8.10`, "svc_ver", W, "quote it"},
		"svc_ver missing":       {`svc_ver: "8.0U3-20240625-BYOI"`, `svc_ver: ""`, "svc_ver", E, "is required"},
		"timeout":               {"timeout: 1800", "timeout: 0", "timeout", E, "must be > 0"},
		"timeout text":          {"timeout: 1800", `timeout: "1800"`, "timeout", E, "whole number"},
		"bool text":             {"no_switch_lag: true", "no_switch_lag: yes please", "no_switch_lag", E, "true or false"},
		"unknown":               {"hoster_use: true", "hoster_use: true\nhostr_use: true", "hostr_use", W, "did you mean hoster_use?"},
		"did you mean prefix":   {"assumed_boot_method: na", "assumed_boot: na", "assumed_boot", W, "did you mean assumed_boot_method?"},
		"unknown, no guess":     {"hoster_use: true", "hoster_use: true\nfavourite_colour: blue", "favourite_colour", W, "known here: name, type"},
		"unknown nested":        {"algorithm: sha256sum", "algorithm: sha256sum\n    secure_ur: x", "files[0].secure_ur", W, "did you mean secure_url?"},
		"export id":             {"hoster_use: true", "hoster_use: true\nid: 3de686c3-654b-4613-92b5-407f77b2dd13", "id", W, "ignored on import"},
		"export resource_type":  {"hoster_use: true", "hoster_use: true\nresource_type: service", "resource_type", W, "ignored on import"},
		"duplicate":             {"hoster_use: true", "hoster_use: true\nhoster_use: false", "hoster_use", E, "given twice"},
		"duplicate nested":      {"skip_ssl_verify: false", "skip_ssl_verify: false\n    skip_ssl_verify: true", "files[0].skip_ssl_verify", E, "given twice (first on line"},
		"file size":             {"file_size: 635437056", "file_size: 0", "files[0].file_size", E, "must be > 0"},
		"http":                  {`secure_url: "https://`, `secure_url: "http://`, "files[0].secure_url", E, "must be an https:// URL unless skip_ssl_verify is true"},
		"http with skip":        {"", "", "files[0].secure_url", W, "plain http://"},
		"https with skip":       {"skip_ssl_verify: false", "skip_ssl_verify: true", "", E, ""},
		"credentials":           {`secure_url: "https://`, `secure_url: "https://u:p@`, "files[0].secure_url", E, "carries credentials"},
		"s3 scheme":             {`secure_url: "https://`, `secure_url: "s3://`, "files[0].secure_url", W, `"s3://" is not an https:// URL`},
		"not absolute":          {`secure_url: "https://images.example.com/esxi/`, `secure_url: "`, "files[0].secure_url", E, "is not an absolute URL"},
		"display_url downloads": {`secure_url: "https://images.example.com/esxi/ESXi-8.0U3-BYOI.iso"`, `secure_url: ""`, "files[0].display_url", E, `"ESXi-8.0U3-BYOI.iso" is not an absolute URL`},
		"display_url https":     {`display_url: "ESXi-8.0U3-BYOI.iso"`, `display_url: "https://images.example.com/a.iso"`, "", E, ""},
		"display_url only":      {`display_url: "ESXi-8.0U3-BYOI.iso"`, `display_url: "https://images.example.com/a.iso"` + "\n    x_url:", "files[0].x_url", W, "unknown field"},
		"no url":                {`display_url: "ESXi-8.0U3-BYOI.iso"`, `display_url: ""`, "files[0].display_url", W, "is not set"},
		"algorithm":             {"algorithm: sha256sum", "algorithm: md5sum", "files[0].algorithm", E, "sha256sum, sha512sum"},
		"sha512 length":         {"algorithm: sha256sum", "algorithm: sha512sum", "files[0].signature", E, "has 64 hex digits, sha512sum gives 128"},
		"short digest":          {sha256Digest, sha256Digest[:63], "files[0].signature", E, "has 63 hex digits"},
		"upper digest":          {sha256Digest, strings.ToUpper(sha256Digest), "files[0].signature", E, "lowercase hex"},
		"download timeout":      {"download_timeout: 900", "download_timeout: 1800", "files[0].download_timeout", W, "includes the download"},
		"no download timeout":   {"download_timeout: 900", "download_timeout: 0", "files[0].download_timeout", E, "HPE's ESXi recipe writes 900"},
		"no files":              {"files:\n", "files: []\nx_files:\n", "files", E, "at least one file"},
		"expand archive":        {"skip_ssl_verify: false", "skip_ssl_verify: false\n    expand: true", "", E, ""},
		"encoding":              {`encoding: "base64"`, `encoding: "gzip"`, "info[0].encoding", E, "base64, hex, none"},
		"hostdef-v1":            {`templating_input: "hostdef-v3"`, `templating_input: "hostdef-v1"`, "", E, ""},
		"hostdef-v2":            {`templating_input: "hostdef-v3"`, `templating_input: "hostdef-v2"`, "", E, ""},
		"hostdef-v4":            {`templating_input: "hostdef-v3"`, `templating_input: "hostdef-v4"`, "", E, ""},
		"install-env-v1":        {`templating_input: "hostdef-v3"`, `templating_input: "install-env-v1"`, "", E, ""},
		"templating input":      {`templating_input: "hostdef-v3"`, `templating_input: "hostdef-v9"`, "info[0].templating_input", E, "hostdef-v1, hostdef-v2, hostdef-v3, hostdef-v4, install-env-v1"},
		"floppy":                {`target: "vmedia-cd"`, `target: "vmedia-floppy"`, "", E, ""},
		"hdd":                   {`target: "vmedia-cd"`, `target: "hdd"`, "", E, ""},
		"target":                {`target: "vmedia-cd"`, `target: "usb"`, "info[0].target", E, "vmedia-cd, vmedia-floppy, hdd"},
		"path":                  {`path: "/KS.CFG"`, `path: "KS.CFG"`, "info[0].path", E, "must start with /"},
		"bad base64":            {`contents: "`, `contents: "!!!`, "info[0].contents", E, "does not decode as base64"},
		"no info":               {"info:\n", "x_info:\n", "info", W, "no info[] entry: the installer gets no kickstart"},
		"template parse":        {"", "", "info[0].contents", E, "template does not parse"},
		"unknown func":          {"", "", "info[0].contents", E, `function "upper" not defined`},
		"operator":              {"operator: omitsnocase", "operator: like", "classifiers[0].rules[1].operator", E, "containsnocase"},
		"files not a list":      {"files:\n  - path", "files: vmware.iso\nx_files:\n  - path", "files", E, "must be a list"},
		"not a mapping":         {"", "", "(document)", E, "not a YAML mapping"},
		"bad yaml":              {"", "", "(document)", E, "fix the YAML syntax"},
		"hex contents okay":     {"", "", "", E, ""},
		"second info entry":     {"", "", "", E, ""},
		"same info path twice":  {"", "", "info[1].path", E, "/KS.CFG on vmedia-cd is also written by info[0]"},
	} {
		t.Run(name, func(t *testing.T) {
			y := validYAML(t)
			switch name {
			case "template parse":
				y = replaceContents(t, y, b64("{{ if .Name }}unclosed"))
			case "unknown func":
				y = replaceContents(t, y, b64("{{ upper .Name }}"))
			case "hex contents okay":
				y = strings.Replace(y, `encoding: "base64"`, `encoding: "hex"`, 1)
				y = replaceContents(t, y, "7b7b202e4e616d65207d7d") // {{ .Name }}
			case "second info entry", "same info path twice":
				path := "/92_DATASOURCE.CFG"
				if name == "same info path twice" {
					path = "/KS.CFG"
				}
				y = strings.Replace(y, "info:\n", "info:\n  - encoding: none\n    templating: none\n    target: vmedia-cd\n    path: "+path+"\n    contents: plain\n", 1)
			case "http with skip":
				y = strings.Replace(y, `secure_url: "https://`, `secure_url: "http://`, 1)
				y = strings.Replace(y, "skip_ssl_verify: false", "skip_ssl_verify: true", 1)
			case "not a mapping":
				y = "- a\n- b\n"
			case "bad yaml":
				y = "name: [\n"
			default:
				require.Contains(t, y, tc.old)
				y = strings.Replace(y, tc.old, tc.new, 1)
			}
			found := service.Check([]byte(y))
			if tc.field == "" {
				require.Empty(t, found, "\n%s", y)
				require.NoError(t, service.Validate([]byte(y)))
				return
			}
			var hit *service.FieldError
			for _, p := range found {
				if p.Field == tc.field && strings.Contains(p.Error(), tc.msg) {
					hit = p
				}
			}
			require.NotNil(t, hit, "want %s: ...%s... in:\n%v", tc.field, tc.msg, found)
			require.Equal(t, tc.sev, hit.Severity, hit.Error())
			require.NotEmpty(t, hit.Fix, "every finding says how to fix it")
			for _, p := range found {
				require.NotContains(t, p.Fix, "(", "a fix prints inside (fix: …): %s", p.Error())
			}
			if tc.sev == service.Warning {
				require.NotContains(t, service.Problems(service.Validate([]byte(y))), hit, "a warning is not an error")
			} else {
				require.Contains(t, service.Problems(service.Validate([]byte(y))), hit)
			}
		})
	}
}

func replaceContents(t *testing.T, y, contents string) string {
	t.Helper()
	i := strings.Index(y, `contents: "`)
	require.GreaterOrEqual(t, i, 0)
	j := strings.Index(y[i+len(`contents: "`):], `"`)
	return y[:i] + `contents: "` + contents + y[i+len(`contents: "`)+j:]
}

func TestValidateReportsEveryProblemWithLines(t *testing.T) {
	y := validYAML(t)
	for _, r := range [][2]string{
		{"type: deploy", "type: install"},
		{"algorithm: sha256sum", "algorithm: sha1sum"},
		{`target: "vmedia-cd"`, `target: "usb"`},
		{"file_size: 635437056", "file_size: -1"},
	} {
		y = strings.Replace(y, r[0], r[1], 1)
	}
	ps := service.Problems(service.Validate([]byte(y)))
	var fields []string
	for _, p := range ps {
		fields = append(fields, p.Field)
		require.Positive(t, p.Line, p.Error())
	}
	require.ElementsMatch(t, []string{"type", "files[0].algorithm", "info[0].target", "files[0].file_size"}, fields)
	lines := strings.Split(y, "\n")
	for _, p := range ps {
		require.Contains(t, lines[p.Line-1], p.Field[strings.LastIndex(p.Field, ".")+1:])
	}
}

// Missing required fields are reported even when the whole key is absent;
// schema_version, origin and assumed_boot_method are not required.
func TestValidateMinimal(t *testing.T) {
	findings := service.Check([]byte("name: x\n"))
	got := map[string]service.Severity{}
	for _, p := range findings {
		got[p.Field] = p.Severity
		require.Zero(t, p.Line, "absent fields have no line: %v", p)
	}
	require.Equal(t, map[string]service.Severity{
		"type": service.Warning, "svc_category": service.Error, "svc_flavor": service.Error, "svc_ver": service.Error,
		"description": service.Warning, "timeout": service.Error, "approach": service.Error,
		"schema_version": service.Warning, "files": service.Error,
	}, got)
}

// A YAML syntax error points at its line, as FILE:LINE does, and the message
// does not repeat it.
func TestValidateSyntaxErrorHasItsLine(t *testing.T) {
	found := service.Check([]byte("name: x\ntype: deploy\nsvc_ver: \"8.0\n  - a: b\n"))
	require.Len(t, found, 1)
	require.Equal(t, "(document)", found[0].Field)
	require.Equal(t, 3, found[0].Line, found[0].Error())
	require.NotContains(t, found[0].Msg, "line 3")
	require.NotContains(t, found[0].Msg, "yaml:")
	require.Equal(t, "fix the YAML syntax", found[0].Fix)
}

// What a new user may hand to validate by mistake: an empty file, two
// services in one file, the service template itself, a file without timeout.
func TestValidateWrongFiles(t *testing.T) {
	one := func(t *testing.T, y, field string) *service.FieldError {
		t.Helper()
		for _, f := range service.Check([]byte(y)) {
			if f.Field == field {
				return f
			}
		}
		t.Fatalf("no finding on %s in %v", field, service.Check([]byte(y)))
		return nil
	}
	f := one(t, "", "(document)")
	require.Equal(t, "the file holds no YAML document", f.Msg)
	require.Equal(t, service.Error, f.Severity)

	y := validYAML(t)
	f = one(t, y+"---\n"+y, "(document)")
	require.Equal(t, service.Warning, f.Severity)
	require.Equal(t, strings.Count(y, "\n")+1, f.Line, "the line of the second document")
	require.Contains(t, f.Msg, "a second YAML document starts here")

	tmpl, err := templates.FS.ReadFile("service.yml.tmpl")
	require.NoError(t, err)
	f = one(t, string(tmpl), "(document)")
	require.Contains(t, f.Fix, "this is a template with {{ }} actions: validate the service YAML that esxi-byoi build renders")
	require.NotContains(t, f.Fix, " -s", "the fix names no CLI flag: the action and the portal registration print it too")

	f = one(t, "? [a]\n: b\n"+y, "(key)")
	require.Equal(t, "a key must be a plain name, not a list", f.Msg)
	require.Equal(t, 1, f.Line)

	f = one(t, strings.Replace(y, "timeout: 1800\n", "", 1), "timeout")
	require.Equal(t, "is required", f.Msg)
	require.Equal(t, service.Error, f.Severity)
}
