package service_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

func validYAML(t *testing.T) string {
	t.Helper()
	out, _, err := service.Render(baseOptions(t))
	require.NoError(t, err)
	return string(out)
}

func TestValidateGood(t *testing.T) {
	require.NoError(t, service.Validate([]byte(validYAML(t))))
}

func TestValidate(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for name, tc := range map[string]struct {
		old, new string // replace old by new in the valid YAML
		field    string // expected field path
		msg      string // expected words of the message
	}{
		"type":              {"type: deploy", "type: install", "type", `"install" is not allowed`},
		"approach":          {"approach: vmedia", "approach: pxe", "approach", "use one of: vmedia, svc-client"},
		"boot method":       {"assumed_boot_method: na", "assumed_boot_method: bios", "assumed_boot_method", "not allowed"},
		"origin":            {"origin: Custom", "origin: Mine", "origin", "HPE, Custom"},
		"name missing":      {`name: "BYOI VMware ESXi 8.0U3 20240625"`, `name: ""`, "name", "is required"},
		"svc_ver unquoted":  {`svc_ver: "8.0U3-20240625-BYOI"`, `svc_ver: 8.0`, "svc_ver", "quote it"},
		"timeout":           {"timeout: 1800", "timeout: 0", "timeout", "must be > 0"},
		"timeout text":      {"timeout: 1800", `timeout: "1800"`, "timeout", "whole number"},
		"bool text":         {"no_switch_lag: true", "no_switch_lag: yes please", "no_switch_lag", "true or false"},
		"unknown":           {"hoster_use: true", "hoster_use: true\nhostr_use: true", "hostr_use", "unknown field"},
		"duplicate":         {"hoster_use: true", "hoster_use: true\nhoster_use: false", "hoster_use", "given twice"},
		"file size":         {"file_size: 635437056", "file_size: 0", "files[0].file_size", "must be > 0"},
		"http":              {`secure_url: "https://`, `secure_url: "http://`, "files[0].secure_url", "must be an https:// URL"},
		"https with skip":   {"skip_ssl_verify: false", "skip_ssl_verify: true", "", ""},
		"credentials":       {`secure_url: "https://`, `secure_url: "https://u:p@`, "files[0].secure_url", "carries credentials"},
		"no url":            {`secure_url: "https://images.example.com/esxi/ESXi-8.0U3-BYOI.iso"`, `secure_url: ""`, "files[0].secure_url", "is required"},
		"algorithm":         {"algorithm: sha256sum", "algorithm: md5sum", "files[0].algorithm", "sha256sum, sha512sum"},
		"sha512 length":     {"algorithm: sha256sum", "algorithm: sha512sum", "files[0].signature", "has 64 hex digits, sha512sum gives 128"},
		"short digest":      {sha256Digest, sha256Digest[:63], "files[0].signature", "has 63 hex digits"},
		"upper digest":      {sha256Digest, strings.ToUpper(sha256Digest), "files[0].signature", "lowercase hex"},
		"download timeout":  {"download_timeout: 900", "download_timeout: 1800", "files[0].download_timeout", "includes the download"},
		"no files":          {"files:\n", "files: []\nx_files:\n", "files", "at least one file"},
		"encoding":          {`encoding: "base64"`, `encoding: "gzip"`, "info[0].encoding", "base64, hex, none"},
		"templating input":  {`templating_input: "hostdef-v3"`, `templating_input: "hostdef-v9"`, "info[0].templating_input", "hostdef-v3, hostdef-v4"},
		"target":            {`target: "vmedia-cd"`, `target: "usb"`, "info[0].target", "vmedia-cd, vmedia-floppy, hdd"},
		"path":              {`path: "/KS.CFG"`, `path: "KS.CFG"`, "info[0].path", "must start with /"},
		"bad base64":        {`contents: "`, `contents: "!!!`, "info[0].contents", "does not decode as base64"},
		"template parse":    {"", "", "info[0].contents", "template does not parse"},
		"unknown func":      {"", "", "info[0].contents", `function "upper" not defined`},
		"operator":          {"operator: omitsnocase", "operator: like", "classifiers[0].rules[1].operator", "containsnocase"},
		"files not a list":  {"files:\n  - path", "files: vmware.iso\nx_files:\n  - path", "files", "must be a list"},
		"not a mapping":     {"", "", "(document)", "not a YAML mapping"},
		"bad yaml":          {"", "", "(document)", "fix the YAML syntax"},
		"hex contents okay": {"", "", "", ""},
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
			case "not a mapping":
				y = "- a\n- b\n"
			case "bad yaml":
				y = "name: [\n"
			default:
				require.Contains(t, y, tc.old)
				y = strings.Replace(y, tc.old, tc.new, 1)
			}
			err := service.Validate([]byte(y))
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			found := false
			for _, p := range service.Problems(err) {
				if p.Field == tc.field && strings.Contains(p.Error(), tc.msg) {
					found = true
					require.NotEmpty(t, p.Fix, "every problem says how to fix it")
				}
			}
			require.True(t, found, "want %s: ...%s... in:\n%v", tc.field, tc.msg, err)
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

// Missing required fields are reported even when the whole key is absent.
func TestValidateMinimal(t *testing.T) {
	err := service.Validate([]byte("name: x\n"))
	fields := map[string]bool{}
	for _, p := range service.Problems(err) {
		fields[p.Field] = true
	}
	for _, f := range []string{"type", "svc_category", "svc_flavor", "svc_ver", "timeout", "approach",
		"assumed_boot_method", "schema_version", "origin", "files"} {
		require.True(t, fields[f], "no problem for %s in %v", f, err)
	}
}
