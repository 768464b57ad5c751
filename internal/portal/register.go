package portal

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	metal "github.com/hewlettpackard/hpegl-metal-client/v1/pkg/client"

	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// Actions of [Registration].
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
)

// Registration is a service as the portal stored it.
type Registration struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Flavor  string `json:"flavor"`
	Version string `json:"version"`
	Action  string `json:"action"` // created | updated
}

// Register validates the service YAML at path and uploads it: a new service
// when none has its svc_flavor and svc_ver, else an update of that service in
// place (same ID, so hosts and Terraform configurations keep pointing at it).
// It then checks that the stored files[0] has the YAML's size, signature and
// algorithm.
func (c *Client) Register(ctx context.Context, path string) (*Registration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := service.Validate(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	svc, err := service.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	id, err := c.Find(ctx, svc.SvcFlavor, svc.SvcVer)
	if err != nil {
		return nil, err
	}
	action := ActionCreated
	if id != "" {
		action = ActionUpdated
	}
	got, err := c.upload(ctx, id, path)
	if err != nil {
		return nil, err
	}
	if id != "" && got.ID != id {
		return nil, &MismatchError{ID: id, Field: "ID after update", Want: id, Got: got.ID}
	}
	if err := checkFiles(got.ID, svc, got.Files); err != nil {
		return nil, err
	}
	return &Registration{ID: got.ID, Name: got.Name, Flavor: got.Flavor, Version: got.Version, Action: action}, nil
}

// Find returns the ID of the service with this flavor and version, "" when
// there is none, and an *[AmbiguousError] when there are several.
func (c *Client) Find(ctx context.Context, flavor, version string) (string, error) {
	all, err := c.services(ctx)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, s := range all {
		if s.Flavor == flavor && s.Version == version {
			ids = append(ids, s.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", nil
	case 1:
		return ids[0], nil
	}
	return "", &AmbiguousError{Flavor: flavor, Version: version, IDs: ids}
}

// checkFiles compares the stored files[0] with the YAML's.
func checkFiles(id string, svc *service.Service, files []metal.FileInfo) error {
	if len(svc.Files) == 0 {
		return nil
	}
	want := svc.Files[0]
	if len(files) == 0 {
		return &MismatchError{ID: id, Field: "files", Want: "1 file", Got: "none"}
	}
	got := files[0]
	if got.FileSize != want.FileSize {
		return &MismatchError{ID: id, Field: "files[0].file_size", Want: strconv.FormatInt(want.FileSize, 10), Got: strconv.FormatInt(got.FileSize, 10)}
	}
	if !strings.EqualFold(got.Signature, want.Signature) {
		return &MismatchError{ID: id, Field: "files[0].signature", Want: want.Signature, Got: got.Signature}
	}
	if string(got.Algorithm) != want.Algorithm {
		return &MismatchError{ID: id, Field: "files[0].algorithm", Want: want.Algorithm, Got: string(got.Algorithm)}
	}
	return nil
}
