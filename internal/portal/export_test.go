package portal_test

import "github.com/esxi-byoi/esxi-byoi/internal/secret"

func secretOf(s string) secret.String { return secret.New(s) }
