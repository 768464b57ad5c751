package action

import (
	"fmt"
	"slices"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
)

// Output is one output of action.yml. The inputs are the options of
// option.Table whose Input is set: that one table feeds the input reader,
// action.yml and the README reference (reference_test.go holds them
// together).
type Output struct{ Name, Doc string }

// Outputs is the table of outputs, in action.yml order.
var Outputs = []Output{
	{"iso-path", "Path of the remastered ISO, relative to the workspace."},
	{"iso-sha256", "sha256 of the remastered ISO (lowercase hex)."},
	{"iso-size", "Size of the remastered ISO in bytes."},
	{"iso-url", "`secure_url`: where the controller downloads the ISO."},
	{"service-yml", "Path of the service YAML to import into the HPE Bare Metal portal."},
	{"esxi-version", "ESXi version of the service."},
	{"esxi-build", "ESXi build read from the ISO."},
	{"published", "`true` (uploaded now), `skipped-identical` (the same bytes were there) or `false`."},
	{"service-id", "With `register`: the ID of the service in the HPE Bare Metal portal (the same on every update)."},
	{"download-health", "With `health`: `OK` when every on-prem controller reported it can download the ISO (in watch mode: of every service); else the worst verdict (`Warning`, `Unknown`, `Critical`), `incomplete` or `no report`."},
	{"comment-url", "URL of the sticky pull request comment, when one was written."},
	{"artifact-id", "ID of the uploaded workflow artifact."},
	{"artifact-url", "URL to download the workflow artifact from the run page (as actions/upload-artifact)."},
	{"artifact-digest", "sha256 of the artifact's zip (lowercase hex, as actions/upload-artifact)."},
}

// secretEnv are environment variables whose values are masked too.
var secretEnv = []string{"ESXI_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN",
	"HPEGL_USER_SECRET", "HPEGL_IAM_TOKEN"} // the HPE portal credentials

// inputs holds the input values by name, defaults applied.
type inputs map[string]string

func readInputs(h Host) inputs {
	in := inputs{}
	for _, o := range option.Inputs() {
		v := h.Input(o.Name)
		if v == "" {
			v = o.Default
		}
		in[o.Name] = v
	}
	return in
}

func (in inputs) oneOf(name string, allowed []string, errs *[]error) string {
	v := strings.ToLower(in[name])
	if !slices.Contains(allowed, v) {
		*errs = append(*errs, &option.Error{Option: name, Msg: fmt.Sprintf("%q is not one of %s", in[name], strings.Join(allowed, ", ")),
			Fix: "write one of " + strings.Join(allowed, ", ")})
	}
	return v
}

// values returns the inputs mode reads as option values, paths resolved by
// abs (against the workspace), List inputs one item per line.
func (in inputs) values(mode option.Mode, abs func(string) string) option.Values {
	v := option.Values{}
	for _, o := range option.Inputs() {
		if o.Input&mode == 0 || in[o.Name] == "" {
			continue
		}
		switch {
		case o.Kind == option.List:
			v[o.Name] = strings.Join(strings.Fields(in[o.Name]), "\n")
		case o.Kind == option.Path:
			v[o.Name] = abs(in[o.Name])
		default:
			v[o.Name] = in[o.Name]
		}
	}
	return v
}
