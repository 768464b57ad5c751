package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/esxi-byoi/esxi-byoi/internal/portal"
)

// portalFlags are the portal settings a command takes as flags; the HPEGL_*
// environment (HPE's Terraform provider names) fills what they leave empty,
// and credentials come only from the environment.
type portalFlags struct {
	restURL, projectID, spaceName, caFile string
}

func (pf *portalFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&pf.restURL, "metal-rest-url", "", "portal REST URL, e.g. https://client.greenlake.hpe.com/api/metal (env "+portal.EnvRestURL+")")
	fs.StringVar(&pf.projectID, "metal-project-id", "", "project ID, sent as the Project header (env "+portal.EnvProjectID+")")
	fs.StringVar(&pf.spaceName, "metal-space-name", "", "space name, sent as the Space header for tenant/hoster scope (env "+portal.EnvSpaceName+")")
	fs.StringVar(&pf.caFile, "ca-file", "", "PEM file with an extra CA trusted for the portal and IAM endpoint (and for downloads)")
}

// config merges flags over the environment and checks the result; missing
// configuration is a usage error (exit 2) naming the variable.
func (pf *portalFlags) config(cmd string, env *Env) (portal.Config, error) {
	c := portal.ConfigFromEnv(env.Getenv)
	for _, f := range []struct {
		dst *string
		v   string
	}{{&c.RestURL, pf.restURL}, {&c.ProjectID, pf.projectID}, {&c.SpaceName, pf.spaceName}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if pf.projectID != "" && pf.spaceName == "" {
		c.SpaceName = "" // a flag picks the scope over the environment's other one
	}
	if pf.spaceName != "" && pf.projectID == "" {
		c.ProjectID = ""
	}
	c.CAFile = pf.caFile
	c.UserAgent = "esxi-byoi/" + Version
	if err := c.Validate(); err != nil {
		return c, configUsage(cmd, err)
	}
	return c, nil
}

// configUsage turns portal configuration errors into a usage error.
func configUsage(cmd string, err error) error {
	var ce *portal.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return usagef(cmd, "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
}

// runRegister uploads a service YAML to the portal: create, or update in place
// the service with the same svc_flavor and svc_ver.
func runRegister(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "register")
	var pf portalFlags
	pf.add(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON: {id, name, flavor, version, action}")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("register", "want exactly one service YAML file")
	}
	cfg, err := pf.config("register", env)
	if err != nil {
		return err
	}
	c, err := portal.New(cfg)
	if err != nil {
		return configUsage("register", err)
	}
	reg, err := c.Register(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reg)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s %s\n  name:    %s\n  flavor:  %s\n  version: %s\n", reg.Action, reg.ID, reg.Name, reg.Flavor, reg.Version)
	return err
}
