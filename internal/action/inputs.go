package action

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Input is one input of action.yml. [Inputs] is the single table that input
// parsing, action.yml and the README reference are checked against.
type Input struct {
	Name    string // kebab-case, as in action.yml; read from INPUT_<NAME>
	Flag    string // the `esxi-byoi build` flag it mirrors; "" when the action alone has it
	Default string // used when the input is empty, and action.yml's default
	// YAMLDefault replaces Default in action.yml when the default is an
	// expression only the runner can evaluate.
	YAMLDefault string
	Secret      bool   // masked before anything else is printed
	Need        string // "build": required in build mode; "" optional
	Doc         string
}

// Output is one output of action.yml.
type Output struct{ Name, Doc string }

// Inputs is the table of inputs, in action.yml order.
var Inputs = []Input{
	{Name: "iso", Flag: "-i/--iso", Need: "build", Doc: "Vendor ESXi installer ISO: a path in the workspace, an `https://` URL, or `s3://bucket/key` (read with the job's AWS credentials)."},
	{Name: "esxi-version", Flag: "-v/--esxi-version", Doc: "ESXi version for the service name. Default: detected from the ISO."},
	{Name: "image-url-prefix", Flag: "-p/--image-url-prefix", Doc: "URL of the directory the ISO is served from: `secure_url` is `<prefix>/<ISO name>`. Required in build mode unless `s3-bucket` is set."},
	{Name: "public-url-prefix", Flag: "--public-url-prefix", Doc: "With `s3-bucket`: URL of the bucket root as the controller reaches it (CDN, website endpoint); `secure_url` is `<prefix>/<key>`. Default: derived from `s3-endpoint`, `s3-region`, `s3-bucket` and the key."},
	{Name: "s3-bucket", Flag: "--s3-bucket", Doc: "Publish the ISO to this S3 (or S3-compatible) bucket with the job's AWS credentials. An object with different bytes at the same key is never replaced unless `replace` is true."},
	{Name: "s3-prefix", Flag: "--s3-prefix", Doc: "Key prefix in `s3-bucket`; the key is `<prefix>/<ISO name>`."},
	{Name: "s3-endpoint", Flag: "--s3-endpoint", Doc: "HTTPS endpoint of an S3-compatible store. Default: AWS."},
	{Name: "s3-region", Flag: "--s3-region", Doc: "Region of `s3-bucket`. Default: `AWS_REGION` (or `AWS_DEFAULT_REGION`) of the job."},
	{Name: "s3-path-style", Flag: "--s3-path-style", Default: "false", Doc: "`true` for path-style bucket addressing (most S3-compatible stores)."},
	{Name: "ca-file", Flag: "--ca-file", Doc: "PEM bundle of extra CAs trusted for the ISO download, the S3 endpoint and verification."},
	{Name: "root-password-hash", Flag: "--root-password-hash", Secret: true, Doc: "SHA-512 crypt hash (`$6$...`) of the ESXi root password; the safest secret to store. Build mode needs this or `root-password`."},
	{Name: "root-password", Flag: "-r/--root-password", Secret: true, Doc: "ESXi root password; hashed with a fresh salt, and only the hash leaves the step."},
	{Name: "kickstart", Flag: "--kickstart", Doc: "Kickstart template in the repository. Default: the built-in `templates/kickstart.cfg.tmpl`."},
	{Name: "service-template", Flag: "--service-template", Doc: "Service YAML template. Default: the built-in `templates/service.yml.tmpl`."},
	{Name: "hosts", Flag: "--hosts", Doc: "Directory of sample hosts (hostdef-v3 YAML) the kickstart is linted and rendered against. Default: the built-in `templates/hosts`."},
	{Name: "output-dir", Default: "esxi-byoi-out", Doc: "Directory, relative to the workspace, for the ISO, the service YAML and rendered kickstarts."},
	{Name: "skip-verify", Flag: "-x/--skip-test", Default: "false", Doc: "`true` skips downloading `secure_url` to verify it (for an ISO you publish later)."},
	{Name: "replace", Flag: "--replace", Default: "false", Doc: "`true` allows replacing a published object that has different bytes."},
	{Name: "mode", Default: "auto", Doc: "`build`, `preview` or `auto`: a tag push, `schedule` or `workflow_dispatch` builds; a pull request previews (lint, render, diff; no cloud credentials needed)."},
	{Name: "comment", Default: "auto", Doc: "Sticky pull request comment: `auto` (previews), `always` (any run for a pull request) or `never`."},
	{Name: "artifact-name", Default: "esxi-byoi", Doc: "Name of the workflow artifact with the service YAML (previews: the rendered kickstarts). Must be unique in the run."},
	{Name: "github-token", YAMLDefault: "${{ github.token }}", Secret: true, Doc: "Token for the pull request comment and for reading the base of a pull request."},
	{Name: "comment-header", Doc: "Tells apart the sticky comments of one workflow job, e.g. the matrix values of a matrix job: each header keeps its own comment."},
	{Name: "retention-days", Doc: "Days to keep the artifact (1 to 90, as actions/upload-artifact). Default: the repository's setting."},
}

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
	{"comment-url", "URL of the sticky pull request comment, when one was written."},
	{"artifact-id", "ID of the uploaded workflow artifact."},
	{"artifact-url", "URL to download the workflow artifact from the run page (as actions/upload-artifact)."},
	{"artifact-digest", "sha256 of the artifact's zip (lowercase hex, as actions/upload-artifact)."},
}

// secretEnv are environment variables whose values are masked too.
var secretEnv = []string{"ESXI_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN"}

// InputError is a bad or missing input; Hint is the fix.
type InputError struct {
	Input string
	Msg   string
	Fix   string
}

func (e *InputError) Error() string { return "input " + e.Input + ": " + e.Msg }

// Hint returns the fix.
func (e *InputError) Hint() string { return e.Fix }

// inputs holds the input values by name, defaults applied.
type inputs map[string]string

func readInputs(h Host) inputs {
	in := inputs{}
	for _, i := range Inputs {
		v := h.Input(i.Name)
		if v == "" {
			v = i.Default
		}
		in[i.Name] = v
	}
	return in
}

// flag parses a YAML 1.2 core schema boolean, as the toolkit's getBooleanInput.
func (in inputs) flag(name string, errs *[]error) bool {
	switch in[name] {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE", "":
		return false
	}
	*errs = append(*errs, &InputError{name, fmt.Sprintf("%q is not a boolean", in[name]), "write true or false"})
	return false
}

func (in inputs) oneOf(name string, allowed []string, errs *[]error) string {
	v := strings.ToLower(in[name])
	if !slices.Contains(allowed, v) {
		*errs = append(*errs, &InputError{name, fmt.Sprintf("%q is not one of %s", in[name], strings.Join(allowed, ", ")),
			"write one of " + strings.Join(allowed, ", ")})
	}
	return v
}

// needBuild checks the inputs that build mode requires.
func (in inputs) needBuild(getenv func(string) string) error {
	var errs []error
	if in["iso"] == "" {
		errs = append(errs, &InputError{"iso", "required in build mode",
			"set `iso:` to the vendor ISO: a workspace path, an https:// URL or s3://bucket/key"})
	}
	if in["image-url-prefix"] == "" && in["s3-bucket"] == "" {
		errs = append(errs, &InputError{"image-url-prefix", "required in build mode when s3-bucket is not set",
			"set `image-url-prefix:` to the HTTPS URL the ISO will be served under, or `s3-bucket:` to publish it"})
	}
	switch {
	case in["root-password-hash"] != "" && in["root-password"] != "":
		errs = append(errs, &InputError{"root-password", "set together with root-password-hash",
			"keep one of root-password-hash and root-password"})
	case in["root-password-hash"] == "" && in["root-password"] == "" && getenv("ESXI_ROOT_PASSWORD") == "":
		errs = append(errs, &InputError{"root-password-hash", "build mode needs the ESXi root password",
			"set `root-password-hash: ${{ secrets.ESXI_ROOT_PASSWORD_HASH }}` (or root-password, or env ESXI_ROOT_PASSWORD)"})
	}
	return errors.Join(errs...)
}

// flagErrors returns the problems pipeline.Options.Validate found, each
// naming the input instead of the CLI flag (the fix, when the error has
// one, is kept: flagError unwraps to it).
func flagErrors(err error) error {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for i, e := range errs {
		errs[i] = &flagError{e}
	}
	return errors.Join(errs...)
}

type flagError struct{ err error }

func (e *flagError) Unwrap() error { return e.err }

func (e *flagError) Error() string { return inputFlags(e.err.Error()) }

// inputFlags rewrites the CLI flags named in msg as the inputs that set them.
func inputFlags(msg string) string {
	for _, i := range Inputs {
		if i.Flag == "" {
			continue
		}
		for _, f := range append([]string{i.Flag}, strings.Split(i.Flag, "/")...) { // "-p/--x", "-p", "--x"
			re := regexp.MustCompile(`(^|[\s(])` + regexp.QuoteMeta(f) + `($|[\s):,])`)
			msg = re.ReplaceAllString(msg, "${1}input "+i.Name+"${2}")
		}
	}
	return msg
}
