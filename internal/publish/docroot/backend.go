package docroot

import (
	"context"
	"os"
	"path/filepath"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/publish"
	"github.com/esxi-byoi/esxi-byoi/internal/safefile"
)

// Backend publishes into Destination.Dir.
var Backend = publish.Backend{
	Selected: func(d publish.Destination) bool { return d.Dir != "" },
	New: func(_ context.Context, d publish.Destination) (publish.Publisher, error) {
		return &publisher{d: d, target: filepath.Join(d.Dir, d.Name)}, nil
	},
}

// publisher is one ISO published into a directory.
type publisher struct {
	d      publish.Destination
	target string
}

// Preflight checks that the directory exists and takes a new file, by
// creating and removing a temp file beside the target.
func (p *publisher) Preflight(context.Context) error {
	if err := checkDir(p.d.Dir); err != nil {
		return err
	}
	f, err := safefile.Create(p.target)
	if err != nil {
		return err
	}
	f.Abort()
	return nil
}

func (p *publisher) Publish(ctx context.Context, f publish.File) (*publish.Object, error) {
	return Publish(ctx, Options{
		Dir: p.d.Dir, File: f.Path, Name: p.d.Name, Size: f.Size, SHA256: f.SHA256,
		Replace: p.d.Replace, URL: p.d.URL, Progress: f.Progress,
	})
}

func (p *publisher) Readable(context.Context) bool {
	f, err := os.Open(p.target)
	if err != nil {
		return false
	}
	_ = f.Close()
	return true
}

// checkDir: the directory must exist; it is never created, since a typo
// would otherwise publish where no web server looks.
func checkDir(dir string) error {
	if st, err := os.Stat(dir); err != nil {
		return &option.Error{Option: "publish-dir", Err: err}
	} else if !st.IsDir() {
		return &option.Error{Option: "publish-dir", Msg: dir + " is not a directory"}
	}
	return nil
}
