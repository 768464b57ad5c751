// Package archtest holds the line on the package map: imports point one
// way (cmd → cli → action → pipeline → stages → leaves), each third-party
// library has one home, and no test-only package is linked into the binary.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const mod = "github.com/esxi-byoi/esxi-byoi/"

type pkg struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "../../...")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NoError(t, cmd.Wait())
	require.NotEmpty(t, pkgs)
	return pkgs
}

// homes: a third-party import prefix → the only packages that may import it.
// Every third-party library the code imports has an entry (a new one needs
// a home too).
var homes = map[string][]string{
	"github.com/diskfs/go-diskfs": {"internal/iso"},
	// the AWS SDK and its smithy runtime live together
	"github.com/aws/aws-sdk-go-v2":          {"internal/publish", "internal/source", "internal/s3test"},
	"github.com/aws/smithy-go":              {"internal/publish", "internal/source", "internal/s3test"},
	"github.com/sethvargo/go-githubactions": {"internal/action"},
	// the action's one client of GitHub's REST API: the sticky comment and
	// the contents API (the preview's base when the checkout lacks it)
	"github.com/google/go-github": {"internal/action/comment"},
	// the preview engine: the base from a git checkout, and the diffs
	"github.com/go-git/go-git":   {"internal/preview"},
	"github.com/go-git/go-billy": {"internal/preview"},
	"github.com/sergi/go-diff":   {"internal/preview"},
	"github.com/GehirnInc/crypt": {"internal/service"},
	"gopkg.in/yaml.v3":           {"internal/kickstart", "internal/service"},
	"golang.org/x/term":          {"internal/cli"},
	"mvdan.cc/sh":                {"internal/kickstart"}, // busybox script bodies
	// HPE's client, its OAuth2 token source and (test-only) the spec checker
	"github.com/hewlettpackard/hpegl-metal-client": {"internal/portal"},
	"golang.org/x/oauth2":                          {"internal/portal"},
	"github.com/getkin/kin-openapi":                {"internal/portal/portaltest"},
}

// layers: packages that must not import the listed ones (imports point
// cmd → cli → action → pipeline → stages → leaves).
var upward = []string{"internal/cli", "internal/action", "internal/pipeline"}

func TestEachLibraryHasOneHome(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			if !thirdParty(imp) {
				continue
			}
			lib := ""
			for l := range homes {
				if imp == l || strings.HasPrefix(imp, l+"/") {
					lib = l
				}
			}
			require.NotEmpty(t, lib, "%s imports %s, a library without a home: add it to homes", rel, imp)
			ok := false
			for _, a := range homes[lib] {
				ok = ok || rel == a
			}
			require.True(t, ok, "%s imports %s; only %v may", rel, imp, homes[lib])
		}
	}
}

func thirdParty(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return strings.Contains(first, ".") && !strings.HasPrefix(imp, mod)
}

// testOnly are packages that exist for tests, besides every package of ours
// whose name ends in "test" (isotest, s3test, tlstest, sampletest, ...); the
// binary must not link them.
var testOnly = []string{"github.com/stretchr/testify", mod + "internal/realworld", mod + "internal/action/ghfake"}

func TestNoTestPackageInTheBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/esxi-byoi").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, mod+"internal/cli")
	for _, d := range deps {
		last := d[strings.LastIndex(d, "/")+1:]
		require.False(t, strings.HasPrefix(d, mod) && strings.HasSuffix(last, "test"), "cmd/esxi-byoi links the test package %s", d)
		for _, p := range testOnly {
			require.False(t, d == p || strings.HasPrefix(d, p+"/"), "cmd/esxi-byoi links the test package %s", d)
		}
		require.NotEqual(t, "testing", d, "cmd/esxi-byoi links package testing")
	}
}

func TestDomainPackagesDoNotImportUpward(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, mod)
		if rel == "cmd/esxi-byoi" {
			continue
		}
		for _, imp := range p.Imports {
			for i, up := range upward {
				if !strings.HasPrefix(imp, mod+up) {
					continue
				}
				// A layer may import the layers below it in the list.
				self := -1
				for j, u := range upward {
					if rel == u || strings.HasPrefix(rel, u+"/") {
						self = j
					}
				}
				ownSubtree := self == i && strings.HasPrefix(imp, mod+rel+"/")
				require.True(t, self >= 0 && (self < i || ownSubtree), "%s imports %s (imports must point down the layers)", rel, imp)
			}
		}
	}
}
