package portal_test

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/httpclient"
	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
)

// Every fix a portal error prints is in the README's troubleshooting table.
func TestEveryHintIsInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var errs []interface{ Hint() string }
	errs = append(errs, &portal.ConfigError{}, &portal.IAMError{Status: 401}, &portal.IAMError{Status: 500},
		&portal.TokenExpiredError{}, &portal.AmbiguousError{}, &portal.MismatchError{}, &portal.NotRegisteredError{},
		&portal.HealthError{}, &portal.HealthError{NotOK: []portal.ControllerReport{{}}},
		&portal.TransportError{Err: httpclient.Describe(errors.Join(errTimeout{}))},
		&portal.APIError{Status: 401, Token: true})
	for _, st := range []int{400, 401, 403, 404, 405, 409, 500} {
		errs = append(errs, &portal.APIError{Status: st})
	}
	for _, e := range errs {
		require.NotEmpty(t, e.Hint(), "%T", e)
		require.Contains(t, string(readme), option.CLI.Expand(e.Hint()), "%T %v", e, e)
	}
	require.Contains(t, string(readme), option.CLI.Expand(portal.HintCAFile))
}

type errTimeout struct{}

func (errTimeout) Error() string   { return "i/o timeout" }
func (errTimeout) Timeout() bool   { return true }
func (errTimeout) Temporary() bool { return true }
