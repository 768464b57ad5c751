package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/esxi-byoi/esxi-byoi/internal/option"
	"github.com/esxi-byoi/esxi-byoi/internal/pipeline"
	"github.com/esxi-byoi/esxi-byoi/internal/progress"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/sample"
)

func runRemaster(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "remaster")
	v := option.Values{}
	optionFlags(fs, "remaster", v)
	if err := parse(fs, args); err != nil {
		return err
	}
	in, out := v["input"], v["output"]
	if in == "" || out == "" {
		return usagef("remaster", "both -i INPUT and -o OUTPUT are required")
	}
	if fs.NArg() > 0 {
		return usagef("remaster", "unexpected argument %q", fs.Arg(0))
	}
	asJSON, err := jsonFlag("remaster", v)
	if err != nil {
		return err
	}
	edit := remaster.KerneloptEdit{Replace: v["kernelopt"], Add: v.List("kernelopt-add"), Remove: v.List("kernelopt-remove")}
	if err := pipeline.CheckKernelopt(edit); errors.Is(err, remaster.ErrNoPortalKickstart) {
		// a warning: remaster also serves media booted outside the portal
		env.Warnf("%s; build refuses this (fix: %s)", option.CLI.Message(err), option.CLI.Expand(pipeline.Hint(err)))
	}
	res, err := remaster.Run(ctx, remaster.Options{
		Input: in, Output: out, Kernelopt: edit, EmbedKickstart: v["embed-kickstart"], Progress: env.Progress,
	})
	if errors.Is(err, remaster.ErrSameFile) {
		return usagef("remaster", "%w", err)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, res)
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n  size:    %d bytes (%s)\n  sha256:  %s\n", res.Output, res.Size, progress.Bytes(res.Size), res.SHA256)
	if res.Version != "" {
		fmt.Fprintf(env.Stdout, "  esxi:    %s build %s (%s)\n", res.Version, res.Build, res.VolumeID)
	}
	for _, e := range res.Edited {
		moved := ""
		if e.Relocated {
			moved = " (moved to the end of the image)"
		}
		if e.Path == remaster.KickstartPath {
			fmt.Fprintf(env.Stdout, "  added:   %s%s\n", e.Path, moved)
			continue
		}
		fmt.Fprintf(env.Stdout, "  edited:  %s kernelopt=%s%s\n", e.Path, e.After, moved)
	}
	return nil
}

func runInspect(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "inspect")
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("inspect", "want exactly one ISO file")
	}
	info, err := remaster.Inspect(fs.Arg(0))
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, info)
	}
	w := env.Stdout
	fmt.Fprintf(w, "file:            %s (%s)\n", info.Path, progress.Bytes(info.Size))
	fmt.Fprintf(w, "volume id:       %s\n", info.VolumeID)
	fmt.Fprintf(w, "application id:  %s\n", info.ApplicationID)
	ver := info.Version
	if ver == "" {
		ver = "unknown"
	}
	if info.Build != "" {
		ver += " build " + info.Build
	}
	fmt.Fprintf(w, "esxi version:    %s\n", ver)
	fmt.Fprintf(w, "extensions:      rock ridge %s, joliet %s\n", yesNo(info.RockRidge), yesNo(info.Joliet))
	fmt.Fprintf(w, "files:           %d\n", info.Files)
	if len(info.Boot) == 0 {
		fmt.Fprintln(w, "el torito:       none (not bootable)")
	} else {
		fmt.Fprintf(w, "el torito:       catalog %s\n", info.BootCatalog)
		for i, e := range info.Boot {
			bit := ""
			if e.BootInfoTable != "" {
				bit = ", boot-info-table " + e.BootInfoTable
			}
			fmt.Fprintf(w, "  %d. %-5s %s, load size %d, %s%s\n", i+1, e.Platform, e.Emulation, e.LoadSize, e.File, bit)
		}
	}
	fmt.Fprintln(w, "kernelopt:")
	for _, c := range info.Configs {
		var v string
		switch {
		case !c.Found:
			v = "(file missing)"
		case c.Kernelopt == nil:
			v = "(no kernelopt= line)"
		case *c.Kernelopt == "":
			v = "(empty)"
		default:
			v = *c.Kernelopt
		}
		fmt.Fprintf(w, "  %-19s %s\n", c.Path, v)
	}
	return nil
}

func runSampleISO(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "sample-iso")
	var out, size string
	fs.StringVar(&out, "o", "", "output ISO")
	fs.StringVar(&out, "output", "", "output ISO")
	fs.StringVar(&size, "size", "600MiB", "approximate image size")
	if err := parse(fs, args); err != nil {
		return err
	}
	if out == "" {
		return usagef("sample-iso", "-o OUTPUT is required")
	}
	n, err := sample.ParseSize(size)
	if err != nil {
		return usagef("sample-iso", "--size: %w", err)
	}
	if err := sample.Write(ctx, sample.Options{Output: out, Size: n, Progress: env.Progress}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s (ESXi-like sample, volume %s)\n", out, sample.VolumeID)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
