// Package artifact uploads a workflow artifact from inside the action's
// container with the Actions artifact v4 protocol, the one
// actions/upload-artifact@v4 speaks, so that a run's result (the service YAML,
// the rendered kickstarts) can be downloaded from the run page.
//
// The protocol, as actions/toolkit's @actions/artifact implements it:
//
//  1. the run and job backend ids come from the `scp` claim of the
//     ACTIONS_RUNTIME_TOKEN JWT, whose space-separated scopes include
//     "Actions.Results:<runBackendId>:<jobBackendId>" (the signature is not
//     checked: the token is only passed back to the service that minted it);
//  2. Twirp JSON POST $ACTIONS_RESULTS_URL/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact
//     with workflow_run_backend_id, workflow_job_run_backend_id, name,
//     version 4 and (with a retention) expires_at returns a signed blob URL;
//  3. the zip is uploaded to that URL as an Azure block blob: Put Block
//     (&comp=block&blockid=...) per 4 MiB block, then Put Block List
//     (&comp=blocklist) naming the blocks in order. The signed URL carries its
//     own SAS authorisation: the runtime token is never sent to blob storage.
//     (x-ms-blob-type: BlockBlob belongs to Put Blob, which is not used.);
//  4. FinalizeArtifact with the zip's size and hash "sha256:<hex>" returns the
//     artifact id.
//
// Responses are read in proto3 JSON either way a server writes them:
// snake_case or lowerCamelCase field names, and int64 values as JSON strings
// or numbers. Requests use the proto field names; no mime_type is sent (the
// field is newer than some servers, and a protojson server rejects unknown
// fields).
//
// The zip is deterministic (fixed modification time, files in the given
// order), so the same files give the same hash on every run.
//
// Each request is retried on 429, 5xx and transient transport errors, as
// GitHub's own artifact client does (retry.go); what still fails is a warning
// for the caller. The package does not read the environment or print; a
// missing token or URL is [ErrNoRuntime].
package artifact
