package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	metal "github.com/hewlettpackard/hpegl-metal-client/v1/pkg/client"

	"github.com/esxi-byoi/esxi-byoi/internal/retry"
)

// Defaults of [HealthOptions].
const (
	DefaultHealthTimeout = 30 * time.Minute
	DefaultPollInterval  = 15 * time.Second
)

// The download-health summaries a controller reports.
const (
	HealthOK       = "OK"
	HealthWarning  = "Warning"
	HealthCritical = "Critical"
	HealthUnknown  = "Unknown"
)

// HealthOptions configure [Client.Health].
type HealthOptions struct {
	Timeout      time.Duration // whole wait; 0 = DefaultHealthTimeout
	PollInterval time.Duration // 0 = DefaultPollInterval
	// OnChange, when set, is called when a controller's report changes (a new
	// report, another summary or reason); not on every poll.
	OnChange func(ControllerReport)
	// OnProblem, when set, hears about failures that do not end the wait (a
	// poll that timed out, a site list the scope may not read).
	OnProblem func(error)
}

// ControllerReport is one on-prem controller's verdict on a service's download.
type ControllerReport struct {
	ControllerID string    `json:"controller_id"`
	Site         string    `json:"site"`    // "FTC1, Central, USA": data center, region, country
	Summary      string    `json:"summary"` // OK | Warning | Critical | Unknown
	Reason       string    `json:"reason"`
	Changed      time.Time `json:"changed"`
	Fresh        bool      `json:"fresh"` // made after the check was triggered
}

// OK reports whether the controller answered, after the trigger, that it can
// download the service.
func (r ControllerReport) OK() bool { return r.Fresh && r.Summary == HealthOK }

// Verdict is the summary to print: "no fresh report" for a stale one.
func (r ControllerReport) Verdict() string {
	if !r.Fresh {
		return "no fresh report"
	}
	return r.Summary
}

// HealthResult is the download health of one service after a check.
type HealthResult struct {
	ServiceID   string             `json:"service_id"`
	Name        string             `json:"name"`
	Flavor      string             `json:"flavor"`
	Version     string             `json:"version"`
	Triggered   time.Time          `json:"triggered"`
	Controllers []ControllerReport `json:"controllers"` // sorted by site
}

// OK reports whether at least one controller reported and every one of them
// reported OK after the trigger.
func (r *HealthResult) OK() bool {
	if len(r.Controllers) == 0 {
		return false
	}
	for _, c := range r.Controllers {
		if !c.OK() {
			return false
		}
	}
	return true
}

// Summary is "OK", or the worst fresh summary, or "no report".
func (r *HealthResult) Summary() string {
	if r.OK() {
		return HealthOK
	}
	fresh := false
	worst := HealthOK
	rank := map[string]int{HealthOK: 0, HealthWarning: 1, HealthUnknown: 2, HealthCritical: 3}
	for _, c := range r.Controllers {
		if c.Fresh {
			fresh = true
			if rank[c.Summary] > rank[worst] {
				worst = c.Summary
			}
		}
	}
	if !fresh {
		return "no report"
	}
	if worst == HealthOK {
		return "incomplete" // some OK, others without a fresh report
	}
	return worst
}

// HealthError says which controllers are not OK, or that none reported.
type HealthError struct {
	ServiceID string
	Timeout   time.Duration
	NotOK     []ControllerReport // empty when none reported
}

func (e *HealthError) Error() string {
	if len(e.NotOK) == 0 {
		return fmt.Sprintf("service %s: no controller reported its download health within %s", e.ServiceID, e.Timeout)
	}
	var parts []string
	for _, r := range e.NotOK {
		s := r.Site + ": " + r.Verdict()
		if r.Fresh && r.Reason != "" {
			s += " (" + r.Reason + ")"
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("service %s: download health not OK at %d controller(s): %s", e.ServiceID, len(e.NotOK), strings.Join(parts, "; "))
}

// Hint implements the CLI's fix line.
func (e *HealthError) Hint() string {
	if len(e.NotOK) == 0 {
		return "check that the service's secure_url is reachable from the on-prem controllers (firewall, proxy, DNS, certificate), that the project's sites are online, and try a longer timeout"
	}
	return "make secure_url downloadable from each controller named (see its reason), then run health again"
}

// Health triggers a download-health check of the service and waits until
// every controller has reported after the trigger, with none Unknown, or
// until the timeout. Every controller is each one in the service's
// DetailedDownloadHealth before or after the trigger, and each one serving a
// site of GET /available-resources. Reports older than the trigger are never taken as an
// answer. It returns the result and, when not every controller reported OK, a
// *[HealthError] (with the result still set).
//
// "After the trigger" means: Changed is not before the earlier of our clock
// and the portal's Date before the trigger, and is newer than the report the
// controller had just before the trigger. So clock skew cannot turn an old
// report into a fresh one.
func (c *Client) Health(ctx context.Context, id string, o HealthOptions) (*HealthResult, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultHealthTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	problem := func(err error) {
		if o.OnProblem != nil {
			o.OnProblem(err)
		}
	}
	deadline := c.now().Add(o.Timeout)
	sites, err := c.Sites(ctx)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			return nil, err
		}
		problem(fmt.Errorf("controllers are named by ID: %w", err))
	}
	before, err := c.service(ctx, id)
	if err != nil {
		return nil, err
	}
	baseline := map[string]time.Time{}
	for cid, d := range before.DownloadHealth.DetailedDownloadHealth {
		baseline[cid] = d.Changed
	}
	trigger := c.now()
	date, err := c.triggerHealth(ctx, id)
	if err != nil {
		return nil, err
	}
	if !date.IsZero() && date.Before(trigger) {
		trigger = date
	}
	res := &HealthResult{ServiceID: id, Name: before.Name, Flavor: before.Flavor, Version: before.Version, Triggered: trigger}
	last := map[string]ControllerReport{}
	// A steady poll (no backoff, no jitter) on the one retry loop: a
	// transient failure (no answer, 5xx, 429, an IAM outage while a token is
	// renewed) counts as one failed poll, not the end of the wait.
	errPending := errors.New("not every controller has a fresh report yet")
	// The last wait is cut short so that one poll falls on the deadline.
	poll := retry.Policy{
		Base: o.PollInterval, Max: o.PollInterval, Jitter: func(d time.Duration) time.Duration { return d },
		Sleep: func(ctx context.Context, d time.Duration) error {
			return retry.Sleep(ctx, min(d, deadline.Sub(c.now())))
		},
		Now: c.now,
		Retryable: func(err error) bool {
			return (errors.Is(err, errPending) || transient(err)) && c.now().Before(deadline)
		},
	}
	_, err = poll.Do(ctx, func(int) error {
		svc, err := c.service(ctx, id)
		if err != nil {
			if transient(err) {
				problem(err)
			}
			return err
		}
		res.Controllers = reports(svc.DownloadHealth.DetailedDownloadHealth, sites, trigger, baseline)
		done := len(res.Controllers) > 0
		for _, r := range res.Controllers {
			// Progress on change only: a new fresh report, or a report that differs.
			prev, seen := last[r.ControllerID]
			if o.OnChange != nil && ((seen && !sameReport(prev, r)) || (!seen && r.Fresh)) {
				o.OnChange(r)
			}
			last[r.ControllerID] = r
			done = done && r.Fresh && r.Summary != HealthUnknown
		}
		if !done {
			return errPending
		}
		return nil
	})
	switch {
	case ctx.Err() != nil:
		return res, context.Cause(ctx)
	case err != nil && !errors.Is(err, errPending) && !transient(err):
		return res, err
	}
	// Done, or the deadline came: the reports decide.
	if res.OK() {
		return res, nil
	}
	he := &HealthError{ServiceID: id, Timeout: o.Timeout}
	anyFresh := false
	for _, r := range res.Controllers {
		anyFresh = anyFresh || r.Fresh
		if !r.OK() {
			he.NotOK = append(he.NotOK, r)
		}
	}
	if !anyFresh {
		he.NotOK = nil
	}
	return res, he
}

// transient reports whether a failed poll may succeed next time: no answer
// for now, or a portal or IAM endpoint that is down or busy (a token renewed
// during a long wait can meet an IAM outage).
func transient(err error) bool {
	var te *TransportError
	var ae *APIError
	var ie *IAMError
	busy := func(status int) bool { return status >= 500 || status == http.StatusTooManyRequests }
	return (errors.As(err, &te) && te.Transient()) || (errors.As(err, &ae) && busy(ae.Status)) ||
		(errors.As(err, &ie) && busy(ie.Status))
}

func reports(m map[string]metal.OsServiceImageDownloadHealthControllerDetails, sites map[string]Site, trigger time.Time, baseline map[string]time.Time) []ControllerReport {
	out := make([]ControllerReport, 0, len(m))
	for cid, d := range m {
		site, ok := sites[cid]
		if !ok {
			site = Site{ControllerID: cid}
		}
		prev, had := baseline[cid]
		out = append(out, ControllerReport{
			ControllerID: cid, Site: site.String(), Summary: string(d.Summary), Reason: d.Reason, Changed: d.Changed,
			Fresh: !d.Changed.Before(trigger) && (!had || d.Changed.After(prev)),
		})
	}
	// A controller that reported before the trigger and is missing now has
	// not answered: it must not drop out of "every controller".
	for cid, prev := range baseline {
		if _, ok := m[cid]; ok {
			continue
		}
		site, ok := sites[cid]
		if !ok {
			site = Site{ControllerID: cid}
		}
		out = append(out, ControllerReport{ControllerID: cid, Site: site.String(), Summary: HealthUnknown,
			Reason: "no longer in the portal's download health", Changed: prev})
	}
	// A controller of the project's sites that has never reported is not
	// left out either: "every controller" means every one that serves it.
	for cid, site := range sites {
		if _, ok := m[cid]; ok {
			continue
		}
		if _, ok := baseline[cid]; ok {
			continue
		}
		out = append(out, ControllerReport{ControllerID: cid, Site: site.String(), Summary: HealthUnknown,
			Reason: "no download health report from this site's controller"})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Site != out[j].Site {
			return out[i].Site < out[j].Site
		}
		return out[i].ControllerID < out[j].ControllerID
	})
	return out
}

func sameReport(a, b ControllerReport) bool {
	return a.Summary == b.Summary && a.Reason == b.Reason && a.Fresh == b.Fresh && a.Changed.Equal(b.Changed)
}

// ServiceHealth finds the service registered for a YAML's svc_flavor and
// svc_ver and checks it (see [Client.Health]).
func (c *Client) ServiceHealth(ctx context.Context, flavor, version string, o HealthOptions) (*HealthResult, error) {
	id, err := c.Find(ctx, flavor, version)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, &NotRegisteredError{Flavor: flavor, Version: version}
	}
	return c.Health(ctx, id, o)
}

// NotRegisteredError is a service YAML the portal has no service for.
type NotRegisteredError struct{ Flavor, Version string }

func (e *NotRegisteredError) Error() string {
	return fmt.Sprintf("portal: no service has svc_flavor %q and svc_ver %q", e.Flavor, e.Version)
}

// Hint implements the CLI's fix line.
func (e *NotRegisteredError) Hint() string {
	return "register it first ('esxi-byoi register SERVICE.yml'), or check {metal-project-id} / {metal-space-name}"
}
