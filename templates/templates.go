// Package templates embeds the user-editable inputs of esxi-byoi as the
// defaults of the binary: the service YAML template, the ESXi kickstart
// template and the sample hosts the kickstart is linted against. Each can be
// overridden by a flag (--service-template, --kickstart, --hosts).
package templates

import "embed"

// FS holds every file of this directory that the binary needs.
//
//go:embed *.tmpl hosts/*.yaml
var FS embed.FS
