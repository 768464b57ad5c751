// Package service owns the HPE Bare Metal OS service YAML that the portal
// imports: a typed model of every field, its rendering from the user-editable
// template (templates/service.yml.tmpl), validation of any service YAML with
// field paths and fixes, and the SHA-512 crypt hash of the root password.
//
// It does not build the ISO, upload it or download it (packages remaster,
// publish and verify do), and it does not lint the kickstart beyond checking
// that it parses as the portal's Go text/template (package kickstart does).
// The field set, types and enumerations follow the portal's API model (the
// OpenAPI spec of github.com/hewlettpackard/hpegl-metal-client, which a test
// reads) and, where the spec is older, what HPE's public recipes ship.
// Validation tells errors (the portal refuses the file, or a controller cannot
// deploy it) from warnings (legal but unusual).
//
// Over the ~800-line guide because half of it is the portal's field model and
// its rules as data (validate.go); rendering and hashing are small.
package service

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Service is one HPE Bare Metal OS service, in the portal's field order.
//
// Each field's api tag names the property of the portal's API model
// (OpenAPI spec of github.com/hewlettpackard/hpegl-metal-client v1.5.35,
// schemas OSServiceImage = ResourceBase + OSServiceImage_allOf, FileInfo,
// PassedInfo, MachineClassifier, AttributeRule, UserDefinedSteps, UserOp,
// OpArg, DiskPartitions, Partition, PartitionFormula) that the YAML key fills;
// "-" marks a key of the YAML import format that the model does not have.
// The YAML key names are those HPE's own recipes and examples write. A test
// holds the tags, types and enumerations to the spec.
type Service struct {
	Name              string `yaml:"name" api:"Name"`
	Type              string `yaml:"type" api:"-"`                // "deploy"; import format only
	SvcCategory       string `yaml:"svc_category" api:"Category"` // "VMware"
	SvcFlavor         string `yaml:"svc_flavor" api:"Flavor"`     // "ESXi"
	SvcVer            string `yaml:"svc_ver" api:"Version"`       // always written quoted: "8.0" must stay a string
	Description       string `yaml:"description" api:"Description"`
	Timeout           int64  `yaml:"timeout" api:"Timeout"`   // seconds for the whole deployment, download included
	Approach          string `yaml:"approach" api:"Approach"` // vmedia | svc-client
	NoSwitchLAG       bool   `yaml:"no_switch_lag" api:"NoSwitchLAG"`
	AssumedBootMethod string `yaml:"assumed_boot_method" api:"AssumedBootMethod"` // pxe | uefi-shell | svc-os | na
	SchemaVersion     string `yaml:"schema_version" api:"-"`                      // "v2"; version of the import format
	Files             []File `yaml:"files" api:"Files"`
	Info              []Info `yaml:"info" api:"Info"`
	Origin            string `yaml:"origin" api:"Origin"` // HPE | Custom
	ProjectUse        bool   `yaml:"project_use" api:"-"` // import format only
	HosterUse         bool   `yaml:"hoster_use" api:"-"`  // import format only

	Classifiers      []Classifier      `yaml:"classifiers,omitempty" api:"Classifiers"`
	UserDefinedSteps *UserDefinedSteps `yaml:"user_defined_steps,omitempty" api:"UserDefinedSteps"` // HPE's Windows recipe
	DeviceLayouts    []DeviceLayout    `yaml:"device_layouts,omitempty" api:"DeviceLayouts"`        // svc-client images
	// ID and ResourceType are in a portal export (HPE's Terraform example);
	// the import ignores them and assigns its own ID.
	ID           string `yaml:"id,omitempty" api:"ID"`
	ResourceType string `yaml:"resource_type,omitempty" api:"-"`
}

// File is an image the on-prem controller downloads (anonymously) and checks.
type File struct {
	Path       string `yaml:"path" api:"Path"`          // name on the controller: "vmware.iso"
	FileSize   int64  `yaml:"file_size" api:"FileSize"` // bytes of the published file
	DisplayURL string `yaml:"display_url" api:"DisplayURL"`
	// SecureURL is what the controller downloads; without it the controller
	// downloads DisplayURL (see [File.DownloadURL]).
	SecureURL       string `yaml:"secure_url" api:"SecureURL"`
	DownloadTimeout int64  `yaml:"download_timeout" api:"DownloadTimeout"` // seconds
	Signature       string `yaml:"signature" api:"Signature"`              // lowercase hex digest
	Algorithm       string `yaml:"algorithm" api:"Algorithm"`              // sha256sum | sha512sum
	SkipSSLVerify   bool   `yaml:"skip_ssl_verify" api:"SkipSslVerify"`    // portal ≥ v0.24.143
	Expand          *bool  `yaml:"expand,omitempty" api:"Expand"`          // unpack an archive by its suffix
}

// DownloadURL returns the URL the controller downloads: SecureURL, or
// DisplayURL when SecureURL is not set (FileInfo.DisplayURL in the API).
func (f *File) DownloadURL() string {
	if f.SecureURL != "" {
		return f.SecureURL
	}
	return f.DisplayURL
}

// Info is a file the portal renders per host and presents to the installer.
type Info struct {
	Encoding        string `yaml:"encoding" api:"Encoding"`                // base64 | hex | none
	Templating      string `yaml:"templating" api:"Templating"`            // go-text-template | none
	TemplatingInput string `yaml:"templating_input" api:"TemplatingInput"` // hostdef-v1..v4, install-env-v1
	Target          string `yaml:"target" api:"Target"`                    // vmedia-cd | vmedia-floppy | hdd
	Path            string `yaml:"path" api:"Path"`                        // "/KS.CFG"
	Contents        string `yaml:"contents" api:"Contents"`
}

// Classifier restricts the machines a service is offered for.
type Classifier struct {
	Name  string `yaml:"name" api:"Name"`
	Rules []Rule `yaml:"rules" api:"Rules"`
}

// Rule is one condition of a [Classifier]; all rules must hold.
type Rule struct {
	Attribute string `yaml:"attribute" api:"Attribute"`
	Value     string `yaml:"value" api:"Value"`
	Operator  string `yaml:"operator" api:"Operator"`
}

// UserDefinedSteps are machine operations the portal runs around imaging.
type UserDefinedSteps struct {
	ImagingPrepSteps []UserOp `yaml:"imgprep_steps" api:"ImagingPrepSteps"`
}

// UserOp is one machine operation, such as "Boot Service OS".
type UserOp struct {
	Operation   string  `yaml:"operation" api:"Operation"`
	Description string  `yaml:"description" api:"Description"`
	Parameters  []OpArg `yaml:"parameters" api:"Parameters"`
}

// OpArg is one parameter of a [UserOp].
type OpArg struct {
	Name        string `yaml:"name" api:"Name"`
	Value       string `yaml:"value" api:"Value"`
	Description string `yaml:"description" api:"Description"`
	Type        string `yaml:"type" api:"Type"` // String | Integer | Version | URL
}

// DeviceLayout is the partitioning of one disk (svc-client images).
type DeviceLayout struct {
	Device     string      `yaml:"device" api:"Device"`        // "/dev/sda"
	TableType  string      `yaml:"table_type" api:"TableType"` // gpt | dos | sun | sgi
	Partitions []Partition `yaml:"partitions" api:"Partitions"`
}

// Partition is one partition of a [DeviceLayout].
type Partition struct {
	Type         string  `yaml:"type" api:"Type"` // ext4, swap, efi...
	Formula      Formula `yaml:"formula" api:"Formula"`
	Mount        string  `yaml:"mount" api:"MountPoint"`
	Bootable     bool    `yaml:"bootable" api:"Bootable"`
	MountOptions string  `yaml:"mount_options" api:"MountOptions"`
}

// Formula sizes a [Partition]: "500M", "100%memory"; empty means the rest.
type Formula struct {
	Equation string `yaml:"equation" api:"Equation"`
	MaxSize  string `yaml:"max_size" api:"MaxSize"`
}

// The enumerations of the portal: the API spec's, plus the values HPE's own
// recipes ship that the spec (v1.5.35) does not list yet (see [RecipeValues]).
var (
	Approaches         = []string{"vmedia", "svc-client"}
	BootMethods        = []string{"pxe", "uefi-shell", "svc-os", "na"}
	Origins            = []string{"HPE", "Custom"}
	Algorithms         = []string{"sha256sum", "sha512sum"}
	Encodings          = []string{"base64", "hex", "none"}
	Templatings        = []string{"go-text-template", "none"}
	TemplatingInputs   = []string{"hostdef-v1", "hostdef-v2", "hostdef-v3", "hostdef-v4", "install-env-v1"}
	Targets            = []string{"vmedia-cd", "vmedia-floppy", "hdd"}
	ClassifierOperator = []string{"contains", "containsnocase", "omits", "omitsnocase",
		"startswith", "startswithnocase", "endswith", "endswithnocase",
		"==", "!=", "<", "<=", ">", ">=", "match"}
	TableTypes     = []string{"gpt", "dos", "sun", "sgi"}
	PartitionTypes = []string{"swap", "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "bios", "basic",
		"lvm", "luks", "vmdiag", "vmfs", "efi"}
	UserOps = []string{"Reset Server", "Power On", "Power Off", "Boot Service OS", "Re-Discover",
		"Burn-In Server", "Erase Drive", "Update Firmware", "Set BIOS Parameters",
		"Set RAID0 Boot Volume", "Set RAID1 Boot Volume", "Clear RAID Configuration", "Pause",
		"Update BMC Firmware", "Discover", "Update BMC License", "Update Server FW from ISO",
		"Reset Server BIOS to Factory Default", "Connect L3 Underlay", "Configure Smart IO",
		"Clean up Control Plane", "Init BMC", "Encrypt Boot Volume", "Clear BMC Logs",
		"Set RAID AutoConfig"}
	OpArgTypes = []string{"String", "Integer", "Version", "URL"}
)

// RecipeValues are the enumeration values HPE's recipes ship and the portal
// accepts although the API spec v1.5.35 does not list them: the spec is
// older than the recipes, and the recipes win.
var RecipeValues = map[string]string{
	"hostdef-v3":          "HPE's ESXi, RHEL, Debian and Windows recipes (templating_input)",
	"hostdef-v4":          "HPE's ESXi recipe (2025-04), SLES and Windows recipes (templating_input; v3 plus NoIPAddr)",
	"install-env-v1":      "HPE's Debian recipe (templating_input of its apt source list)",
	"efi":                 "HPE's Terraform hpegl_metal_image example (partition type)",
	"Set RAID AutoConfig": "HPE's Windows recipe (user_defined_steps operation)",
}

// MaxNameLen is the longest name the API accepts: ResourceBase.Name "must be
// 128 or fewer printable characters".
const MaxNameLen = 128

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
