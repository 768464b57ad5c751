package kickstart

import (
	"fmt"
	"reflect"
	"sort"
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

// v4Fields are fields of hostdef-v4 that hostdef-v3 (what the service YAML
// declares) may lack.
var v4Fields = map[string]bool{"NoIPAddr": true}

// checkFields finds field names no struct of HostDef has (a typo such as
// .Nmae fails on the portal only for the hosts that reach it) and uses of
// hostdef-v4 fields. Each problem carries the template line.
func checkFields(t *Template) []*LintError {
	lineOf := lineIndex(t.src)
	var problems []*LintError
	report := func(n parse.Node, names []string) {
		for _, name := range names {
			le := &LintError{File: t.name, Line: lineOf(int(n.Position()))}
			switch {
			case v4Fields[name]:
				le.Warning = true
				le.Msg = fmt.Sprintf(".%s is a hostdef-v4 field; with templating_input hostdef-v3 the portal may not have it (test .Ranges instead)", name)
			case !hostFields[name]:
				le.Msg = fmt.Sprintf(".%s is not a field of the hostdef-v3 data (%s)", name, suggestField(name))
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
	return "see kickstart.HostDef"
}
