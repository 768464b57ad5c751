package service

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/esxi-byoi/esxi-byoi/templates"
)

// Defaults of [Options].
const (
	DefaultAlgorithm       = "sha256sum"
	DefaultDownloadTimeout = 900 // seconds; the recipe's value
	KickstartPath          = "/KS.CFG"
	TemplateFile           = "service.yml.tmpl" // in package templates
)

// Options are the inputs of [Render].
type Options struct {
	Version         string    // ESXi version as the user names it: "8.0U3", "7.0.3"
	Date            time.Time // build date, see BuildDate
	ISOSize         int64     // bytes of the published ISO
	Digest          string    // hex digest of the published ISO, made with Algorithm
	Algorithm       string    // "sha256sum" (default) or "sha512sum"
	SecureURL       string    // where the controller downloads the ISO
	DisplayURL      string    // shown in the portal; default: the file name of SecureURL
	SkipSSLVerify   bool
	DownloadTimeout int    // seconds; default DefaultDownloadTimeout
	SourceISO       string // file name of the vendor ISO, for the description (optional)
	// Kickstart is the kickstart TEMPLATE (portal-time {{ }} intact) with the
	// root password hash already substituted; it is embedded base64-encoded.
	Kickstart []byte
	// Template is the service YAML template; nil means the embedded default.
	Template []byte
}

// TemplateData is what the service template sees.
type TemplateData struct {
	Name            string // "BYOI VMware ESXi <Version> <Date>"
	SvcVer          string // "<Version>-<Date>-BYOI"
	Version         string
	Date            string // YYYYMMDD
	Size            int64
	Signature       string
	Algorithm       string
	SecureURL       string
	DisplayURL      string
	SkipSSLVerify   bool
	DownloadTimeout int
	SourceISO       string
	KickstartPath   string // "/KS.CFG"
	KickstartBase64 string // standard base64, no line wrap
}

// TemplateFuncs are the functions a service template may call besides the
// text/template built-ins: quote writes a string as a YAML double-quoted scalar.
func TemplateFuncs() template.FuncMap {
	return template.FuncMap{"quote": yamlQuote}
}

func yamlQuote(s string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // a JSON string is a valid YAML double-quoted scalar
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// DefaultTemplate returns the embedded templates/service.yml.tmpl.
func DefaultTemplate() []byte {
	b, err := templates.FS.ReadFile(TemplateFile)
	if err != nil {
		panic("service: embedded template missing: " + err.Error()) // a build defect, not an input
	}
	return b
}

// BuildDate returns the date a build is stamped with: SOURCE_DATE_EPOCH
// (seconds since 1970, the reproducible-builds convention) when set, else the
// current time; always in UTC.
func BuildDate(getenv func(string) string) (time.Time, error) {
	v := strings.TrimSpace(getenv("SOURCE_DATE_EPOCH"))
	if v == "" {
		return time.Now().UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want whole seconds since 1970-01-01 UTC", v)
	}
	return time.Unix(n, 0).UTC(), nil
}

var versionRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._+-]*$`)

// Data returns the template data for o, after defaults. It checks o.
func Data(o Options) (*TemplateData, error) {
	if o.Algorithm == "" {
		o.Algorithm = DefaultAlgorithm
	}
	if o.DownloadTimeout == 0 {
		o.DownloadTimeout = DefaultDownloadTimeout
	}
	if o.DisplayURL == "" {
		o.DisplayURL = o.SecureURL
		if u, err := url.Parse(o.SecureURL); err == nil && strings.Trim(u.Path, "/") != "" {
			o.DisplayURL = path.Base(u.Path)
		}
	}
	// The rest (size, digest, URL, kickstart) is checked on the rendered
	// YAML by validate, with the field paths the user sees.
	var errs []error
	if !versionRE.MatchString(o.Version) {
		errs = append(errs, &FieldError{Field: "version", Msg: fmt.Sprintf("%q is not a version", o.Version), Fix: "give the ESXi version without spaces, e.g. 8.0U3"})
	}
	if o.Date.IsZero() {
		errs = append(errs, &FieldError{Field: "date", Msg: "is not set", Fix: "pass service.BuildDate(getenv)"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	date := o.Date.UTC().Format("20060102")
	return &TemplateData{
		Name:            fmt.Sprintf("BYOI VMware ESXi %s %s", o.Version, date),
		SvcVer:          fmt.Sprintf("%s-%s-BYOI", o.Version, date),
		Version:         o.Version,
		Date:            date,
		Size:            o.ISOSize,
		Signature:       strings.ToLower(o.Digest),
		Algorithm:       o.Algorithm,
		SecureURL:       o.SecureURL,
		DisplayURL:      o.DisplayURL,
		SkipSSLVerify:   o.SkipSSLVerify,
		DownloadTimeout: o.DownloadTimeout,
		SourceISO:       o.SourceISO,
		KickstartPath:   KickstartPath,
		KickstartBase64: base64.StdEncoding.EncodeToString(o.Kickstart),
	}, nil
}

// Render executes the service template with o and returns the YAML as
// rendered (comments kept) and its decoded model. The result must have no
// error of [Check] and no unknown key, and must carry this build's values:
// files[0] the size, digest, algorithm, URL and skip flag of o, and an info[]
// entry at /KS.CFG whose contents decode to exactly o.Kickstart, so an edited
// template that drops or hard-codes one of them is an error.
func Render(o Options) ([]byte, *Service, error) {
	d, err := Data(o)
	if err != nil {
		return nil, nil, fmt.Errorf("service options: %w", err)
	}
	src := o.Template
	if src == nil {
		src = DefaultTemplate()
	}
	t, err := template.New(TemplateFile).Funcs(TemplateFuncs()).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, nil, fmt.Errorf("service template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, nil, fmt.Errorf("service template: %w", err)
	}
	out := buf.Bytes()
	s, found := check(out)
	var errs []error
	for _, f := range found {
		// Errors, and keys the portal would not use: in a template this
		// build renders, an unknown key is a typo that drops a field.
		if !f.IsWarning() || f.unknownKey {
			errs = append(errs, f)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("rendered service YAML: %w", err)
	}
	if err := matches(s, d, o.Kickstart); err != nil {
		return nil, nil, fmt.Errorf("rendered service YAML: %w", err)
	}
	return out, s, nil
}

// matches checks that the rendered service carries the build's values.
func matches(s *Service, d *TemplateData, ks []byte) error {
	var errs []error
	ne := func(field string, got, want any) {
		if got != want {
			errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf("is %v, this build made %v", got, want),
				Fix: "let the template fill it from the build data (see templates/service.yml.tmpl)"})
		}
	}
	f := s.Files[0] // validate guarantees one
	ne("files[0].file_size", f.FileSize, d.Size)
	ne("files[0].signature", f.Signature, d.Signature)
	ne("files[0].algorithm", f.Algorithm, d.Algorithm)
	ne("files[0].secure_url", f.SecureURL, d.SecureURL)
	ne("files[0].skip_ssl_verify", f.SkipSSLVerify, d.SkipSSLVerify)
	found := false
	for i := range s.Info {
		if s.Info[i].Path != KickstartPath {
			continue
		}
		found = true
		got, err := s.Info[i].Decode()
		if err == nil && !bytes.Equal(got, ks) {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("info[%d].contents", i), Msg: "is not this build's kickstart",
				Fix: "use {{ .KickstartBase64 }} as its contents"})
		}
	}
	if !found {
		errs = append(errs, &FieldError{Field: "info", Msg: "has no entry for " + KickstartPath,
			Fix: "keep the info entry with path \"/KS.CFG\" and contents \"{{ .KickstartBase64 }}\""})
	}
	return errors.Join(errs...)
}
