package kickstart_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/realworld"
)

// hpeTemplate is one go-text-template info[] entry of a real HPE service YAML.
type hpeTemplate struct {
	name  string // file.yml:info[i] path
	input string // templating_input
	src   []byte
}

// hpeTemplates decodes every go-text-template info[].contents of every
// service YAML in the real-world corpus (HPE's ESXi, RHEL, SLES, Debian and
// Windows services and the Terraform Ubuntu example).
func hpeTemplates(t *testing.T) []hpeTemplate {
	t.Helper()
	var out []hpeTemplate
	for _, file := range realworld.Files(t, "services", "*.yml") {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		var svc struct {
			Info []struct {
				Encoding        string `yaml:"encoding"`
				Templating      string `yaml:"templating"`
				TemplatingInput string `yaml:"templating_input"`
				Path            string `yaml:"path"`
				Contents        string `yaml:"contents"`
			} `yaml:"info"`
		}
		require.NoError(t, yaml.Unmarshal(b, &svc), file)
		for i, in := range svc.Info {
			if in.Templating != "go-text-template" {
				continue
			}
			var src []byte
			switch in.Encoding {
			case "base64":
				src, err = base64.StdEncoding.DecodeString(in.Contents)
			case "hex":
				src, err = hex.DecodeString(in.Contents)
			default:
				src = []byte(in.Contents)
			}
			require.NoError(t, err, "%s info[%d]", file, i)
			out = append(out, hpeTemplate{
				name:  fmt.Sprintf("%s:info[%d]%s", filepath.Base(file), i, in.Path),
				input: in.TemplatingInput,
				src:   src,
			})
		}
	}
	// 11 services, 34 templates when this test was written: a shrinking
	// corpus would quietly test less.
	require.GreaterOrEqual(t, len(out), 34)
	return out
}

// TestHPETemplatesRenderForSampleHosts renders every HPE template that reads
// host data (templating_input hostdef-*) for every sample host, with exactly
// the portal's functions. A field HostDef lacks ("can't evaluate field"), a
// sample network without Ranges (index .Ranges 0) or a discovery address in a
// shape HPE's templates do not expect fails here before it fails on the portal.
// install-env-v1 templates (the Debian apt source list) are rendered with the
// install environment, not host data, and are only parsed.
func TestHPETemplatesRenderForSampleHosts(t *testing.T) {
	_, hosts := shipped(t)
	rendered := 0
	for _, ht := range hpeTemplates(t) {
		t.Run(ht.name, func(t *testing.T) {
			tmpl, err := kickstart.Parse(ht.name, ht.src)
			require.NoError(t, err)
			if !strings.HasPrefix(ht.input, "hostdef-") {
				require.Equal(t, "install-env-v1", ht.input, "a template input this test does not know")
				return
			}
			rendered++
			for _, h := range hosts {
				_, err := kickstart.Render(tmpl, &h.Def)
				require.NoError(t, err, "host file %s", h.File)
			}
		})
	}
	require.GreaterOrEqual(t, rendered, 33)
}

// TestHostDefIsHPEsModel checks that HostDef has no field that no HPE
// template reads (such a field lets a template lint clean and then fail on the
// portal) and lacks none that one reads.
func TestHostDefIsHPEsModel(t *testing.T) {
	used := map[string]bool{}
	for _, ht := range hpeTemplates(t) {
		if !strings.HasPrefix(ht.input, "hostdef-") {
			continue
		}
		tmpl, err := template.New(ht.name).Funcs(kickstart.Funcs()).Parse(string(ht.src))
		require.NoError(t, err, ht.name)
		for _, tt := range tmpl.Templates() {
			if tt.Tree != nil {
				collectFields(tt.Tree.Root, used)
			}
		}
	}
	model := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			model[f.Name] = true
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(kickstart.HostDef{}))

	var extra, missing []string
	for f := range model {
		if !used[f] {
			extra = append(extra, f)
		}
	}
	for f := range used {
		if !model[f] {
			missing = append(missing, f)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	require.Empty(t, extra, "HostDef fields no HPE template reads")
	require.Empty(t, missing, "fields HPE templates read that HostDef lacks")
	for _, f := range []string{"TargetIQN", "IPAddress", "NoIPAddr"} {
		require.True(t, model[f], f)
	}
}

// collectFields adds every field name n looks up (.A.B, $x.A, (pipe).A).
func collectFields(n parse.Node, used map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				collectFields(c, used)
			}
		}
	case *parse.ActionNode:
		collectFields(n.Pipe, used)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				collectFields(c, used)
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collectFields(a, used)
		}
	case *parse.FieldNode:
		for _, f := range n.Ident {
			used[f] = true
		}
	case *parse.ChainNode:
		collectFields(n.Node, used)
		for _, f := range n.Field {
			used[f] = true
		}
	case *parse.VariableNode:
		for _, f := range n.Ident[1:] {
			used[f] = true
		}
	case *parse.IfNode:
		collectFields(n.Pipe, used)
		collectFields(n.List, used)
		collectFields(n.ElseList, used)
	case *parse.RangeNode:
		collectFields(n.Pipe, used)
		collectFields(n.List, used)
		collectFields(n.ElseList, used)
	case *parse.WithNode:
		collectFields(n.Pipe, used)
		collectFields(n.List, used)
		collectFields(n.ElseList, used)
	case *parse.TemplateNode:
		collectFields(n.Pipe, used)
	}
}
