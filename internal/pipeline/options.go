package pipeline

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/secret"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// InvalidError holds the problems found in the option values before anything
// ran: each is an *option.Error. The CLI exits 2 for it (a usage error).
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }

// Unwrap returns the joined problems.
func (e *InvalidError) Unwrap() error { return e.Err }

// Render spells each problem's option for s.
func (e *InvalidError) Render(s option.Surface) string { return s.Message(e.Err) }

// NewBuild turns option values into the validated Options of a build. It is
// the one place both surfaces go through: the CLI fills v from its flags,
// the action from its inputs (paths already resolved against the workspace,
// output and service derived from output-dir). getenv supplies the options'
// environment variables (the root password, the region, the HPEGL_* portal
// settings and credentials) and SOURCE_DATE_EPOCH.
//
// Problems with the values come back together as an *InvalidError; a file
// that cannot be read (kickstart, template, password file) as an
// *option.Error with the cause.
func NewBuild(v option.Values, getenv func(string) string) (Options, error) {
	o, errs := fromValues(v, getenv)
	o.Input, o.Version, o.ServiceOut = v["iso"], v["esxi-version"], v["service"]
	o.Algorithm = v.Get("algorithm")
	o.Hosts = v["hosts"]
	o.Kernelopt = remaster.KerneloptEdit{Replace: v["kernelopt"], Add: v.List("kernelopt-add"), Remove: v.List("kernelopt-remove")}
	var err error
	if o.SkipSSL, err = v.Bool("skip-ssl-verify"); err != nil {
		errs = append(errs, err)
	}
	if err := o.Validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, o.portalValues(v, getenv)...)
	pw, err := rootPassword(v, getenv)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return o, &InvalidError{err}
	}
	if o.RootHash, err = rootHash(pw); err != nil {
		return o, err
	}
	if err := o.loadTemplates(v["kickstart"], v["service-template"]); err != nil {
		return o, err
	}
	if o.Date, err = service.BuildDate(getenv); err != nil {
		return o, err
	}
	return o, nil
}

// portalValues reads register, health and, when either is asked, the portal
// settings (see PortalConfig), and checks them: missing configuration is a
// problem of the values, found before anything is written.
func (o *Options) portalValues(v option.Values, getenv func(string) string) []error {
	var errs []error
	errs = append(errs, bools(v, map[string]*bool{"register": &o.Register, "health": &o.Health})...)
	if !o.Register && !o.Health {
		return errs
	}
	errs = append(errs, o.portalSettings(v, getenv)...)
	if err := o.ValidatePortal(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// portalSettings reads what a build and a watch with health share: the
// health wait's durations and the portal settings (see PortalConfig),
// unchecked.
func (o *Options) portalSettings(v option.Values, getenv func(string) string) []error {
	o.Portal = PortalConfig(v, getenv)
	return durations(v, map[string]*time.Duration{"health-timeout": &o.HealthTimeout, "health-poll-interval": &o.HealthPollInterval})
}

// NewWatch turns option values into the Options of a watch (the action's
// watch mode): CAFile for the downloads and the portal and, with health, the
// portal settings, checked as a build checks them. Register is never set: a
// watch only reads.
func NewWatch(v option.Values, getenv func(string) string) (Options, error) {
	o := Options{CAFile: v["ca-file"]}
	var errs []error
	var err error
	if o.Health, err = v.Bool("health"); err != nil {
		errs = append(errs, err)
	}
	if o.Health {
		errs = append(errs, o.portalSettings(v, getenv)...)
		if err := o.Portal.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return o, &InvalidError{err}
	}
	return o, nil
}

// NewPublish turns option values into the validated Options of
// `esxi-byoi publish ISO`; v["output"] is the ISO to publish.
func NewPublish(v option.Values, getenv func(string) string) (Options, error) {
	o, errs := fromValues(v, getenv)
	if err := o.ValidatePublish(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return o, &InvalidError{err}
	}
	return o, nil
}

// fromValues reads what build and publish share: the output, the URL
// prefixes, the publishing options and the verification switch.
func fromValues(v option.Values, getenv func(string) string) (Options, []error) {
	o := Options{
		Output: v["output"], URLPrefix: v["image-url-prefix"], PublicURLPrefix: v["public-url-prefix"], CAFile: v["ca-file"],
		S3Bucket: v["s3-bucket"], S3Prefix: v["s3-prefix"], S3Endpoint: v["s3-endpoint"],
		// The region the AWS chain would read, so that an AWS bucket's
		// public URL is known before any request.
		S3Region:   v.FromEnv("s3-region", getenv),
		PublishDir: v["publish-dir"],
	}
	return o, bools(v, map[string]*bool{"s3-path-style": &o.S3PathStyle, "replace": &o.Replace, "skip-verify": &o.SkipVerify})
}

// bools reads the Bool options names into the fields, by name in sorted
// order, so that their problems are listed the same way on every run.
func bools(v option.Values, fields map[string]*bool) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		b, err := v.Bool(name)
		if err != nil {
			errs = append(errs, err)
		}
		*fields[name] = b
	}
	return errs
}

// rootPassword resolves the root password in the one documented order: at
// most one of root-password-hash, root-password-file and root-password, else
// the environment (ESXI_ROOT_PASSWORD). A hash is checked and kept as it is;
// a password is hashed by rootHash, after every value problem is reported.
func rootPassword(v option.Values, getenv func(string) string) (pw, error) {
	var given []string
	for _, n := range []string{"root-password-hash", "root-password-file", "root-password"} {
		if v[n] != "" {
			given = append(given, n)
		}
	}
	switch {
	case len(given) > 1:
		return pw{}, &option.Error{Option: given[1], Msg: "given together with {" + given[0] + "}", Fix: "give one of {root-password-hash}, {root-password-file} and {root-password}"}
	case len(given) == 1 && given[0] == "root-password-hash":
		if err := service.ValidHash(v["root-password-hash"]); err != nil {
			return pw{}, &option.Error{Option: "root-password-hash", Err: err, Fix: "give a SHA-512 crypt hash: openssl passwd -6"}
		}
		return pw{hash: v["root-password-hash"]}, nil
	case len(given) == 1 && given[0] == "root-password-file":
		return pw{file: v["root-password-file"]}, nil
	}
	if p := v.FromEnv("root-password", getenv); p != "" {
		return pw{clear: secret.New(p)}, nil
	}
	return pw{}, &option.Error{Option: "root-password", Msg: "no root password",
		Fix: "set ESXI_ROOT_PASSWORD, or give {root-password-hash}, {root-password-file} or {root-password}"}
}

// pw is a resolved root password: a hash given as it is, a file whose first
// line is the password (read once the values are known good), or a password.
type pw struct {
	hash, file string
	clear      secret.String
}

func rootHash(p pw) (string, error) {
	switch {
	case p.hash != "":
		return p.hash, nil
	case p.file != "":
		b, err := os.ReadFile(p.file)
		if err != nil {
			return "", &option.Error{Option: "root-password-file", Err: err}
		}
		line, _, _ := strings.Cut(string(b), "\n")
		p.clear = secret.New(strings.TrimRight(line, "\r"))
	}
	return service.HashPassword(p.clear, nil)
}

// loadTemplates reads the kickstart template (or the built-in one) with the
// root hash substituted, and the service YAML template when one is given.
func (o *Options) loadTemplates(ksPath, tmplPath string) error {
	ks, err := readOr(ksPath, "kickstart", "kickstart.cfg.tmpl")
	if err != nil {
		return err
	}
	o.KickstartName = ksPath
	if ksPath == "" {
		o.KickstartName = "(embedded)"
	}
	o.KickstartTemplate = ks
	if o.Kickstart, err = kickstart.SubstituteRootpw(ks, o.RootHash); err != nil {
		return &option.Error{Option: "kickstart", Msg: o.KickstartName, Err: err,
			Fix: "keep the line `rootpw --iscrypted " + kickstart.RootpwPlaceholder + "` in the template"}
	}
	if tmplPath != "" {
		if o.Template, err = readOr(tmplPath, "service-template", ""); err != nil {
			return err
		}
	}
	return nil
}

// readOr reads path for option name, or the embedded template when path is "".
func readOr(path, name, embedded string) ([]byte, error) {
	if path == "" {
		return fs.ReadFile(templates.FS, embedded)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &option.Error{Option: name, Err: err}
	}
	return b, nil
}
