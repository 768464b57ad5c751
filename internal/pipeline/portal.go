package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/esxi-byoi/esxi-byoi/internal/portal"
)

// Register uploads the service YAML to the HPE Bare Metal portal: a new
// service, or an update in place of the one with the same svc_flavor and
// svc_ver. Needs: YAML (RenderService wrote it to Opts.ServiceOut). Sets:
// Registration. Skipped without --register.
type Register struct{}

func (Register) String() string { return "registering service in the HPE Bare Metal portal" }

func (Register) Skip(st *State) (string, bool) { return "no --register", !st.Opts.Register }

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
// (also when it fails, for the summary). Skipped without --health.
type Health struct{}

func (Health) String() string { return "checking download health at every on-prem controller" }

func (Health) Skip(st *State) (string, bool) { return "no --health", !st.Opts.Health }

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

// ValidatePortal checks the portal settings of a build with --register or
// --health (call it from Options.Validate): every missing variable at once.
func (o *Options) ValidatePortal() error {
	var errs []error
	if o.Health && !o.Register {
		errs = append(errs, errors.New("--health needs --register (or run 'esxi-byoi health SERVICE.yml' after registering)"))
	}
	if o.Register || o.Health {
		if err := o.Portal.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// portalClient makes the portal client on first use; Register and Health share
// it, and with it the bearer token.
func (st *State) portalClient() (*portal.Client, error) {
	if st.portal != nil {
		return st.portal, nil
	}
	cfg := st.Opts.Portal
	if cfg.CAFile == "" {
		cfg.CAFile = st.Opts.CAFile
	}
	c, err := portal.New(cfg)
	if err != nil {
		return nil, err
	}
	st.portal = c
	return c, nil
}
