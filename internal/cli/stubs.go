package cli

import (
	"context"
	"errors"
)

var errTODO = errors.New("not implemented yet")

func runRemaster(ctx context.Context, env *Env, args []string) error  { return errTODO }
func runInspect(ctx context.Context, env *Env, args []string) error   { return errTODO }
func runSampleISO(ctx context.Context, env *Env, args []string) error { return errTODO }
