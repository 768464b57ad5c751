package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

const serviceUsage = "usage: esxi-byoi service validate [--json] FILE.yml...|DIR"

// runService dispatches `esxi-byoi service SUBCOMMAND`.
func runService(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("service", "want a subcommand: validate")
	}
	switch args[0] {
	case "validate":
		return runServiceValidate(ctx, env, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(env.Stderr, serviceUsage+"\n\n"+serviceValidateDoc)
		return flag.ErrHelp
	}
	return usagef("service", "unknown subcommand %q (want validate)", args[0])
}

const serviceValidateDoc = "validate checks HPE Bare Metal service YAML files as the portal imports them, by the\n" +
	"portal's own API model (hpegl-metal-client) and what HPE's recipes show it accepts.\n" +
	"Errors (exit 1): what the portal refuses or a controller cannot deploy. Warnings: what is\n" +
	"legal but unusual, with the value HPE's ESXi recipe writes. Findings print as\n" +
	"FILE:LINE: [warning: ]FIELD: message (fix: ...); --json prints them as JSON. A DIR stands\n" +
	"for every *.yml and *.yaml file below it."

// validateFinding is one finding of `service validate --json`.
type validateFinding struct {
	File     string           `json:"file"`
	Line     int              `json:"line"` // 0: the field is absent
	Severity service.Severity `json:"severity"`
	Field    string           `json:"field"`
	Message  string           `json:"message"`
	Fix      string           `json:"fix,omitempty"`
}

// validateFile is the verdict on one file of `service validate --json`.
type validateFile struct {
	File     string `json:"file"`
	Valid    bool   `json:"valid"` // no errors (warnings allowed)
	Errors   int    `json:"errors"`
	Warnings int    `json:"warnings"`
}

// runServiceValidate prints each finding and "FILE: valid" for each file
// without errors on stdout (or all of it as JSON), and fails when any file
// has an error.
func runServiceValidate(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "service")
	asJSON := fs.Bool("json", false, "print the findings as JSON: file, line, severity, field, message, fix")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, serviceUsage+"\n\n"+serviceValidateDoc)
		fs.PrintDefaults()
	}
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("service", "want at least one service YAML file")
	}
	if paths, err = serviceYAMLs(paths); err != nil {
		return err
	}
	report := struct {
		Findings []validateFinding `json:"findings"`
		Files    []validateFile    `json:"files"`
	}{Findings: []validateFinding{}}
	bad := 0
	for _, path := range paths {
		var found []validateFinding
		if b, err := os.ReadFile(path); err != nil {
			found = append(found, unreadable(path, err))
		} else {
			for _, f := range service.Check(b) {
				sev := f.Severity
				if sev == "" {
					sev = service.Error
				}
				found = append(found, validateFinding{File: path, Line: f.Line, Severity: sev, Field: f.Field, Message: f.Msg, Fix: f.Fix})
			}
		}
		v := validateFile{File: path}
		for _, f := range found {
			if f.Severity == service.Warning {
				v.Warnings++
			} else {
				v.Errors++
			}
		}
		v.Valid = v.Errors == 0
		if !v.Valid {
			bad++
		}
		report.Findings = append(report.Findings, found...)
		report.Files = append(report.Files, v)
		if !*asJSON {
			printFindings(env, found, v)
		}
	}
	if *asJSON {
		if err := writeJSON(env.Stdout, report); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d service files are not valid", bad, len(paths))
	}
	return nil
}

// serviceYAMLs expands each directory of paths to every *.yml and *.yaml file
// below it (hidden directories such as .git skipped), sorted; files stay as
// given. Unlike verify, a YAML without svc_flavor is kept: validate is where
// a broken service file must show. A directory without any YAML is an error.
func serviceYAMLs(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			out = append(out, p) // a missing file is reported as a finding
			continue
		}
		n := len(out)
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && path != p && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case d.Type().IsRegular():
				if ext := strings.ToLower(filepath.Ext(path)); ext == ".yml" || ext == ".yaml" {
					out = append(out, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("service validate: %w", err)
		}
		if len(out) == n {
			return nil, fmt.Errorf("service validate: no *.yml or *.yaml file in the directory %s: give service YAML files or a directory that holds them", p)
		}
	}
	return out, nil
}

// unreadable is the finding for a file that cannot be read: the cause without
// the path that the line already starts with, and a fix.
func unreadable(path string, err error) validateFinding {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	if errors.Is(err, fs.ErrPermission) {
		return validateFinding{File: path, Severity: service.Error, Field: "(file)", Message: "cannot read it: " + msg, Fix: "make the file readable"}
	}
	return validateFinding{File: path, Severity: service.Error, Field: "(file)", Message: "cannot read it: " + msg, Fix: "check the path"}
}

// printFindings writes one file's findings as FILE:LINE: [warning: ]FIELD:
// message (fix: ...), then "FILE: valid" when it has no error.
func printFindings(env *Env, found []validateFinding, v validateFile) {
	for _, f := range found {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		kind := ""
		if f.Severity == service.Warning {
			kind = "warning: "
		}
		fix := ""
		if f.Fix != "" {
			fix = " (fix: " + f.Fix + ")"
		}
		fmt.Fprintf(env.Stdout, "%s: %s%s: %s%s\n", loc, kind, f.Field, f.Message, fix)
	}
	switch {
	case !v.Valid:
	case v.Warnings > 0:
		fmt.Fprintf(env.Stdout, "%s: valid (%d %s)\n", v.File, v.Warnings, plural(v.Warnings, "warning", "warnings"))
	default:
		fmt.Fprintf(env.Stdout, "%s: valid\n", v.File)
	}
}
