// Package portal talks to the HPE Bare Metal ("GreenLake Metal") portal: it
// registers an OS service YAML (create, or update in place the service with
// the same svc_flavor and svc_ver) and asks every on-prem controller for its
// download-health verdict on a service.
//
// It is the one home of HPE's official client
// (github.com/hewlettpackard/hpegl-metal-client, package v1/pkg/client,
// generated from the spec in its v1/pkg/client/api/openapi.yaml) and of
// golang.org/x/oauth2: no type of either leaves this package. Callers see
// [Config], [Client], [Registration], [HealthResult] and typed errors whose
// Hint method says what to change.
//
// Authentication follows HPE's Terraform provider: a GreenLake API client's id
// and secret are exchanged for a bearer token at
// {HPEGL_IAM_SERVICE_URL}/v1/token (client_credentials, scope hpe-tenant, id
// and secret in the form), renewed before it expires and once more when the
// portal refuses it; or a ready HPEGL_IAM_TOKEN is used as is and its expiry is
// reported, not renewed. Every request carries the scope header Project: <id>
// or Space: <name>. Secrets travel as secret.String and appear in no error.
//
// It does not validate service YAML beyond calling service.Validate, and it
// never downloads the ISO (package verify does).
//
// Over the ~800-line guide because token handling, the health poll (fresh
// reports only) and a typed error with a fix for each portal and IAM answer
// each need their own file; splitting them would export the client's internals.
package portal
