package service

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

// Severity says whether a finding stops the portal or a controller.
type Severity string

const (
	// Error: the portal refuses the file, or a controller cannot deploy it.
	Error Severity = "error"
	// Warning: the portal accepts it, but it is unusual; the message names
	// what HPE's recipes write instead.
	Warning Severity = "warning"
)

// FieldError is one finding about a service YAML: the field path
// ("files[0].signature"), the line (0 when the field is absent), whether it
// is an error or a warning, what is wrong and how to fix it.
type FieldError struct {
	Field    string
	Line     int
	Severity Severity // "" counts as Error
	Msg      string
	Fix      string

	unknownKey bool // a key the portal's model does not have (see Render)
}

// IsWarning reports whether e is a warning rather than an error.
func (e *FieldError) IsWarning() bool { return e.Severity == Warning }

func (e *FieldError) Error() string {
	s := e.Field + ": " + e.Msg
	if e.Fix != "" {
		s += " (fix: " + e.Fix + ")"
	}
	return s
}

// Problems returns the *FieldError values joined in err (by [Validate] or
// [Render]), in order.
func Problems(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if e := errors.Unwrap(err); e != nil {
			walk(e)
		}
	}
	walk(err)
	return out
}

// Validate checks any service YAML as the portal imports it and returns its
// errors (errors.Join of *[FieldError]), or nil; warnings are not errors (see
// [Check] for both).
func Validate(b []byte) error {
	var errs []error
	for _, f := range Check(b) {
		if !f.IsWarning() {
			errs = append(errs, f)
		}
	}
	return errors.Join(errs...)
}

// Check returns every finding of a service YAML, errors and warnings, in
// line order (findings about absent fields, line 0, last).
//
// The rules follow the portal's API model (see [Service]) and what HPE's
// recipes show the portal accepts. Errors: broken YAML, a value of the wrong
// type, a duplicate key, a missing name/category/flavor/version/timeout/
// approach/file, a name over [MaxNameLen] or with non-printable characters, a
// value outside an enumeration, no download URL, plain http:// without
// skip_ssl_verify, a digest that cannot match, info[] contents that do not
// decode or whose template does not parse with the portal's functions
// ([kickstart.Funcs]). Warnings: unknown keys (with a did-you-mean), keys a
// portal export carries that the import ignores (id, resource_type), and what
// is legal but unusual, such as a missing schema_version or http:// with
// skip_ssl_verify: true.
func Check(b []byte) []*FieldError {
	_, fs := check(b)
	return fs
}

// yamlSyntaxLine splits yaml.v3's "yaml: line N: message" into N and the
// message, so that the finding points at the line as FILE:LINE does; 0 and
// the whole text when the error names no line.
func yamlSyntaxLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, text, ok := strings.Cut(rest, ": ")
	n, cerr := strconv.Atoi(num)
	if !ok || cerr != nil || n <= 0 {
		return 0, msg
	}
	return n, text
}

// templateFix is the fix for a file with template actions that does not
// parse as a service YAML.
const templateFix = "this is a template with {{ }} actions: validate the service YAML that esxi-byoi build renders from it"

// check parses and checks b; s is nil when b is not a YAML mapping.
func check(b []byte) (*Service, []*FieldError) {
	// documentError is the one finding of a file that is not a service
	// mapping. A template (templates/service.yml.tmpl) is not a service YAML
	// yet: its fix says so instead of only fixing the syntax its actions break.
	documentError := func(fe FieldError) []*FieldError {
		fe.Field, fe.Severity = "(document)", Error
		if bytes.Contains(b, []byte("{{")) {
			fe = FieldError{Field: fe.Field, Line: fe.Line, Severity: fe.Severity, Msg: fe.Msg, Fix: templateFix}
		}
		return []*FieldError{&fe}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		line, msg := yamlSyntaxLine(err)
		return nil, documentError(FieldError{Line: line, Msg: msg, Fix: "fix the YAML syntax"})
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		msg := "not a YAML mapping of service fields"
		if len(doc.Content) == 0 {
			msg = "the file holds no YAML document"
		}
		return nil, documentError(FieldError{Line: doc.Line, Msg: msg, Fix: "start from the service YAML esxi-byoi build writes, or from HPE's ESXi recipe"})
	}
	c := &checker{lines: map[string]int{}, present: map[string]bool{}}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		line := next.Line
		if err != nil {
			line, _ = yamlSyntaxLine(err)
		}
		c.found = append(c.found, &FieldError{Field: "(document)", Line: line, Severity: Warning,
			Msg: "a second YAML document starts here; only the first is a service", Fix: "put one service per file"})
	}
	c.shape(doc.Content[0], reflect.TypeFor[Service](), "")
	var s Service
	_ = doc.Content[0].Decode(&s) // type mismatches were reported by shape, with their paths
	c.service(&s)
	slices.SortStableFunc(c.found, func(a, b *FieldError) int {
		return cmp.Compare(lineKey(a.Line), lineKey(b.Line))
	})
	return &s, c.found
}

func lineKey(l int) int {
	if l == 0 {
		return math.MaxInt // absent fields sort last
	}
	return l
}

// checker collects the findings of one document.
type checker struct {
	lines   map[string]int  // field path → line of its value
	present map[string]bool // field paths given with a non-null value
	found   []*FieldError
}

func (c *checker) report(sev Severity, field, fix, format string, args ...any) {
	c.found = append(c.found, &FieldError{Field: field, Line: c.lines[field], Severity: sev, Msg: fmt.Sprintf(format, args...), Fix: fix})
}

func (c *checker) errorf(field, fix, format string, args ...any) {
	c.report(Error, field, fix, format, args...)
}

func (c *checker) warnf(field, fix, format string, args ...any) {
	c.report(Warning, field, fix, format, args...)
}

// shape walks n against the Go type t: unknown and duplicate keys, node kinds
// and scalar tags. It records the line of every field it meets.
func (c *checker) shape(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		c.lines[path] = n.Line
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value: "required" checks report it where it matters
	}
	c.present[path] = true
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.errorf(path, "write it as key: value lines", "must be a mapping, not %s", kindName(n))
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			fields[name] = f.Type
			names = append(names, name)
		}
		seen := map[string]int{}
		kept := n.Content[:0:0]
		defer func() { n.Content = kept }() // without duplicates, so the rest still decodes
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				c.found = append(c.found, &FieldError{Field: join(path, "(key)"), Line: k.Line, Severity: Error,
					Msg: "a key must be a plain name, not " + kindName(k), Fix: "write the key as a plain name: key: value"})
				continue
			}
			p := join(path, k.Value)
			if prev, dup := seen[k.Value]; dup {
				c.found = append(c.found, &FieldError{Field: p, Line: k.Line, Severity: Error,
					Msg: fmt.Sprintf("given twice (first on line %d); YAML parsers refuse a duplicate key", prev), Fix: "keep one"})
				continue
			}
			seen[k.Value] = k.Line
			kept = append(kept, k, v)
			ft, ok := fields[k.Value]
			if !ok {
				c.found = append(c.found, unknownKey(p, k, names))
				continue
			}
			c.shape(v, ft, p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.errorf(path, "write it as a list of '- ' items", "must be a list, not %s", kindName(n))
			return
		}
		for i, e := range n.Content {
			c.shape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		want := map[reflect.Kind]string{reflect.Int: "!!int", reflect.Int64: "!!int", reflect.Bool: "!!bool"}[t.Kind()]
		switch {
		case n.Kind != yaml.ScalarNode:
			c.errorf(path, "give a single value", "must be a single value, not %s", kindName(n))
		case want == "!!int" && n.Tag != want:
			c.errorf(path, "write a whole number without quotes", "must be a whole number, got %q", n.Value)
		case want == "!!bool" && n.Tag != want:
			c.errorf(path, "write true or false without quotes", "must be true or false, got %q", n.Value)
		case path == "svc_ver" && n.Tag != "!!str":
			c.warnf(path, fmt.Sprintf("quote it: svc_ver: %q", n.Value),
				"%s is read as a %s, not a string; a tool that reads it as a number writes it back differently (8.10 becomes 8.1)", n.Value, strings.TrimPrefix(n.Tag, "!!"))
		}
	}
}

// unknownKey is the warning for key k at path p, where names are the keys
// the portal knows there.
func unknownKey(p string, k *yaml.Node, names []string) *FieldError {
	fix := "remove it or check the spelling; known here: " + strings.Join(names, ", ")
	if s := suggest(k.Value, names); s != "" {
		fix = "did you mean " + s + "?"
	}
	return &FieldError{Field: p, Line: k.Line, Severity: Warning, unknownKey: true,
		Msg: "unknown field: the portal's model has no such key, so it is not used", Fix: fix}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// service checks the values of s.
func (c *checker) service(s *Service) {
	c.name("name", s.Name)
	switch {
	case !c.present["type"]:
		c.warnf("type", "add type: deploy", "is not set; HPE's recipes all write type: deploy")
	case s.Type != "deploy":
		c.errorf("type", "use type: deploy", "%q is not allowed: the portal deploys type: deploy services", s.Type)
	}
	c.required("svc_category", s.SvcCategory, "the portal category, e.g. VMware")
	c.required("svc_flavor", s.SvcFlavor, "the portal flavor, e.g. ESXi")
	c.required("svc_ver", s.SvcVer, "a quoted version, e.g. \"8.0U3-20240625-BYOI\"")
	if !c.present["description"] {
		c.warnf("description", "add a description; the portal shows it when a user picks an image", "is not set")
	}
	const timeoutFix = "give the deployment time limit in seconds, download included; HPE's ESXi recipe writes 1800"
	switch {
	case !c.present["timeout"]:
		c.errorf("timeout", timeoutFix, "is required")
	case s.Timeout <= 0:
		c.errorf("timeout", timeoutFix, "must be > 0 seconds, got %d", s.Timeout)
	}
	c.enum("approach", s.Approach, Approaches)
	if c.present["assumed_boot_method"] {
		c.enum("assumed_boot_method", s.AssumedBootMethod, BootMethods)
	}
	switch {
	case !c.present["schema_version"]:
		c.warnf("schema_version", "add schema_version: v2", "is not set; HPE's ESXi recipe writes v2")
	case s.SchemaVersion != "v2":
		c.warnf("schema_version", "use schema_version: v2", "%q is not the version HPE's recipes write (v2)", s.SchemaVersion)
	}
	if c.present["origin"] {
		c.enum("origin", s.Origin, Origins)
	}
	for _, k := range []string{"id", "resource_type"} {
		if c.present[k] {
			c.warnf(k, "remove it, or leave it: it does no harm", "ignored on import: it comes from a portal export, and the import assigns its own")
		}
	}
	if len(s.Files) == 0 {
		c.errorf("files", "add the image under files: with path, file_size, secure_url, signature and algorithm", "at least one file is required")
	}
	for i := range s.Files {
		c.file(fmt.Sprintf("files[%d]", i), &s.Files[i], s.Timeout)
	}
	if len(s.Info) == 0 && s.Approach == "vmedia" {
		c.warnf("info", "add the kickstart as an info[] entry with path /KS.CFG", "no info[] entry: the installer gets no kickstart and waits for a person")
	}
	paths := map[string]string{}
	for i := range s.Info {
		p := fmt.Sprintf("info[%d]", i)
		c.info(p, &s.Info[i])
		key := s.Info[i].Target + ":" + s.Info[i].Path
		if prev, dup := paths[key]; dup && s.Info[i].Path != "" {
			c.errorf(p+".path", "give each file its own path", "%s on %s is also written by %s; one would overwrite the other", s.Info[i].Path, s.Info[i].Target, prev)
		}
		paths[key] = p
	}
	for i, cl := range s.Classifiers {
		p := fmt.Sprintf("classifiers[%d]", i)
		c.required(p+".name", cl.Name, "a name shown when a machine is excluded")
		if len(cl.Rules) == 0 {
			c.errorf(p+".rules", "add attribute/value/operator rules", "at least one rule is required")
		}
		for j, r := range cl.Rules {
			rp := fmt.Sprintf("%s.rules[%d]", p, j)
			c.required(rp+".attribute", r.Attribute, "a machine attribute, e.g. manufacturer or model")
			c.enum(rp+".operator", r.Operator, ClassifierOperator)
		}
	}
	if u := s.UserDefinedSteps; u != nil {
		for i, op := range u.ImagingPrepSteps {
			p := fmt.Sprintf("user_defined_steps.imgprep_steps[%d]", i)
			c.required(p+".operation", op.Operation, "an operation, e.g. Boot Service OS")
			if op.Operation != "" {
				c.known(p+".operation", op.Operation, UserOps)
			}
			for j, a := range op.Parameters {
				ap := fmt.Sprintf("%s.parameters[%d]", p, j)
				c.required(ap+".name", a.Name, "the parameter name the operation expects")
				if c.present[ap+".type"] {
					c.known(ap+".type", a.Type, OpArgTypes)
				}
			}
		}
	}
	for i, d := range s.DeviceLayouts {
		p := fmt.Sprintf("device_layouts[%d]", i)
		c.required(p+".device", d.Device, "the disk, e.g. /dev/sda")
		if c.present[p+".table_type"] {
			c.known(p+".table_type", d.TableType, TableTypes)
		}
		for j, part := range d.Partitions {
			pp := fmt.Sprintf("%s.partitions[%d]", p, j)
			c.required(pp+".type", part.Type, "a partition type, e.g. ext4")
			if part.Type != "" {
				c.known(pp+".type", part.Type, PartitionTypes)
			}
		}
	}
}

// name checks ResourceBase.Name: "128 or fewer printable characters".
func (c *checker) name(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.errorf(field, "give a display name, e.g. \"BYOI VMware ESXi 8.0U3 20240625\"", "is required")
		return
	}
	if n := utf8.RuneCountInString(v); n > MaxNameLen {
		c.errorf(field, fmt.Sprintf("shorten it to %d characters; the description can say the rest", MaxNameLen),
			"has %d characters; the portal takes at most %d", n, MaxNameLen)
	}
	for i, r := range v {
		if !unicode.IsPrint(r) {
			c.errorf(field, "remove it: write the name on one line, without tabs or control characters",
				"has the non-printable character %U at byte %d; the portal takes printable characters only", r, i)
			break
		}
	}
}

func (c *checker) file(p string, f *File, timeout int64) {
	c.required(p+".path", f.Path, "the file name on the controller, e.g. \"vmware.iso\"")
	if f.FileSize <= 0 {
		c.errorf(p+".file_size", "give the size in bytes of the published file: stat -c %s FILE", "must be > 0 bytes, got %d", f.FileSize)
	}
	switch {
	case f.SecureURL != "":
		c.downloadURL(p+".secure_url", f.SecureURL, f.SkipSSLVerify)
		if f.DisplayURL == "" {
			c.warnf(p+".display_url", "give a name to show in the portal; HPE's ESXi recipe writes the vendor ISO's file name", "is not set")
		}
	case f.DisplayURL != "":
		// FileInfo.DisplayURL: "The file is downloaded from this URL only
		// when SecureURL is not set."
		c.downloadURL(p+".display_url", f.DisplayURL, f.SkipSSLVerify)
	default:
		c.errorf(p+".secure_url", "give the https:// URL the on-prem controller downloads the image from", "is required (or display_url, which is downloaded when secure_url is not set)")
	}
	switch {
	case f.DownloadTimeout <= 0:
		c.errorf(p+".download_timeout", "give the download time limit in seconds; HPE's ESXi recipe writes 900", "must be > 0 seconds, got %d", f.DownloadTimeout)
	case timeout > 0 && f.DownloadTimeout >= timeout:
		c.warnf(p+".download_timeout", "make download_timeout smaller than timeout, or raise timeout; HPE's ESXi recipe writes 900 of 1800",
			"%d s leaves no time to install if the download takes it: the service timeout (%d s) includes the download", f.DownloadTimeout, timeout)
	}
	c.enum(p+".algorithm", f.Algorithm, Algorithms)
	if n := DigestLen(f.Algorithm); n > 0 {
		fix := fmt.Sprintf("put the lowercase hex output of `%s FILE` for the published file", f.Algorithm)
		switch {
		case f.Signature == "":
			c.errorf(p+".signature", fix, "is required")
		case !isLowerHex(f.Signature):
			c.errorf(p+".signature", fix, "must be lowercase hex digits")
		case len(f.Signature) != n:
			c.errorf(p+".signature", fix, "has %d hex digits, %s gives %d", len(f.Signature), f.Algorithm, n)
		}
	}
}

// downloadURL checks the URL the controller downloads (anonymously).
func (c *checker) downloadURL(p, s string, skip bool) {
	u, err := url.Parse(s)
	if err != nil {
		c.errorf(p, "give a valid absolute URL", "%v", err)
		return
	}
	switch {
	case u.Scheme == "" || u.Host == "" && u.Scheme != "http" && u.Scheme != "https":
		c.errorf(p, "give the https:// URL the on-prem controller downloads the image from", "%q is not an absolute URL, so the controller cannot download it", s)
		return
	case u.Scheme == "http" && !skip:
		c.errorf(p, "serve the image over https://, or set skip_ssl_verify: true for a plain or private server",
			"must be an https:// URL unless skip_ssl_verify is true, got \"http://\"")
		return
	case u.Scheme == "http":
		c.warnf(p, "serve it over https://; HPE's ESXi recipe publishes to an https:// server",
			"is plain http:// (allowed by skip_ssl_verify: true): anyone on the path can read or swap the image; only the signature check is left")
	case u.Scheme != "https":
		c.warnf(p, "give the https:// URL the on-prem controller downloads anonymously",
			"%q is not an https:// URL; esxi-byoi cannot verify it and an on-prem controller downloads over https", u.Scheme+"://")
		return
	}
	switch {
	case u.Host == "":
		c.errorf(p, "give an absolute URL with a host name", "has no host")
	case u.User != nil:
		c.errorf(p, "remove the user:password@ part and make the object publicly readable", "carries credentials; the controller downloads anonymously and the portal would store them")
	}
}

func (c *checker) info(p string, in *Info) {
	c.enum(p+".encoding", in.Encoding, Encodings)
	c.enum(p+".templating", in.Templating, Templatings)
	if in.Templating == "go-text-template" {
		c.enum(p+".templating_input", in.TemplatingInput, TemplatingInputs)
	}
	c.enum(p+".target", in.Target, Targets)
	if !strings.HasPrefix(in.Path, "/") {
		c.errorf(p+".path", "give the absolute path the installer reads, e.g. /KS.CFG", "must start with /, got %q", in.Path)
	}
	if in.Contents == "" {
		c.errorf(p+".contents", "put the encoded file there: base64 -w0 FILE", "is required")
		return
	}
	if !slices.Contains(Encodings, in.Encoding) {
		return
	}
	data, err := in.Decode()
	if err != nil {
		c.errorf(p+".contents", fmt.Sprintf("encode the file with %s, without line wraps: base64 -w0", in.Encoding), "does not decode as %s: %v", in.Encoding, err)
		return
	}
	if in.Templating == "go-text-template" {
		name := strings.TrimPrefix(in.Path, "/")
		if name == "" {
			name = "contents"
		}
		if _, err := template.New(name).Funcs(kickstart.Funcs()).Parse(string(data)); err != nil {
			c.errorf(p+".contents", "fix the template, esxi-byoi kickstart lint shows the line; only the portal's functions exist: "+strings.Join(slices.Sorted(maps.Keys(kickstart.Funcs())), ", "),
				"template does not parse: %v", err)
		}
	}
}

func (c *checker) required(field, v, example string) {
	if strings.TrimSpace(v) == "" {
		c.errorf(field, "give "+example, "is required")
	}
}

// enum reports a missing or unlisted value as an error.
func (c *checker) enum(field, v string, allowed []string) {
	if slices.Contains(allowed, v) {
		return
	}
	fix := "use one of: " + strings.Join(allowed, ", ")
	if v == "" {
		c.errorf(field, fix, "is required")
		return
	}
	c.errorf(field, fix, "%q is not allowed", v)
}

// known reports an unlisted value as a warning: for lists the portal grows
// faster than its published spec, where HPE's recipes already use values the
// spec lacks.
func (c *checker) known(field, v string, listed []string) {
	if slices.Contains(listed, v) {
		return
	}
	fix := "check the spelling; known values: " + strings.Join(listed, ", ")
	if s := suggest(v, listed); s != "" {
		fix = "did you mean " + s + "?"
	}
	c.warnf(field, fix, "%q is not a value the API spec or HPE's recipes use; the portal may refuse it", v)
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
