package service_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/realworld"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// TestCheckRealServices runs every real service YAML of HPE's public recipes
// (ESXi, RHEL, SLES, Debian, Windows, the Terraform svc-client example) through
// Check: the portal accepts them all, so none has an error except the one
// rendered from the ESXi README's own command, whose secure_url is http://
// without skip_ssl_verify. Every finding is listed, so a new one fails.
func TestCheckRealServices(t *testing.T) {
	const noSchema = "schema_version: warning: is not set; HPE's ESXi recipe writes v2"
	want := map[string][]string{ // file → "field: severity: words of the message"
		"04-rhel-head-0074dee.yml":    {noSchema},
		"05-rhel-2022-f1d64e5.yml":    {noSchema},
		"06-sles-head-8bd8d9b.yml":    {noSchema},
		"07-debian-e252324.yml":       {noSchema},
		"08-windows-head-827bf60.yml": {noSchema},
		"09-windows-first-a430f35.yml": {
			"assumed_boot: warning: unknown field",
			noSchema,
		},
		"10-terraform-ubuntu-svc-client.yml": {
			"id: warning: ignored on import",
			"resource_type: warning: ignored on import",
		},
		"11-esxi-head-readme-example.yml": {
			`files[0].secure_url: error: must be an https:// URL unless skip_ssl_verify is true, got "http://"`,
		},
	}
	files := realworld.Files(t, "services", "*.yml")
	require.Len(t, files, 11)
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			found := service.Check(b)
			exp := want[filepath.Base(p)]
			require.Len(t, found, len(exp), "%v", found)
			for i, f := range found {
				require.Contains(t, fmt.Sprintf("%s: %s: %s", f.Field, f.Severity, f.Msg), exp[i])
				require.NotEmpty(t, f.Fix)
			}
			if filepath.Base(p) == "09-windows-first-a430f35.yml" {
				require.Equal(t, "did you mean assumed_boot_method?", found[0].Fix)
				require.Equal(t, 9, found[0].Line)
			}
			if filepath.Base(p) == "11-esxi-head-readme-example.yml" {
				require.Error(t, service.Validate(b))
				require.Equal(t, 22, found[0].Line)
				return
			}
			require.NoError(t, service.Validate(b), "the portal accepts this file")
		})
	}
}
