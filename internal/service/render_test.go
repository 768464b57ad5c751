package service_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/secret"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// testPassword is distinctive so a leak is easy to find.
const testPassword = "Zebra-Quokka-7731!"

const (
	sha256Digest = "4e19d04dcc7defe626657ff808bfd3e6f92e527373cf5bee48348018a2ccb7bc"
	sha512Digest = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
)

// kickstart returns the test kickstart template with the root hash substituted.
func kickstart(t *testing.T, hash string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ks.cfg.tmpl")
	require.NoError(t, err)
	return bytes.Replace(b, []byte("@ROOTPW@"), []byte(hash), 1)
}

// fixedHash is a hash of testPassword with a fixed salt, for stable goldens.
func fixedHash(t *testing.T) string {
	t.Helper()
	h, err := service.HashPassword(secret.New(testPassword), strings.NewReader("0123456789abcdef"))
	require.NoError(t, err)
	return h
}

func baseOptions(t *testing.T) service.Options {
	return service.Options{
		Version:   "8.0U3",
		Date:      time.Date(2024, 6, 25, 13, 14, 15, 0, time.UTC),
		ISOSize:   635437056,
		Digest:    sha256Digest,
		SecureURL: "https://images.example.com/esxi/ESXi-8.0U3-BYOI.iso",
		SourceISO: "VMware-VMvisor-Installer-8.0U3-24022510.x86_64.iso",
		Kickstart: kickstart(t, fixedHash(t)),
	}
}

func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	require.Equal(t, string(want), string(got))
}

func TestRender(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*service.Options)
		want service.File
	}{
		"sha256": {
			edit: func(*service.Options) {},
			want: service.File{Path: "vmware.iso", FileSize: 635437056, DisplayURL: "ESXi-8.0U3-BYOI.iso",
				SecureURL: "https://images.example.com/esxi/ESXi-8.0U3-BYOI.iso", DownloadTimeout: 900,
				Signature: sha256Digest, Algorithm: "sha256sum"},
		},
		"sha512_private_server": {
			edit: func(o *service.Options) {
				o.Version = "7.0.3"
				o.Digest = strings.ToUpper(sha512Digest) // normalised to lowercase
				o.Algorithm = "sha512sum"
				o.SecureURL = "http://10.152.3.96/images/esxi.iso?x=a&y=b: c#frag"
				o.DisplayURL = "ESXi 7.0.3 (lab)"
				o.SkipSSLVerify = true
				o.DownloadTimeout = 1200
				o.SourceISO = ""
			},
			want: service.File{Path: "vmware.iso", FileSize: 635437056, DisplayURL: "ESXi 7.0.3 (lab)",
				SecureURL: "http://10.152.3.96/images/esxi.iso?x=a&y=b: c#frag", DownloadTimeout: 1200,
				Signature: sha512Digest, Algorithm: "sha512sum", SkipSSLVerify: true},
		},
	} {
		t.Run(name, func(t *testing.T) {
			o := baseOptions(t)
			tc.edit(&o)
			out, svc, err := service.Render(o)
			require.NoError(t, err)
			golden(t, out)
			require.NoError(t, service.Validate(out))

			// Parse back with plain yaml.v3, field by field.
			var got service.Service
			require.NoError(t, yaml.Unmarshal(out, &got))
			require.Equal(t, *svc, got)
			date := o.Date.Format("20060102")
			require.Equal(t, "BYOI VMware ESXi "+o.Version+" "+date, got.Name)
			require.Equal(t, o.Version+"-"+date+"-BYOI", got.SvcVer)
			require.Equal(t, "deploy", got.Type)
			require.Equal(t, "VMware", got.SvcCategory)
			require.Equal(t, "ESXi", got.SvcFlavor)
			require.EqualValues(t, 1800, got.Timeout)
			require.Equal(t, "vmedia", got.Approach)
			require.True(t, got.NoSwitchLAG)
			require.Equal(t, "na", got.AssumedBootMethod)
			require.Equal(t, "v2", got.SchemaVersion)
			require.Equal(t, "Custom", got.Origin)
			require.True(t, got.ProjectUse)
			require.True(t, got.HosterUse)
			require.Equal(t, []service.File{tc.want}, got.Files)
			require.Len(t, got.Info, 1)
			in := got.Info[0]
			require.Equal(t, service.Info{Encoding: "base64", Templating: "go-text-template", TemplatingInput: "hostdef-v3",
				Target: "vmedia-cd", Path: "/KS.CFG", Contents: in.Contents}, in)
			require.NotContains(t, in.Contents, "\n", "base64 must not be wrapped")
			ks, err := base64.StdEncoding.DecodeString(in.Contents)
			require.NoError(t, err)
			require.Equal(t, string(o.Kickstart), string(ks))
			require.Equal(t, []service.Classifier{{Name: "Not supported on Gen9", Rules: []service.Rule{
				{Attribute: "manufacturer", Value: "HPE", Operator: "contains"},
				{Attribute: "model", Value: "Gen9", Operator: "omitsnocase"},
			}}}, got.Classifiers)

			// svc_ver is a quoted string in the text, not a number.
			require.Contains(t, string(out), "\nsvc_ver: \""+got.SvcVer+"\"\n")
		})
	}
}

// The kickstart inside the YAML is the template with only the hash
// substituted: portal-time {{ }} actions are untouched.
func TestRenderKeepsPortalTemplate(t *testing.T) {
	o := baseOptions(t)
	_, svc, err := service.Render(o)
	require.NoError(t, err)
	ks, err := svc.Info[0].Decode()
	require.NoError(t, err)
	orig, err := os.ReadFile("testdata/ks.cfg.tmpl")
	require.NoError(t, err)
	require.Equal(t, strings.Replace(string(orig), "@ROOTPW@", fixedHash(t), 1), string(ks))
	require.Contains(t, string(ks), "{{ range .SSHKeys }}")
}

func TestRenderDoesNotLeakPassword(t *testing.T) {
	hash, err := service.HashPassword(secret.New(testPassword), nil)
	require.NoError(t, err)
	o := baseOptions(t)
	o.Kickstart = kickstart(t, hash)
	out, svc, err := service.Render(o)
	require.NoError(t, err)
	require.NotContains(t, string(out), testPassword)
	ks, err := svc.Info[0].Decode()
	require.NoError(t, err)
	require.NotContains(t, string(ks), testPassword)
	require.Contains(t, string(ks), "rootpw --iscrypted "+hash+"\n")
}

func TestRenderRejects(t *testing.T) {
	def := string(service.DefaultTemplate())
	for name, tc := range map[string]struct {
		edit func(*service.Options)
		want []string
	}{
		"bad options": {
			edit: func(o *service.Options) { o.Version = "8.0 U3"; o.Date = time.Time{} },
			want: []string{"version: \"8.0 U3\" is not a version", "date: is not set"},
		},
		"bad build values": {
			edit: func(o *service.Options) {
				o.Digest = "abc"
				o.ISOSize = 0
				o.SecureURL = ""
				o.Kickstart = nil
			},
			want: []string{"files[0].signature: has 3 hex digits", "files[0].file_size: must be > 0",
				"files[0].secure_url: is required", "info[0].contents: is required"},
		},
		"unknown algorithm": {
			edit: func(o *service.Options) { o.Algorithm = "md5sum" },
			want: []string{"files[0].algorithm: \"md5sum\" is not allowed"},
		},
		"template hard-codes the size": {
			edit: func(o *service.Options) {
				o.Template = []byte(strings.Replace(def, "file_size: {{ .Size }}", "file_size: 12345", 1))
			},
			want: []string{"files[0].file_size: is 12345, this build made 635437056"},
		},
		"template misspells a field": {
			edit: func(o *service.Options) {
				o.Template = []byte(strings.Replace(def, "skip_ssl_verify:", "skip_ssl_verfy:", 1))
			},
			want: []string{"files[0].skip_ssl_verfy: unknown field"},
		},
		"template drops the kickstart": {
			edit: func(o *service.Options) {
				o.Template = []byte(strings.Replace(def, "path: {{ quote .KickstartPath }}", "path: /ks.cfg", 1))
			},
			want: []string{"info: has no entry for /KS.CFG"},
		},
		"template uses unknown data": {
			edit: func(o *service.Options) { o.Template = []byte("name: {{ .Nope }}\n") },
			want: []string{"service template:", "Nope"},
		},
		"template does not parse": {
			edit: func(o *service.Options) { o.Template = []byte("name: {{ .Name \n") },
			want: []string{"service template:"},
		},
		"https required": {
			edit: func(o *service.Options) { o.SecureURL = "http://images.example.com/x.iso" },
			want: []string{"files[0].secure_url: must be an https:// URL"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			o := baseOptions(t)
			tc.edit(&o)
			_, _, err := service.Render(o)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestBuildDate(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return v
			}
			return ""
		}
	}
	d, err := service.BuildDate(env("1719321255"))
	require.NoError(t, err)
	require.Equal(t, time.Date(2024, 6, 25, 13, 14, 15, 0, time.UTC), d)

	_, err = service.BuildDate(env("yesterday"))
	require.ErrorContains(t, err, "SOURCE_DATE_EPOCH")

	before := time.Now().UTC()
	d, err = service.BuildDate(env(""))
	require.NoError(t, err)
	require.Equal(t, time.UTC, d.Location())
	require.WithinDuration(t, before, d, time.Minute)
}

func TestParse(t *testing.T) {
	out, svc, err := service.Render(baseOptions(t))
	require.NoError(t, err)
	back, err := service.Parse(out)
	require.NoError(t, err)
	require.Equal(t, svc, back)
	_, err = service.Parse([]byte("name: [\n"))
	require.ErrorContains(t, err, "parse service YAML")
}
