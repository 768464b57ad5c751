// Package kickstart owns the ESXi kickstart template of esxi-byoi and the tools
// around it: the hostdef-v3 model the HPE Bare Metal portal renders templates
// with ([HostDef]), the portal's template functions ([Funcs]), parsing and
// rendering ([Parse], [Render]), the build-time root password substitution
// ([SubstituteRootpw]), and a linter ([Linter.Lint]) that renders a template
// for sample hosts and reads each result the way the ESXi 7.0/8.0 installer
// does ([Linter.Check]).
//
// The linter has two rule sets. [InstallerRules] are what the installer
// itself does: an error is what makes it stop before touching a disk, a
// warning is what it logs and goes on from (and what the paranoid command
// makes fatal). [PortalRules] are the HPE Bare Metal portal's contract on
// top: the %ROOTPW_HASH% build placeholder, a last %post that ends with
// /bin/poweroff -n, the fields of the hostdef data. Problems are
// *[LintError] values, one per host; [Group] merges them into one [Finding]
// per place and message, with the hosts it applies to, printed as
// FILE:LINE: message (hosts ...).
//
// The package does not build service YAMLs or hash passwords (package service
// does), and it never runs the installer: it implements the installer's
// tokeniser (Python's shlex), its sections (no %end; a body ends at the next
// line that starts with %pre, %post, %firstboot, %include or include), every
// command and option of the 6.7 installer's grammar plus what VMware's 7.0
// and 8.0 documentation adds, and ESXi's default password policy. It cannot
// know what is on a given machine (disk names, NICs). Busybox script bodies
// are parsed (mvdan.cc/sh) but not run; python bodies are not checked.
//
// Over the ~800-line guide because most of it is the installer's language as
// data (commands.go: every command and option) and its checks (ksfile.go,
// network.go, rootpw.go, script.go, placeholders.go); the template side is small.
package kickstart
