// Package service owns the HPE Bare Metal OS service YAML that the portal
// imports: a typed model of every field, its rendering from the user-editable
// template (templates/service.yml.tmpl), validation of any service YAML with
// field paths and fixes, and the SHA-512 crypt hash of the root password.
//
// It does not build the ISO, upload it or download it (packages remaster,
// publish and verify do), and it does not lint the kickstart beyond checking
// that it parses as the portal's Go text/template (package kickstart does).
// The field set follows HPE's public recipes and API schema; see
// esxi-byoi-facts.md §4.
package service

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Service is one HPE Bare Metal OS service, in the portal's field order.
type Service struct {
	Name              string       `yaml:"name"`
	Type              string       `yaml:"type"`         // "deploy"
	SvcCategory       string       `yaml:"svc_category"` // "VMware"
	SvcFlavor         string       `yaml:"svc_flavor"`   // "ESXi"
	SvcVer            string       `yaml:"svc_ver"`      // always written quoted: "8.0" must stay a string
	Description       string       `yaml:"description"`
	Timeout           int          `yaml:"timeout"`  // seconds for the whole deployment, download included
	Approach          string       `yaml:"approach"` // vmedia | svc-client
	NoSwitchLAG       bool         `yaml:"no_switch_lag"`
	AssumedBootMethod string       `yaml:"assumed_boot_method"` // pxe | uefi-shell | svc-os | na
	SchemaVersion     string       `yaml:"schema_version"`      // "v2"
	Files             []File       `yaml:"files"`
	Info              []Info       `yaml:"info"`
	Origin            string       `yaml:"origin"` // HPE | Custom
	ProjectUse        bool         `yaml:"project_use"`
	HosterUse         bool         `yaml:"hoster_use"`
	Classifiers       []Classifier `yaml:"classifiers,omitempty"`
}

// File is an image the on-prem controller downloads (anonymously) and checks.
type File struct {
	Path            string `yaml:"path"`      // name on the controller: "vmware.iso"
	FileSize        int64  `yaml:"file_size"` // bytes of the published file
	DisplayURL      string `yaml:"display_url"`
	SecureURL       string `yaml:"secure_url"`       // HTTPS URL the controller downloads
	DownloadTimeout int    `yaml:"download_timeout"` // seconds
	Signature       string `yaml:"signature"`        // lowercase hex digest
	Algorithm       string `yaml:"algorithm"`        // sha256sum | sha512sum
	SkipSSLVerify   bool   `yaml:"skip_ssl_verify"`  // portal ≥ v0.24.143
	Expand          *bool  `yaml:"expand,omitempty"`
}

// Info is a file the portal renders per host and presents to the installer.
type Info struct {
	Encoding        string `yaml:"encoding"`         // base64 | hex | none
	Templating      string `yaml:"templating"`       // go-text-template | none
	TemplatingInput string `yaml:"templating_input"` // hostdef-v3 | hostdef-v4
	Target          string `yaml:"target"`           // vmedia-cd | vmedia-floppy | hdd
	Path            string `yaml:"path"`             // "/KS.CFG"
	Contents        string `yaml:"contents"`
}

// Classifier restricts the machines a service is offered for.
type Classifier struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is one condition of a [Classifier]; all rules must hold.
type Rule struct {
	Attribute string `yaml:"attribute"`
	Value     string `yaml:"value"`
	Operator  string `yaml:"operator"`
}

// The enumerations of the portal.
var (
	Approaches         = []string{"vmedia", "svc-client"}
	BootMethods        = []string{"pxe", "uefi-shell", "svc-os", "na"}
	Origins            = []string{"HPE", "Custom"}
	Algorithms         = []string{"sha256sum", "sha512sum"}
	Encodings          = []string{"base64", "hex", "none"}
	Templatings        = []string{"go-text-template", "none"}
	TemplatingInputs   = []string{"hostdef-v3", "hostdef-v4"}
	Targets            = []string{"vmedia-cd", "vmedia-floppy", "hdd"}
	ClassifierOperator = []string{"contains", "containsnocase", "omits", "omitsnocase",
		"startswith", "startswithnocase", "endswith", "endswithnocase",
		"==", "!=", "<", "<=", ">", ">=", "match"}
)

// DigestLen returns the number of hex digits of a digest made with algorithm,
// or 0 for an unknown algorithm.
func DigestLen(algorithm string) int {
	switch algorithm {
	case "sha256sum":
		return 64
	case "sha512sum":
		return 128
	}
	return 0
}

// Parse decodes a service YAML without validating it (see [Validate]).
// Unknown fields are ignored here.
func Parse(b []byte) (*Service, error) {
	var s Service
	if err := yaml.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse service YAML: %w", err)
	}
	return &s, nil
}

// Decode returns the contents of i after undoing its encoding.
func (i *Info) Decode() ([]byte, error) {
	switch i.Encoding {
	case "base64":
		return base64.StdEncoding.DecodeString(i.Contents)
	case "hex":
		return hex.DecodeString(i.Contents)
	case "none":
		return []byte(i.Contents), nil
	}
	return nil, fmt.Errorf("unknown encoding %q", i.Encoding)
}
