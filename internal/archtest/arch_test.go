// Package archtest holds the line on the package map of house-style §B1:
// imports point one way, and each third-party library has one home.
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
var homes = map[string][]string{
	"github.com/diskfs/go-diskfs":                  {"internal/iso"},
	"github.com/aws/aws-sdk-go-v2":                 {"internal/publish", "internal/source", "internal/s3test"},
	"github.com/sethvargo/go-githubactions":        {"internal/action"},
	"github.com/google/go-github":                  {"internal/action"},
	"github.com/hewlettpackard/hpegl-metal-client": {"internal/portal"},
	"golang.org/x/oauth2":                          {"internal/portal"},
	"github.com/getkin/kin-openapi":                {"internal/portal/portaltest"}, // test-only: the fake portal checks HPE's spec
}

// layers: packages that must not import the listed ones (imports point
// cmd → cli → action → pipeline → stages → leaves).
var upward = []string{"internal/cli", "internal/action", "internal/pipeline"}

func TestEachLibraryHasOneHome(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			for lib, allowed := range homes {
				if !strings.HasPrefix(imp, lib) {
					continue
				}
				ok := false
				for _, a := range allowed {
					ok = ok || rel == a || strings.HasPrefix(rel, a+"/")
				}
				require.True(t, ok, "%s imports %s; only %v may", rel, imp, allowed)
			}
		}
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
