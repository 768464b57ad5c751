package service_test

// The service model against the portal's own: the OpenAPI spec that ships in
// github.com/hewlettpackard/hpegl-metal-client (the version go.mod names),
// read from the module's directory, never from a copy.

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	metal "github.com/hewlettpackard/hpegl-metal-client/v1/pkg/client"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

const metalModule = "github.com/hewlettpackard/hpegl-metal-client"

// schema is the part of an OpenAPI schema object the test reads.
type schema struct {
	Ref         string             `yaml:"$ref"`
	Type        string             `yaml:"type"`
	Format      string             `yaml:"format"`
	Description string             `yaml:"description"`
	Enum        []string           `yaml:"enum"`
	Items       *schema            `yaml:"items"`
	AllOf       []schema           `yaml:"allOf"`
	Properties  map[string]*schema `yaml:"properties"`
}

type spec map[string]*schema

func loadSpec(t *testing.T) spec {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", metalModule).Output()
	require.NoError(t, err, "go list -m %s", metalModule)
	dir := strings.TrimSpace(string(out))
	require.NotEmpty(t, dir, "%s is not downloaded (go mod download)", metalModule)
	b, err := os.ReadFile(filepath.Join(dir, "v1", "pkg", "client", "api", "openapi.yaml"))
	require.NoError(t, err)
	var doc struct {
		Components struct {
			Schemas spec `yaml:"schemas"`
		} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	require.NotEmpty(t, doc.Components.Schemas)
	return doc.Components.Schemas
}

// resolve follows a $ref.
func (sp spec) resolve(t *testing.T, s *schema) (string, *schema) {
	t.Helper()
	if s.Ref == "" {
		return "", s
	}
	name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
	r, ok := sp[name]
	require.True(t, ok, "dangling %s", s.Ref)
	return name, r
}

// props returns the properties of a schema, allOf parts included.
func (sp spec) props(t *testing.T, name string) map[string]*schema {
	t.Helper()
	s, ok := sp[name]
	require.True(t, ok, "the spec has no schema %s", name)
	out := map[string]*schema{}
	for _, part := range s.AllOf {
		_, r := sp.resolve(t, &part)
		for k, v := range r.Properties {
			out[k] = v
		}
		for _, inner := range r.AllOf {
			n, _ := sp.resolve(t, &inner)
			for k, v := range sp.props(t, n) {
				out[k] = v
			}
		}
	}
	for k, v := range s.Properties {
		out[k] = v
	}
	return out
}

// schemaOf maps each YAML mapping of the service to the API schema it fills.
var schemaOf = map[reflect.Type]string{
	reflect.TypeFor[service.Service]():          "OSServiceImage",
	reflect.TypeFor[service.File]():             "FileInfo",
	reflect.TypeFor[service.Info]():             "PassedInfo",
	reflect.TypeFor[service.Classifier]():       "MachineClassifier",
	reflect.TypeFor[service.Rule]():             "MachineClassifierRule",
	reflect.TypeFor[service.UserDefinedSteps](): "UserDefinedSteps",
	reflect.TypeFor[service.UserOp]():           "UserOp",
	reflect.TypeFor[service.OpArg]():            "OpArg",
	reflect.TypeFor[service.DeviceLayout]():     "DiskPartitions",
	reflect.TypeFor[service.Partition]():        "Partition",
	reflect.TypeFor[service.Formula]():          "PartitionFormula",
}

// importOnly are YAML keys with no API property, each with its reason.
var importOnly = map[string]string{
	"Service.type":           "the service kind of the import format; every HPE recipe writes deploy",
	"Service.schema_version": "the version of the import format itself (v2)",
	"Service.project_use":    "who may use the image; the API keeps it as PermittedProjects, set by the portal",
	"Service.hoster_use":     "who may use the image (hosters); not part of the API object",
	"Service.resource_type":  "written by a portal export, ignored on import",
}

// notInYAML are API properties that no HPE recipe or example writes, so the
// YAML key for them is not known; each is either server-set or unused here.
var notInYAML = map[string][]string{
	"OSServiceImage":        {"ETag", "Created", "Modified", "ProjectID", "DownloadHealth", "PermittedProjects", "BondMode", "FWBaselineID"},
	"FileInfo":              {"ID"},
	"PassedInfo":            {},
	"MachineClassifier":     {},
	"MachineClassifierRule": {"SubAttributeRules"},
	"UserDefinedSteps":      {"ImagingCompleteSteps", "MaintenanceSteps"},
	"UserOp":                {"ID"},
	"OpArg":                 {"SecureValue"},
	"DiskPartitions":        {"Description", "StartOffset"},
	"Partition":             {"Name", "PartitionID", "MakeOptions"},
	"PartitionFormula":      {"MinSize"},
}

// enumOf ties each enumeration of package service to its API schema.
var enumOf = map[string][]string{
	"OSServiceImageApproach": service.Approaches,
	"BootMethod":             service.BootMethods,
	"OSServiceImageOrigin":   service.Origins,
	"Algorithm":              service.Algorithms,
	"Encoding":               service.Encodings,
	"Templating":             service.Templatings,
	"TemplatingInfo":         service.TemplatingInputs,
	"Target":                 service.Targets,
	"ClassifierOperator":     service.ClassifierOperator,
	"PartitionTable":         service.TableTypes,
	"PartitionType":          service.PartitionTypes,
	"UserOpEnum":             service.UserOps,
	"OpArgType":              service.OpArgTypes,
}

// TestModelMatchesAPISpec maps every YAML key to its API model property and
// checks that the property exists with a matching type, and that every
// property of the mapped schemas is either mapped or named in notInYAML.
func TestModelMatchesAPISpec(t *testing.T) {
	sp := loadSpec(t)
	seenImportOnly := map[string]bool{}
	for typ, name := range schemaOf {
		props := sp.props(t, name)
		require.NotEmpty(t, props, name)
		mapped := map[string]bool{}
		for f := range typ.Fields() {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			api := f.Tag.Get("api")
			where := typ.Name() + "." + key
			require.NotEmpty(t, api, "%s has no api tag", where)
			if api == "-" {
				require.Contains(t, importOnly, where, "%s has no API property: name the reason in importOnly", where)
				seenImportOnly[where] = true
				continue
			}
			p, ok := props[api]
			require.True(t, ok, "%s: the %s schema has no property %s", where, name, api)
			mapped[api] = true
			requireSameType(t, sp, where, f.Type, p)
		}
		for prop := range props {
			if !mapped[prop] {
				require.Contains(t, notInYAML[name], prop, "%s.%s has no YAML key: map it or list it in notInYAML", name, prop)
			}
		}
		for _, prop := range notInYAML[name] {
			require.Contains(t, props, prop, "notInYAML names %s.%s, which the spec no longer has", name, prop)
			require.False(t, mapped[prop], "%s.%s is mapped and listed in notInYAML", name, prop)
		}
	}
	require.Len(t, seenImportOnly, len(importOnly), "importOnly names keys the model no longer has")
	requireAllMapped(t, reflect.TypeFor[service.Service]())
}

// requireSameType checks a Go field type against an API property.
func requireSameType(t *testing.T, sp spec, where string, gt reflect.Type, p *schema) {
	t.Helper()
	if gt.Kind() == reflect.Pointer {
		gt = gt.Elem()
	}
	ref, r := sp.resolve(t, p)
	switch gt.Kind() {
	case reflect.String:
		require.Equal(t, "string", r.Type, where)
		if len(r.Enum) > 0 {
			require.Contains(t, enumOf, ref, "%s: the API enumerates %s; tie a package list to it in enumOf", where, ref)
		}
	case reflect.Bool:
		require.Equal(t, "boolean", r.Type, where)
	case reflect.Int, reflect.Int64:
		require.Equal(t, "integer", r.Type, where)
		if r.Format == "int64" {
			require.Equal(t, reflect.Int64, gt.Kind(), "%s: the API says int64", where)
		}
	case reflect.Slice:
		require.Equal(t, "array", r.Type, where)
		requireSameType(t, sp, where+"[]", gt.Elem(), r.Items)
	case reflect.Struct:
		require.Equal(t, schemaOf[gt], ref, "%s: %s fills the API schema %s", where, gt.Name(), ref)
	default:
		t.Fatalf("%s: unexpected Go kind %s", where, gt.Kind())
	}
}

// requireAllMapped checks that every struct reachable from t has a schema.
func requireAllMapped(t *testing.T, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct {
		return
	}
	require.Contains(t, schemaOf, typ, "%s fills no API schema", typ.Name())
	for f := range typ.Fields() {
		requireAllMapped(t, f.Type)
	}
}

// TestEnumerationsMatchAPISpec: each list is the spec's enumeration plus the
// values HPE's recipes ship that the spec (older than the recipes) lacks,
// each named in service.RecipeValues: hostdef-v3, hostdef-v4 and
// install-env-v1 (TemplatingInfo lists only hostdef-v1 and hostdef-v2), efi
// (PartitionType) and "Set RAID AutoConfig" (UserOpEnum).
func TestEnumerationsMatchAPISpec(t *testing.T) {
	sp := loadSpec(t)
	used := map[string]bool{}
	for name, ours := range enumOf {
		s, ok := sp[name]
		require.True(t, ok, "the spec has no %s", name)
		require.NotEmpty(t, s.Enum, "%s is not an enumeration", name)
		for _, v := range s.Enum {
			require.Contains(t, ours, v, "%s: the API allows %q", name, v)
			require.NotContains(t, service.RecipeValues, v, "%s: the spec now lists %q; drop it from RecipeValues", name, v)
		}
		for _, v := range ours {
			if slices.Contains(s.Enum, v) {
				continue
			}
			require.Contains(t, service.RecipeValues, v, "%s: %q is neither in the API spec nor a value HPE's recipes ship", name, v)
			used[v] = true
		}
	}
	require.Len(t, used, len(service.RecipeValues), "RecipeValues names a value no list has")
	require.Equal(t, []string{"hostdef-v1", "hostdef-v2"}, sp["TemplatingInfo"].Enum,
		"the named exception: the spec lists only v1 and v2, HPE's ESXi recipe ships v3 and v4")
}

// TestNameLimitMatchesAPISpec: ResourceBase.Name "Must be 128 or fewer
// printable characters".
func TestNameLimitMatchesAPISpec(t *testing.T) {
	sp := loadSpec(t)
	d := sp.props(t, "ResourceBase")["Name"].Description
	m := regexp.MustCompile(`(\d+) or fewer\s+printable characters`).FindStringSubmatch(d)
	require.NotNil(t, m, "ResourceBase.Name: %q", d)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.Equal(t, n, service.MaxNameLen)
}

// TestAPIPropertiesAreTheGoClientsFields checks the api tags against the
// generated Go client too: each names a JSON field of its model struct.
func TestAPIPropertiesAreTheGoClientsFields(t *testing.T) {
	client := map[reflect.Type]reflect.Type{
		reflect.TypeFor[service.Service]():   reflect.TypeFor[metal.OsServiceImage](),
		reflect.TypeFor[service.File]():      reflect.TypeFor[metal.FileInfo](),
		reflect.TypeFor[service.Info]():      reflect.TypeFor[metal.PassedInfo](),
		reflect.TypeFor[service.Partition](): reflect.TypeFor[metal.Partition](),
	}
	for ours, theirs := range client {
		json := map[string]bool{}
		for f := range theirs.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			json[name] = true
		}
		for f := range ours.Fields() {
			if api := f.Tag.Get("api"); api != "-" {
				require.True(t, json[api], "%s.%s: %s has no JSON field %s", ours.Name(), f.Name, theirs.Name(), api)
			}
		}
	}
}
