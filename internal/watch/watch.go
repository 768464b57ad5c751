// Package watch checks published services against what their YAMLs promise,
// for a scheduled drift, tamper and expiry alarm: it finds the service YAMLs
// under a path, downloads each files[] entry as the on-prem controller would
// (package verify), and asks the HPE Bare Metal portal for every
// controller's download verdict on the registered services (package portal).
//
// It returns rows, one per file or per service, and prints nothing: the CLI
// (`verify`, `health` with several YAMLs or a directory) prints them as a
// text table, the action's watch mode as a Markdown summary.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
)

// Warnf hears about what is skipped or not checked; nil discards it.
type Warnf func(format string, args ...any)

func (w Warnf) printf(format string, args ...any) {
	if w != nil {
		w(format, args...)
	}
}

// ServiceFiles expands paths to service YAMLs: a file is taken as given; a
// directory contributes every *.yml/*.yaml below it that has a svc_flavor
// (hidden directories such as .git and .github are skipped, other YAMLs are
// skipped with a warning). A directory without any service YAML is an error.
func ServiceFiles(paths []string, warn Warnf) ([]string, error) {
	var out []string
	for _, a := range paths {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		n := len(out)
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != a && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := strings.ToLower(filepath.Ext(p)); ext != ".yml" && ext != ".yaml" {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if svc, err := service.Parse(b); err != nil || svc.SvcFlavor == "" {
				warn.printf("%s: skipped: not a service YAML (no svc_flavor)", p)
				return nil
			}
			out = append(out, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no service YAML (*.yml or *.yaml with svc_flavor) found", a)
		}
	}
	return out, nil
}

// LoadService reads and parses a service YAML that has something to verify.
func LoadService(path string) (*service.Service, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	svc, err := service.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(svc.Files) == 0 {
		return nil, fmt.Errorf("%s: no files[] entry to verify (run 'esxi-byoi service validate %s')", path, path)
	}
	return svc, nil
}

// VerifyFile downloads one files[] entry with base's settings and checks its
// size and digest.
func VerifyFile(ctx context.Context, f service.File, base verify.Options) (*verify.Result, error) {
	o := base
	o.URL, o.Size, o.Digest, o.Algorithm, o.SkipTLSVerify = f.DownloadURL(), f.FileSize, f.Signature, f.Algorithm, f.SkipSSLVerify
	return verify.Run(ctx, o)
}

// VerifyRow is the verification of one files[] entry of one service YAML,
// or (File -1) of a YAML that could not be read.
type VerifyRow struct {
	Service string         // the YAML's path
	File    int            // index in files[]; -1: the YAML itself failed
	URL     string         // secure_url, its query string elided
	Result  *verify.Result // nil when Err is set
	Err     error
}

// FileName is "files[N]", or "-" for a YAML that could not be read.
func (r VerifyRow) FileName() string {
	if r.File < 0 {
		return "-"
	}
	return fmt.Sprintf("files[%d]", r.File)
}

// Verify verifies every files[] entry of every YAML of paths, in order. A
// failure is a row with Err set (its message names the YAML and the entry),
// never the end of the watch.
func Verify(ctx context.Context, paths []string, base verify.Options, warn Warnf) []VerifyRow {
	var rows []VerifyRow
	for _, p := range paths {
		svc, err := LoadService(p)
		if err != nil {
			rows = append(rows, VerifyRow{Service: p, File: -1, URL: "-", Err: err})
			continue
		}
		for i, f := range svc.Files {
			if f.SkipSSLVerify {
				warn.printf("%s: files[%d] has skip_ssl_verify: true: the server certificate is NOT checked", p, i)
			}
			row := VerifyRow{Service: p, File: i, URL: httpclient.Redact(f.SecureURL)}
			row.Result, row.Err = VerifyFile(ctx, f, base)
			if row.Err != nil {
				row.Err = fmt.Errorf("%s: files[%d]: %w", p, i, row.Err)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// VerifyFailed is nil when every row verified, else one error that counts
// the failures and joins them.
func VerifyFailed(rows []VerifyRow) error {
	var errs []error
	for _, r := range rows {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d service file(s) failed verification: %w", len(errs), len(rows), errors.Join(errs...))
}

// Target is a service to ask the portal about: by ID, or by the svc_flavor
// and svc_ver of a YAML.
type Target struct {
	Label           string // the YAML's path, or the service ID
	ID              string // "" = find by Flavor and Version
	Flavor, Version string
}

// Targets reads the svc_flavor and svc_ver of each YAML of paths.
func Targets(paths []string) ([]Target, error) {
	var out []Target
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		svc, err := service.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if svc.SvcFlavor == "" || svc.SvcVer == "" {
			return nil, fmt.Errorf("%s: svc_flavor and svc_ver are needed to find the service in the portal", p)
		}
		out = append(out, Target{Label: p, Flavor: svc.SvcFlavor, Version: svc.SvcVer})
	}
	return out, nil
}

// HealthRow is the download health of one target.
type HealthRow struct {
	Target
	Result *portal.HealthResult // nil when the portal gave no result
	Err    error                // set unless every controller reported OK
}

// Summary is the service's verdict: "OK", the worst fresh one, or
// "no report".
func (r HealthRow) Summary() string {
	if r.Result == nil {
		return "no report"
	}
	return r.Result.Summary()
}

// Health checks every target at the same time (each waits for its own
// controllers) with the options opts returns for it (its progress callbacks
// name it). With several targets each error names its target.
func Health(ctx context.Context, c *portal.Client, targets []Target, opts func(Target) portal.HealthOptions) []HealthRow {
	rows := make([]HealthRow, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i].Target = tg
			o := opts(tg)
			if tg.ID != "" {
				rows[i].Result, rows[i].Err = c.Health(ctx, tg.ID, o)
			} else {
				rows[i].Result, rows[i].Err = c.ServiceHealth(ctx, tg.Flavor, tg.Version, o)
			}
			if rows[i].Err != nil && len(targets) > 1 {
				rows[i].Err = fmt.Errorf("%s: %w", tg.Label, rows[i].Err)
			}
		}()
	}
	wg.Wait()
	return rows
}

// HealthFailed joins the errors of rows; nil when every service is OK.
func HealthFailed(rows []HealthRow) error {
	var errs []error
	for _, r := range rows {
		errs = append(errs, r.Err)
	}
	return errors.Join(errs...)
}
