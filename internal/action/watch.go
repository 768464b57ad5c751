package action

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/verify"
	"github.com/esxi-byoi/esxi-byoi/internal/version"
	"github.com/esxi-byoi/esxi-byoi/internal/watch"
)

// watchOptions are the settings of watch mode: where the service YAMLs are,
// and the verification and portal settings (pipeline.NewWatch).
type watchOptions struct {
	services string // file or directory, resolved against the workspace
	pipeline.Options
}

// watchOptions reads the inputs of watch mode.
func (j *job) watchOptions() error {
	v := j.in.values(option.ModeWatch, j.abs)
	o, err := pipeline.NewWatch(v, j.h.Getenv)
	if err != nil {
		return err
	}
	j.watchOpts = watchOptions{services: v.Get("services"), Options: o}
	return nil
}

// watch verifies every service YAML under the services input as the on-prem
// controller would and, with health, asks the portal's controllers about
// each service; the summary has one table of each, and any drift (a file
// that no longer matches its YAML, a controller not OK) fails the step,
// after the summary is written.
func (j *job) watch(ctx context.Context) error {
	o := j.watchOpts
	var mu sync.Mutex // health checks of several services log at the same time
	warn := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		j.h.Warning("%s", j.forReader(fmt.Sprintf(format, args...)))
	}
	files, err := watch.ServiceFiles([]string{o.services}, warn)
	if err != nil {
		return &option.Error{Option: "services", Err: err, Fix: "give a service YAML or a directory of them, relative to the workspace (check out the repository first)"}
	}

	j.h.Group(fmt.Sprintf("verifying %d service YAML(s) as the on-prem controller would", len(files)))
	rows := watch.Verify(ctx, files, verify.Options{CAFile: o.CAFile, UserAgent: version.UserAgent(), Progress: progress.New(j.h.Log(), false)}, warn)
	for _, r := range rows {
		if r.Err != nil {
			j.h.Logf("%s %s: FAILED: %s", j.repoPath(r.Service), r.FileName(), j.forReader(option.Action.Message(r.Err)))
		} else {
			j.h.Logf("%s %s: verified (%d bytes)", j.repoPath(r.Service), r.FileName(), r.Result.Size)
		}
	}
	j.h.EndGroup()

	var health []watch.HealthRow
	if o.Health {
		health, err = j.watchHealth(ctx, files, &mu)
		if err != nil {
			return err
		}
	}

	var errs []error
	for _, r := range rows {
		errs = append(errs, r.Err)
	}
	for _, r := range health {
		errs = append(errs, r.Err)
	}
	delete(j.out, "published") // nothing is published in a watch
	if len(health) > 0 {
		j.out["download-health"] = worstHealth(health)
	}
	runErr := errors.Join(errs...) // report writes its paths relative to the workspace
	if err := j.deliver(ctx, watchSummary(j, rows, health, runErr), nil, false); err != nil && runErr == nil {
		return err
	}
	return runErr
}

// healthRank orders the services' summaries for worstHealth: as within one
// service, a controller's fresh verdict outweighs a missing report.
var healthRank = map[string]int{
	portal.HealthOK: 0, "incomplete": 1, "no report": 2,
	portal.HealthWarning: 3, portal.HealthUnknown: 4, portal.HealthCritical: 5,
}

// worstHealth is the download-health output of a watch: "OK" when every
// service is OK, else the worst of their summaries (Critical over Unknown
// over Warning over no report over incomplete), whatever their order.
func worstHealth(rows []watch.HealthRow) string {
	worst := portal.HealthOK
	for _, r := range rows {
		if s := r.Summary(); healthRank[s] > healthRank[worst] {
			worst = s
		}
	}
	return worst
}

// watchHealth asks the portal for every controller's verdict on the service
// of each YAML.
func (j *job) watchHealth(ctx context.Context, files []string, mu *sync.Mutex) ([]watch.HealthRow, error) {
	o := j.watchOpts
	targets, err := watch.Targets(files)
	if err != nil {
		return nil, err
	}
	c, err := o.PortalClient()
	if err != nil {
		return nil, err
	}
	j.h.Group(fmt.Sprintf("checking download health of %d service(s) at every on-prem controller", len(targets)))
	defer j.h.EndGroup()
	rows := watch.Health(ctx, c, targets, func(tg watch.Target) portal.HealthOptions {
		label := j.repoPath(tg.Label)
		return portal.HealthOptions{
			Timeout: o.HealthTimeout, PollInterval: o.HealthPollInterval,
			OnChange: func(r portal.ControllerReport) {
				mu.Lock()
				defer mu.Unlock()
				j.h.Logf("%s: %s: %s", label, r.Site, r.Verdict())
			},
			OnProblem: func(err error) {
				mu.Lock()
				defer mu.Unlock()
				j.h.Warning("%s: %s", label, err)
			},
		}
	})
	if len(rows) == 1 && rows[0].Err != nil {
		// watch.Health names the YAML only among several; a watch always does
		rows[0].Err = fmt.Errorf("%s: %w", rows[0].Label, rows[0].Err)
	}
	return rows, nil
}

// watchSummary is the job summary of a watch: one table of the downloads,
// one of the controllers' verdicts.
func watchSummary(j *job, rows []watch.VerifyRow, health []watch.HealthRow, runErr error) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "### esxi-byoi watch: %s\n\n", code(j.repoPath(j.watchOpts.services)))
	failed := 0
	for _, r := range rows {
		if r.Err != nil {
			failed++
		}
	}
	notOK := 0
	for _, r := range health {
		if r.Err != nil {
			notOK++
		}
	}
	if runErr != nil {
		b.WriteString("> [!CAUTION]\n> Drift: ")
		var what []string
		if failed > 0 {
			what = append(what, fmt.Sprintf("%d of %d file(s) no longer match their service YAML", failed, len(rows)))
		}
		if notOK > 0 {
			what = append(what, fmt.Sprintf("%d of %d service(s) are not downloadable at every controller", notOK, len(health)))
		}
		b.WriteString(strings.Join(what, "; ") + ".\n\n")
	} else {
		fmt.Fprintf(&b, "No drift: %d file(s) verified", len(rows))
		if len(health) > 0 {
			fmt.Fprintf(&b, ", %d service(s) OK at every controller", len(health))
		}
		b.WriteString(".\n\n")
	}
	b.WriteString("#### Downloads, as the on-prem controller does them\n\n| service | file | URL | result | detail |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		result, detail := "verified", ""
		if r.Err != nil {
			result, detail = "**FAILED**", cell(j.forReader(option.Action.Message(r.Err)))
		} else {
			detail = fmt.Sprintf("%d bytes, %s", r.Result.Size, cell(r.Result.Algorithm))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", code(j.repoPath(r.Service)), r.FileName(), cell(r.URL), result, detail)
	}
	sections := []string{b.String() + "\n"}
	if len(health) > 0 {
		var rel []watch.HealthRow
		for _, r := range health {
			r.Label = j.repoPath(r.Label)
			rel = append(rel, r)
		}
		sections = append(sections, healthSection(rel, true))
	}
	return sections
}

// healthSection is the table of the controllers' verdicts: one row per
// controller (site, verdict, reason, when reported), and per service when
// withService.
func healthSection(rows []watch.HealthRow, withService bool) string {
	var b strings.Builder
	b.WriteString("#### Download health at the on-prem controllers\n\n")
	head, sep := "| site | verdict | reason | reported |\n", "|---|---|---|---|\n"
	if withService {
		head, sep = "| service "+head, "|---"+sep
	}
	b.WriteString(head + sep)
	for _, r := range rows {
		svc := ""
		if withService {
			svc = "| " + code(r.Label) + " "
		}
		if r.Result == nil || len(r.Result.Controllers) == 0 {
			reason := "no controller reported"
			if r.Err != nil {
				reason = option.Action.Message(r.Err)
			}
			fmt.Fprintf(&b, "%s| - | **no report** | %s | - |\n", svc, cell(reason))
			continue
		}
		for _, c := range r.Result.Controllers {
			verdict := cell(c.Verdict())
			if !c.OK() {
				verdict = "**" + verdict + "**"
			}
			reason := "-"
			if c.Reason != "" {
				reason = cell(c.Reason)
			}
			reported := "-" // a controller that never reported
			if !c.Changed.IsZero() {
				reported = c.Changed.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(&b, "%s| %s | %s | %s | %s |\n", svc, cell(c.Site), verdict, reason, reported)
		}
	}
	return b.String() + "\n"
}
