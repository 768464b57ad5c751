// Package kickstart owns the ESXi kickstart template of esxi-byoi and the tools
// around it: the hostdef-v3 model the HPE Bare Metal portal renders templates
// with ([HostDef]), the portal's template functions ([Funcs]), parsing and
// rendering ([Parse], [Render]), the build-time root password substitution
// ([SubstituteRootpw]), and a linter ([Lint]) that renders a template for sample
// hosts and reads each result the way the ESXi 7.0/8.0 installer does ([Check]).
//
// Problems are *[LintError] values that print as FILE:LINE: message.
//
// The package does not build service YAMLs or hash passwords (package service
// does), and it never runs the installer: [Check] implements the kickstart
// language as the ESXi 7.0/8.0 installer (weasel) reads it (its shlex
// tokeniser, sections, commands and their options, its errors and warnings),
// and cannot know what is on a given machine (disk names, NICs) or whether a
// %pre/%post/%firstboot script works.
//
// Over the ~800-line guide because half of it is the installer's language as
// data (commands.go: every command and option) and its tokeniser.
package kickstart
