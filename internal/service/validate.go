package service

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
)

// FieldError is one problem of a service YAML: the field path
// ("files[0].signature"), the line (0 when the field is absent), what is wrong
// and how to fix it.
type FieldError struct {
	Field string
	Line  int
	Msg   string
	Fix   string
}

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

// checker collects the problems of one document.
type checker struct {
	lines map[string]int // field path → line of its value
	errs  []error
}

func (c *checker) add(field, fix, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{Field: field, Line: c.lines[field], Msg: fmt.Sprintf(format, args...), Fix: fix})
}

// Validate checks any service YAML against the portal's rules and returns
// every problem found (errors.Join of *[FieldError]), or nil. It checks the
// YAML shape (unknown or duplicate keys, value types), required fields,
// enumerations, https secure_url (unless skip_ssl_verify), digest length for
// the algorithm, and that each info[] decodes and, when templated, parses with
// the portal's template functions ([kickstart.Funcs]).
func Validate(b []byte) error {
	_, err := validate(b)
	return err
}

func validate(b []byte) (*Service, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &FieldError{Field: "(document)", Msg: err.Error(), Fix: "fix the YAML syntax"}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &FieldError{Field: "(document)", Line: doc.Line, Msg: "not a YAML mapping of service fields", Fix: "start from templates/service.yml.tmpl"}
	}
	c := &checker{lines: map[string]int{}}
	c.shape(doc.Content[0], reflect.TypeFor[Service](), "")
	var s Service
	_ = doc.Content[0].Decode(&s) // type mismatches were reported by shape, with their paths
	c.service(&s)
	return &s, errors.Join(c.errs...)
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
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.add(path, "write it as key: value lines", "must be a mapping, not %s", kindName(n))
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
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			if prev, dup := seen[k.Value]; dup {
				c.errs = append(c.errs, &FieldError{Field: p, Line: k.Line, Msg: fmt.Sprintf("given twice (first on line %d)", prev), Fix: "keep one"})
				continue
			}
			seen[k.Value] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				c.errs = append(c.errs, &FieldError{Field: p, Line: k.Line, Msg: "unknown field", Fix: "check the spelling; known fields here: " + strings.Join(names, ", ")})
				continue
			}
			c.shape(v, ft, p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.add(path, "write it as a list of '- ' items", "must be a list, not %s", kindName(n))
			return
		}
		for i, e := range n.Content {
			c.shape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		want := map[reflect.Kind]string{reflect.Int: "!!int", reflect.Int64: "!!int", reflect.Bool: "!!bool"}[t.Kind()]
		switch {
		case n.Kind != yaml.ScalarNode:
			c.add(path, "give a single value", "must be a single value, not %s", kindName(n))
		case want == "!!int" && n.Tag != want:
			c.add(path, "write a whole number without quotes", "must be a whole number, got %q", n.Value)
		case want == "!!bool" && n.Tag != want:
			c.add(path, "write true or false without quotes", "must be true or false, got %q", n.Value)
		case path == "svc_ver" && n.Tag != "!!str":
			c.add(path, fmt.Sprintf("quote it: svc_ver: %q", n.Value), "%s is read as a %s, not a string", n.Value, strings.TrimPrefix(n.Tag, "!!"))
		}
	}
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
	c.required("name", s.Name, "a display name, e.g. \"BYOI VMware ESXi 8.0U3 20240625\"")
	c.enum("type", s.Type, []string{"deploy"})
	c.required("svc_category", s.SvcCategory, "the portal category, e.g. VMware")
	c.required("svc_flavor", s.SvcFlavor, "the portal flavor, e.g. ESXi")
	c.required("svc_ver", s.SvcVer, "a quoted version, e.g. \"8.0U3-20240625-BYOI\"")
	if s.Timeout <= 0 {
		c.add("timeout", "give the deployment time limit in seconds, download included (1800 for ESXi)", "must be > 0 seconds, got %d", s.Timeout)
	}
	c.enum("approach", s.Approach, Approaches)
	c.enum("assumed_boot_method", s.AssumedBootMethod, BootMethods)
	c.required("schema_version", s.SchemaVersion, "schema_version: v2")
	c.enum("origin", s.Origin, Origins)
	if len(s.Files) == 0 {
		c.add("files", "add the image under files: (path, file_size, secure_url, signature, algorithm...)", "at least one file is required")
	}
	for i := range s.Files {
		c.file(fmt.Sprintf("files[%d]", i), &s.Files[i], s.Timeout)
	}
	for i := range s.Info {
		c.info(fmt.Sprintf("info[%d]", i), &s.Info[i])
	}
	for i, cl := range s.Classifiers {
		p := fmt.Sprintf("classifiers[%d]", i)
		c.required(p+".name", cl.Name, "a name shown when a machine is excluded")
		if len(cl.Rules) == 0 {
			c.add(p+".rules", "add attribute/value/operator rules", "at least one rule is required")
		}
		for j, r := range cl.Rules {
			rp := fmt.Sprintf("%s.rules[%d]", p, j)
			c.required(rp+".attribute", r.Attribute, "a machine attribute, e.g. manufacturer or model")
			c.enum(rp+".operator", r.Operator, ClassifierOperator)
		}
	}
}

func (c *checker) file(p string, f *File, timeout int) {
	c.required(p+".path", f.Path, "the file name on the controller, e.g. \"vmware.iso\"")
	if f.FileSize <= 0 {
		c.add(p+".file_size", "give the size in bytes of the published file (stat -c %s FILE)", "must be > 0 bytes, got %d", f.FileSize)
	}
	c.required(p+".display_url", f.DisplayURL, "a name or URL to show in the portal, e.g. the ISO file name")
	c.secureURL(p+".secure_url", f.SecureURL, f.SkipSSLVerify)
	switch {
	case f.DownloadTimeout <= 0:
		c.add(p+".download_timeout", "give the download time limit in seconds, e.g. 900", "must be > 0 seconds, got %d", f.DownloadTimeout)
	case timeout > 0 && f.DownloadTimeout >= timeout:
		c.add(p+".download_timeout", "make download_timeout smaller than timeout, or raise timeout",
			"%d s leaves no time to install: the service timeout (%d s) includes the download", f.DownloadTimeout, timeout)
	}
	c.enum(p+".algorithm", f.Algorithm, Algorithms)
	if n := DigestLen(f.Algorithm); n > 0 {
		fix := fmt.Sprintf("put the lowercase hex output of `%s FILE` for the published file", f.Algorithm)
		switch {
		case f.Signature == "":
			c.add(p+".signature", fix, "is required")
		case !isLowerHex(f.Signature):
			c.add(p+".signature", fix, "must be lowercase hex digits")
		case len(f.Signature) != n:
			c.add(p+".signature", fix, "has %d hex digits, %s gives %d", len(f.Signature), f.Algorithm, n)
		}
	}
}

func (c *checker) secureURL(p, s string, skip bool) {
	if s == "" {
		c.add(p, "give the HTTPS URL the on-prem controller downloads the image from", "is required")
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		c.add(p, "give a valid absolute URL", "%v", err)
		return
	}
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && skip):
		c.add(p, "serve the image over https:// (or set skip_ssl_verify: true for a plain or private server)", "must be an https:// URL, got %q", u.Scheme+"://")
	case u.Host == "":
		c.add(p, "give an absolute URL with a host name", "has no host")
	case u.User != nil:
		c.add(p, "remove the user:password@ part and make the object publicly readable", "carries credentials; the controller downloads anonymously and the portal would store them")
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
		c.add(p+".path", "give the absolute path the installer reads, e.g. /KS.CFG", "must start with /, got %q", in.Path)
	}
	if in.Contents == "" {
		c.add(p+".contents", "put the encoded file (base64 -w0 FILE)", "is required")
		return
	}
	if !slices.Contains(Encodings, in.Encoding) {
		return
	}
	data, err := in.Decode()
	if err != nil {
		c.add(p+".contents", fmt.Sprintf("encode the file with %s (no line wrap: base64 -w0)", in.Encoding), "does not decode as %s: %v", in.Encoding, err)
		return
	}
	if in.Templating == "go-text-template" {
		name := strings.TrimPrefix(in.Path, "/")
		if name == "" {
			name = "contents"
		}
		if _, err := template.New(name).Funcs(kickstart.Funcs()).Parse(string(data)); err != nil {
			c.add(p+".contents", "fix the template (esxi-byoi kickstart lint shows the line); only the portal's functions exist: "+strings.Join(slices.Sorted(maps.Keys(kickstart.Funcs())), ", "),
				"template does not parse: %v", err)
		}
	}
}

func (c *checker) required(field, v, example string) {
	if strings.TrimSpace(v) == "" {
		c.add(field, "give "+example, "is required")
	}
}

func (c *checker) enum(field, v string, allowed []string) {
	if slices.Contains(allowed, v) {
		return
	}
	fix := "use one of: " + strings.Join(allowed, ", ")
	if v == "" {
		c.add(field, fix, "is required")
		return
	}
	c.add(field, fix, "%q is not allowed", v)
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
