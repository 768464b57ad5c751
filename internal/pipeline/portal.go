package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/version"
)

// Register uploads the service YAML to the HPE Bare Metal portal: a new
// service, or an update in place of the one with the same svc_flavor and
// svc_ver. Needs: YAML (RenderService wrote it to Opts.ServiceOut). Sets:
// Registration. Skipped without the register option.
type Register struct{}

func (Register) String() string { return "registering service in the HPE Bare Metal portal" }

func (Register) Skip(st *State) (string, bool) { return "no {register}", !st.Opts.Register }

func (Register) Run(ctx context.Context, st *State) error {
	if st.YAML == nil || st.Opts.ServiceOut == "" {
		return Bug("Register needs the rendered service YAML")
	}
	c, err := st.portalClient()
	if err != nil {
		return err
	}
	reg, err := c.Register(ctx, st.Opts.ServiceOut)
	if err != nil {
		return err
	}
	st.Registration = reg
	fmt.Fprintf(st.Log, "  %s service %s (%s)\n", reg.Action, reg.ID, reg.Name)
	return nil
}

// Health triggers a download-health check of the registered service and waits
// for a fresh verdict from every on-prem controller; any controller not OK (or
// none reporting in time) fails the build. Needs: Registration. Sets: Health
// (also when it fails, for the summary). Skipped without the health option.
type Health struct{}

func (Health) String() string { return "checking download health at every on-prem controller" }

func (Health) Skip(st *State) (string, bool) { return "no {health}", !st.Opts.Health }

func (Health) Run(ctx context.Context, st *State) error {
	if st.Registration == nil {
		return Bug("Health needs the registered service")
	}
	c, err := st.portalClient()
	if err != nil {
		return err
	}
	res, err := c.Health(ctx, st.Registration.ID, portal.HealthOptions{
		Timeout: st.Opts.HealthTimeout, PollInterval: st.Opts.HealthPollInterval,
		OnChange: func(r portal.ControllerReport) {
			line := fmt.Sprintf("  %s: %s", r.Site, r.Verdict())
			if r.Reason != "" {
				line += " (" + r.Reason + ")"
			}
			fmt.Fprintln(st.Log, line)
		},
		OnProblem: func(err error) { fmt.Fprintf(st.Log, "  warning: %v\n", err) },
	})
	st.Health = res
	return err
}

// ValidatePortal checks the portal settings of a build with register or
// health (NewBuild calls it then): every missing variable at once, each a
// *portal.ConfigError naming the variable and its option.
//
// Health without register is refused: the build's YAML is not in the portal
// yet, and a verdict on the service registered before (other bytes, maybe
// another URL) would pass for one on this build. `esxi-byoi health
// SERVICE.yml` checks a registered service.
func (o *Options) ValidatePortal() error {
	var errs []error
	if o.Health && !o.Register {
		errs = append(errs, &option.Error{Option: "health", Msg: "needs {register}: the verdict is on the service this build registers (a service registered before is checked on its own: the health command of the CLI, or a watch in the action)"})
	}
	if o.Register || o.Health {
		if err := o.Portal.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PortalConfig reads the portal settings both surfaces share: the HPEGL_*
// environment (the names of HPE's Terraform provider), with the option values
// metal-rest-url, metal-project-id and metal-space-name over it (a flag or
// input wins over its variable; the scope flags or inputs given define the
// scope whole, so one of them drops the environment's other scope: a space
// name given alone means tenant/hoster scope, without the environment's
// project), ca-file, and the User-Agent of this version.
// Credentials come only from the environment. It checks nothing: see
// portal.Config.Validate.
func PortalConfig(v option.Values, getenv func(string) string) portal.Config {
	c := portal.ConfigFromEnv(getenv)
	if s := strings.TrimSpace(v["metal-rest-url"]); s != "" {
		c.RestURL = s
	}
	project, space := strings.TrimSpace(v["metal-project-id"]), strings.TrimSpace(v["metal-space-name"])
	switch {
	case project != "" && space != "":
		c.ProjectID, c.SpaceName = project, space // both headers are sent
	case project != "":
		c.ProjectID, c.SpaceName = project, ""
	case space != "":
		c.ProjectID, c.SpaceName = "", space
	}
	c.CAFile = v["ca-file"]
	c.UserAgent = version.UserAgent()
	return c
}

// durations reads the Duration options names into the fields, each > 0, by
// name in sorted order (see bools).
func durations(v option.Values, fields map[string]*time.Duration) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		p := fields[name]
		d, err := time.ParseDuration(v.Get(name))
		if err != nil || d <= 0 {
			errs = append(errs, &option.Error{Option: name, Msg: fmt.Sprintf("%q: want a duration above 0 such as 30m or 15s", v.Get(name))})
			continue
		}
		*p = d
	}
	return errs
}

// portalClient makes the portal client on first use; Register and Health share
// it, and with it the bearer token.
func (st *State) portalClient() (*portal.Client, error) {
	if st.portal != nil {
		return st.portal, nil
	}
	c, err := st.Opts.PortalClient()
	if err != nil {
		return nil, err
	}
	st.portal = c
	return c, nil
}

// PortalClient returns a client of the portal of o.Portal, trusting CAFile
// when Portal.CAFile is not set.
func (o *Options) PortalClient() (*portal.Client, error) {
	cfg := o.Portal
	if cfg.CAFile == "" {
		cfg.CAFile = o.CAFile
	}
	return portal.New(cfg)
}
