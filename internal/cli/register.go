package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/portal"
)

// portalClient makes the portal client of a command from its option values
// (flags of the option table) over the HPEGL_* environment, as build does;
// missing configuration is a usage error (exit 2) naming the variable.
func portalClient(cmd string, env *Env, v option.Values) (*portal.Client, error) {
	cfg := pipeline.PortalConfig(v, env.Getenv)
	if err := cfg.Validate(); err != nil {
		return nil, configUsage(cmd, err)
	}
	c, err := portal.New(cfg)
	if err != nil {
		return nil, configUsage(cmd, err)
	}
	return c, nil
}

// configUsage turns portal configuration errors into a usage error.
func configUsage(cmd string, err error) error {
	var ce *portal.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return &UsageError{Cmd: cmd, Msg: strings.ReplaceAll(err.Error(), "\n", "; "), Err: err}
}

// runRegister uploads a service YAML to the portal: create, or update in place
// the service with the same svc_flavor and svc_ver.
func runRegister(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "register")
	v := option.Values{}
	optionFlags(fs, "register", v)
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("register", "want exactly one service YAML file")
	}
	asJSON, err := jsonFlag("register", v)
	if err != nil {
		return err
	}
	c, err := portalClient("register", env, v)
	if err != nil {
		return err
	}
	reg, err := c.Register(ctx, rest[0])
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, reg)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s %s\n  name:    %s\n  flavor:  %s\n  version: %s\n", reg.Action, reg.ID, reg.Name, reg.Flavor, reg.Version)
	return err
}
