package action

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
)

// githubTimeout bounds each call to GitHub's API. A run makes at most a few
// (the base files, the comment), each small; an API that does not answer
// within it is taken for unreachable, and the rest of the run skips it.
var githubTimeout = 10 * time.Second

// githubAPI is the job's one client of GitHub's API, shared by the contents
// API and the comment, so that an unreachable API costs one timeout, not one
// per call.
type githubAPI struct {
	hc   *http.Client
	down error // the transport error that showed the API unreachable
}

// githubClient returns the shared client, or the error that showed the API
// unreachable earlier in the run.
func (j *job) githubClient() (*http.Client, error) {
	if j.gh.down != nil {
		return nil, fmt.Errorf("GitHub's API did not answer earlier in this run, so it was not asked again: %w", j.gh.down)
	}
	if j.gh.hc == nil {
		hc, err := httpclient.New(httpclient.Options{Timeout: githubTimeout, ResponseHeaderTimeout: githubTimeout})
		if err != nil {
			return nil, err
		}
		j.gh.hc = hc
	}
	return j.gh.hc, nil
}

// githubFailed records err when it shows the API unreachable (no answer at
// all: refused, unresolvable, timed out), as opposed to an answer such as
// 403 or 404.
func (j *job) githubFailed(err error) {
	var (
		ue *url.Error
		ne net.Error
		he *httpclient.Error
	)
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &he) {
		if j.gh.down == nil {
			j.gh.down = err
		}
	}
}

// retentionDays parses the retention-days input: empty (the repository's
// setting) or 1 to 90, as actions/upload-artifact takes it.
func retentionDays(in inputs, errs *[]error) int {
	v := in["retention-days"]
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 90 {
		*errs = append(*errs, &option.Error{Option: "retention-days", Msg: fmt.Sprintf("%q is not a number of days from 1 to 90", v),
			Fix: "write a whole number of days from 1 to 90, or leave it empty for the repository's setting"})
		return 0
	}
	return n
}
