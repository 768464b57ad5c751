package pipeline_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
)

// hintTexts collects every fix the code can print that is written as a
// literal: the returns of each Hint method and of each function with a
// result named hint (a string literal, or a string constant of the package),
// each `Fix: "..."` field and the sentinel table.
// A fix built as "literal" + more is collected as its literal start, marked
// with a trailing "…". Test-only packages are skipped.
func hintTexts(t *testing.T) map[string]string {
	t.Helper()
	texts := map[string]string{}
	for _, h := range pipeline.Hints() {
		texts[h] = "internal/pipeline/hints.go"
	}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != "../.." && strings.HasPrefix(n, ".") || n == "testdata" || (strings.HasSuffix(n, "test") && n != "archtest") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		require.NoError(t, err)
		consts := packageConsts(t, filepath.Dir(path))
		// lit evaluates a string expression: literals and constants, joined
		// by +; from the first other operand on, the text ends in "…".
		var lit func(e ast.Expr) (string, bool)
		lit = func(e ast.Expr) (string, bool) {
			switch e := e.(type) {
			case *ast.BinaryExpr:
				if e.Op != token.ADD {
					return "", false
				}
				x, ok := lit(e.X)
				if !ok || strings.HasSuffix(x, "…") {
					return x, ok
				}
				if y, ok := lit(e.Y); ok {
					return x + y, true
				}
				return x + "…", true
			case *ast.CallExpr:
				// fmt.Sprintf(format, ...): the format up to its first verb
				if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(e.Args) > 0 {
					f, ok := lit(e.Args[0])
					if i := strings.IndexByte(f, '%'); ok && i >= 0 {
						return f[:i] + "…", true
					}
					return f, ok
				}
			case *ast.BasicLit:
				if e.Kind == token.STRING {
					s, err := strconv.Unquote(e.Value)
					return s, err == nil
				}
			case *ast.Ident:
				s, ok := consts[e.Name]
				return s, ok
			}
			return "", false
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				// A Hint method, or a function with a result named hint.
				at := -1
				if n.Name.Name == "Hint" && n.Recv != nil {
					at = 0
				}
				if n.Type.Results != nil {
					i := 0
					for _, f := range n.Type.Results.List {
						for _, name := range f.Names {
							if name.Name == "hint" {
								at = i
							}
							i++
						}
						if len(f.Names) == 0 {
							i++
						}
					}
				}
				if at < 0 || n.Body == nil {
					return true
				}
				ast.Inspect(n.Body, func(m ast.Node) bool {
					if r, ok := m.(*ast.ReturnStmt); ok && len(r.Results) > at {
						if s, ok := lit(r.Results[at]); ok && s != "" {
							texts[s] = path
						}
					}
					if _, ok := m.(*ast.FuncLit); ok {
						return false
					}
					return true
				})
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Fix" {
					if s, ok := lit(n.Value); ok && s != "" {
						texts[s] = path
					}
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	return texts
}

// packageConsts returns the string constants declared in dir's package.
func packageConsts(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if b, ok := v.(*ast.BasicLit); ok && b.Kind == token.STRING {
						out[vs.Names[i].Name], _ = strconv.Unquote(b.Value)
					}
				}
			}
		}
	}
	return out
}

// troubleshooting returns the "fix printed" cells of the README's
// troubleshooting table.
func troubleshooting(t *testing.T) []string {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, "\n## Troubleshooting\n")
	require.GreaterOrEqual(t, i, 0)
	s = s[i:]
	s = s[:strings.Index(s[1:], "\n## ")+1]
	// Only the fixes table: the subsections after it (lint and validate
	// findings) explain findings, which carry no fix.
	if k := strings.Index(s, "\n### "); k >= 0 {
		s = s[:k]
	}
	var fixes []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| error says") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		require.Len(t, cells, 2, "troubleshooting row %q", line)
		fixes = append(fixes, strings.ReplaceAll(cells[1], `\|`, "|"))
	}
	require.NotEmpty(t, fixes)
	return fixes
}

// Every fix the code can print is a row of the README's troubleshooting
// table (as the CLI prints it), and every row is a fix the code prints.
func TestHintsAndTheREADMEAgree(t *testing.T) {
	texts := hintTexts(t)
	rows := troubleshooting(t)
	printed := map[string]bool{}
	var missing, extra []string
	var starts []string
	for text, where := range texts {
		cli := option.CLI.Expand(text)
		if start, ok := strings.CutSuffix(cli, "…"); ok {
			starts = append(starts, start)
			if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, start) }) {
				missing = append(missing, where+": "+cli)
			}
			continue
		}
		printed[cli] = true
		if !slices.Contains(rows, cli) {
			missing = append(missing, where+": "+cli)
		}
	}
	for _, row := range rows {
		if !printed[row] && !slices.ContainsFunc(starts, func(s string) bool { return strings.HasPrefix(row, s) }) {
			extra = append(extra, row)
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "fixes missing from the README's troubleshooting table:\n%s", strings.Join(missing, "\n"))
	require.Empty(t, extra, "README troubleshooting rows that are no fix the code prints:\n%s", strings.Join(extra, "\n"))
}

// Error literals name their fields (&InputError{Input: …, Fix: …}): the
// hints test finds a fix only as a Fix: field, so a positional literal's fix
// would never be checked against the README.
func TestErrorLiteralsNameTheirFields(t *testing.T) {
	var positional []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != "../.." && strings.HasPrefix(n, ".") || n == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) < 2 { // a one-field wrapper ({err}) carries no fix
				return true
			}
			name := ""
			switch ty := cl.Type.(type) {
			case *ast.Ident:
				name = ty.Name
			case *ast.SelectorExpr:
				name = ty.Sel.Name
			}
			if _, keyed := cl.Elts[0].(*ast.KeyValueExpr); strings.HasSuffix(name, "Error") && !keyed {
				positional = append(positional, fset.Position(cl.Pos()).String()+": "+name)
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, positional, "error literals with positional fields:\n%s", strings.Join(positional, "\n"))
}
