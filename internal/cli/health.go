package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// runHealth asks every on-prem controller to check the download of one or
// more registered services and prints their verdicts, one row per controller.
func runHealth(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "health")
	var pf portalFlags
	pf.add(fs)
	timeout := fs.Duration("timeout", portal.DefaultHealthTimeout, "how long to wait for every controller's fresh report")
	poll := fs.Duration("poll-interval", portal.DefaultPollInterval, "how often to read the service's download health")
	serviceID := fs.String("service-id", "", "check this portal service ID instead of services named by YAML files")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*serviceID == "") == (fs.NArg() == 0) {
		return usagef("health", "give service YAML files (or directories), or --service-id, not both")
	}
	if *timeout <= 0 || *poll <= 0 {
		return usagef("health", "--timeout and --poll-interval must be > 0")
	}
	type target struct {
		label           string // file path or service ID
		id              string
		flavor, version string
	}
	var targets []target
	if *serviceID != "" {
		targets = append(targets, target{label: *serviceID, id: *serviceID})
	} else {
		files, err := serviceFiles(env, fs.Args())
		if err != nil {
			return err
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			svc, err := service.Parse(b)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if svc.SvcFlavor == "" || svc.SvcVer == "" {
				return fmt.Errorf("%s: svc_flavor and svc_ver are needed to find the service in the portal", p)
			}
			targets = append(targets, target{label: p, flavor: svc.SvcFlavor, version: svc.SvcVer})
		}
	}
	cfg, err := pf.config("health", env)
	if err != nil {
		return err
	}
	c, err := portal.New(cfg)
	if err != nil {
		return configUsage("health", err)
	}

	// Services are checked at the same time: each waits for its controllers.
	var mu sync.Mutex
	results := make([]*portal.HealthResult, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := portal.HealthOptions{
				Timeout: *timeout, PollInterval: *poll,
				OnChange: func(r portal.ControllerReport) {
					mu.Lock()
					defer mu.Unlock()
					line := fmt.Sprintf("  %s: %s: %s", tg.label, r.Site, r.Verdict())
					if r.Reason != "" {
						line += " (" + r.Reason + ")"
					}
					fmt.Fprintln(env.Stderr, line)
				},
				OnProblem: func(err error) {
					mu.Lock()
					defer mu.Unlock()
					env.Warnf("%s: %s", tg.label, oneLine(err.Error()))
				},
			}
			mu.Lock()
			fmt.Fprintf(env.Stderr, "• checking download health of %s (up to %s)\n", tg.label, *timeout)
			mu.Unlock()
			if tg.id != "" {
				results[i], errs[i] = c.Health(ctx, tg.id, o)
			} else {
				results[i], errs[i] = c.ServiceHealth(ctx, tg.flavor, tg.version, o)
			}
			if errs[i] != nil && len(targets) > 1 {
				errs[i] = fmt.Errorf("%s: %w", tg.label, errs[i])
			}
		}()
	}
	wg.Wait()

	if *asJSON {
		type entry struct {
			Target  string               `json:"target"`
			OK      bool                 `json:"ok"`
			Summary string               `json:"summary"` // OK, the worst fresh verdict, or "no report"
			Error   string               `json:"error,omitempty"`
			Result  *portal.HealthResult `json:"result,omitempty"`
		}
		out := struct {
			OK       bool    `json:"ok"`
			Services []entry `json:"services"`
		}{OK: true}
		for i, tg := range targets {
			e := entry{Target: tg.label, Result: results[i], OK: errs[i] == nil, Summary: "no report"}
			if results[i] != nil {
				e.Summary = results[i].Summary()
			}
			if errs[i] != nil {
				e.Error = oneLine(errs[i].Error())
				out.OK = false
			}
			out.Services = append(out.Services, e)
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tSITE\tCONTROLLER\tHEALTH\tREPORTED\tREASON")
		for i, tg := range targets {
			r := results[i]
			if r == nil || len(r.Controllers) == 0 {
				fmt.Fprintf(tw, "%s\t-\t-\t%s\t-\t-\n", tg.label, "no report")
				continue
			}
			for _, cr := range r.Controllers {
				reason := cr.Reason
				if reason == "" {
					reason = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", tg.label, cr.Site, cr.ControllerID, cr.Verdict(),
					cr.Changed.UTC().Format(time.RFC3339), reason)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}
