package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/watch"
)

// runHealth asks every on-prem controller to check the download of one or
// more registered services and prints their verdicts, one row per controller.
func runHealth(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "health")
	v := option.Values{}
	optionFlags(fs, "health", v)
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if (v["service-id"] == "") == (len(rest) == 0) {
		return usagef("health", "give service YAML files (or directories), or --service-id, not both")
	}
	asJSON, err := jsonFlag("health", v)
	if err != nil {
		return err
	}
	timeout, _ := time.ParseDuration(v.Get("timeout")) // checked by the flag
	poll, _ := time.ParseDuration(v.Get("poll-interval"))
	if timeout <= 0 || poll <= 0 {
		return usagef("health", "--timeout and --poll-interval must be > 0")
	}
	var targets []watch.Target
	if id := v["service-id"]; id != "" {
		targets = append(targets, watch.Target{Label: id, ID: id})
	} else {
		files, err := watch.ServiceFiles(rest, env.Warnf)
		if err != nil {
			return err
		}
		if targets, err = watch.Targets(files); err != nil {
			return err
		}
	}
	c, err := portalClient("health", env, v)
	if err != nil {
		return err
	}

	var mu sync.Mutex // progress of services checked at the same time
	rows := watch.Health(ctx, c, targets, func(tg watch.Target) portal.HealthOptions {
		mu.Lock()
		fmt.Fprintf(env.Stderr, "• checking download health of %s (up to %s)\n", tg.Label, timeout)
		mu.Unlock()
		return portal.HealthOptions{
			Timeout: timeout, PollInterval: poll,
			OnChange: func(r portal.ControllerReport) {
				mu.Lock()
				defer mu.Unlock()
				line := fmt.Sprintf("  %s: %s: %s", tg.Label, r.Site, r.Verdict())
				if r.Reason != "" {
					line += " (" + r.Reason + ")"
				}
				fmt.Fprintln(env.Stderr, line)
			},
			OnProblem: func(err error) {
				mu.Lock()
				defer mu.Unlock()
				env.Warnf("%s: %s", tg.Label, oneLine(err.Error()))
			},
		}
	})
	if asJSON {
		err = healthJSON(env.Stdout, rows)
	} else {
		err = healthTable(env.Stdout, rows)
	}
	if err != nil {
		return err
	}
	return watch.HealthFailed(rows)
}

func healthJSON(w io.Writer, rows []watch.HealthRow) error {
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
	for _, r := range rows {
		e := entry{Target: r.Label, Result: r.Result, OK: r.Err == nil, Summary: r.Summary()}
		if r.Err != nil {
			e.Error = oneLine(r.Err.Error())
			out.OK = false
		}
		out.Services = append(out.Services, e)
	}
	return writeJSON(w, out)
}

func healthTable(w io.Writer, rows []watch.HealthRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSITE\tCONTROLLER\tHEALTH\tREPORTED\tREASON")
	for _, row := range rows {
		if row.Result == nil || len(row.Result.Controllers) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t%s\t-\t-\n", row.Label, "no report")
			continue
		}
		for _, cr := range row.Result.Controllers {
			reason := cr.Reason
			if reason == "" {
				reason = "-"
			}
			reported := "-" // a controller that never reported
			if !cr.Changed.IsZero() {
				reported = cr.Changed.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", row.Label, cr.Site, cr.ControllerID, cr.Verdict(), reported, reason)
		}
	}
	return tw.Flush()
}
