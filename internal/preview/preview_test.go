package preview_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/internal/preview"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

const tmplName = "ks/kickstart.cfg.tmpl"

func embedded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := templates.FS.ReadFile(name)
	require.NoError(t, err)
	return b
}

// sampleHosts are the built-in sample hosts, named as files of a repository
// under ks/hosts (as the action's hosts input names them).
func sampleHosts(t *testing.T) []kickstart.Host {
	t.Helper()
	hosts, err := kickstart.LoadHosts(templates.FS, "hosts", "ks")
	require.NoError(t, err)
	require.Greater(t, len(hosts), 2)
	return hosts
}

// files is a base: a map of repository paths to contents; reads are logged.
type files struct {
	m     map[string][]byte
	reads []string
}

func (f *files) ReadBase(_ context.Context, file string) ([]byte, bool, error) {
	f.reads = append(f.reads, file)
	b, ok := f.m[file]
	return b, ok, nil
}

// baseOf is the repository at the base: the built-in template at tmplName
// and every sample host file as it is.
func baseOf(t *testing.T, hosts []kickstart.Host) *files {
	f := &files{m: map[string][]byte{tmplName: embedded(t, "kickstart.cfg.tmpl")}}
	for _, h := range hosts {
		f.m[h.File] = embedded(t, strings.TrimPrefix(h.File, "ks/"))
	}
	return f
}

func hostDiffs(r *preview.Result) []preview.Diff { return r.Diffs[1:] }

// A change every host's kickstart gets the same way is one diff titled with
// every host, after the template's own diff.
func TestIdenticalHostDiffsAreMergedIntoOne(t *testing.T) {
	hosts := sampleHosts(t)
	head := strings.Replace(string(embedded(t, "kickstart.cfg.tmpl")), "sleep 30", "sleep 45", 1)
	require.NotEqual(t, string(embedded(t, "kickstart.cfg.tmpl")), head)

	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: []byte(head), Hosts: hosts, Base: baseOf(t, hosts)})
	require.Empty(t, r.NoDiff)
	require.Equal(t, "kickstart template "+tmplName, r.Diffs[0].Title)
	require.Contains(t, r.Diffs[0].Diff, "--- a/"+tmplName+"\n+++ b/"+tmplName+"\n")
	require.Contains(t, r.Diffs[0].Diff, "-sleep 30\n+sleep 45\n")
	require.Len(t, hostDiffs(r), 1, "one merged diff for all hosts")
	d := hostDiffs(r)[0]
	require.False(t, d.Failed)
	require.Contains(t, d.Diff, "-sleep 30\n+sleep 45\n")
	require.True(t, strings.HasPrefix(d.Title, "hosts "), d.Title)
	require.True(t, strings.HasSuffix(d.Title, " (the same change)"), d.Title)
	for _, h := range hosts {
		require.Contains(t, d.Title, h.Def.Name+" ("+h.File+")")
	}
	require.Len(t, r.Hosts, len(hosts))
	for i, h := range r.Hosts {
		require.Equal(t, hosts[i].Def.Name, h.Name)
		require.NoError(t, h.Err)
		require.Contains(t, string(h.Out), "sleep 45")
	}
}

// A change that reaches only some hosts leaves the others as "unchanged"
// entries (a title, no diff), and the diff keeps the host's own labels.
func TestHostsTheChangeDoesNotReachAreUnchanged(t *testing.T) {
	hosts := sampleHosts(t)
	base := string(embedded(t, "kickstart.cfg.tmpl"))
	head := strings.Replace(base, "# Install on the RAID logical volume naa.", "# Install on the RAID logical volume (changed) naa.", 1)
	require.NotEqual(t, base, head)

	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: []byte(head), Hosts: hosts, Base: baseOf(t, hosts)})
	var changed, unchanged []preview.Diff
	for _, d := range hostDiffs(r) {
		require.False(t, d.Failed)
		if d.Diff == "" {
			unchanged = append(unchanged, d)
		} else {
			changed = append(changed, d)
		}
	}
	require.NotEmpty(t, changed, "a RAID host renders the changed line")
	require.NotEmpty(t, unchanged, "a host without a RAID volume does not")
	require.Equal(t, len(hosts), len(changed)+len(unchanged), "no host merged away when only some changed")
	for _, d := range unchanged {
		require.True(t, strings.HasPrefix(d.Title, "host "), d.Title)
	}
	if len(changed) == 1 {
		require.Regexp(t, `^--- a/rendered/[A-Za-z0-9._-]+\.cfg\n`, changed[0].Diff)
	}
}

// A head that does not render marks the hosts "render failed" rather than
// showing a diff that deletes their whole kickstart; the lint findings say why.
func TestRenderFailureIsMarkedNotShownAsADeletion(t *testing.T) {
	hosts := sampleHosts(t)
	head := strings.Replace(string(embedded(t, "kickstart.cfg.tmpl")), "vmaccepteula\n", "vmaccepteula\n# {{ .NoSuchField }}\n", 1)

	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: []byte(head), Hosts: hosts, Base: baseOf(t, hosts)})
	errs, _ := r.Counts()
	require.Positive(t, errs, "the render failure is a lint error")
	for _, h := range r.Hosts {
		require.Nil(t, h.Out)
		require.Error(t, h.Err)
	}
	require.Len(t, hostDiffs(r), len(hosts))
	for _, d := range hostDiffs(r) {
		require.True(t, d.Failed, d.Title)
		require.Empty(t, d.Diff)
	}
	require.NotEmpty(t, r.Diffs[0].Diff, "the template's own diff is still shown")
}

// A template that does not parse fails every host the same way, and is
// reported as a finding, not an error of Run.
func TestTemplateThatDoesNotParseIsAFinding(t *testing.T) {
	hosts := sampleHosts(t)
	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: []byte("vmaccepteula\n{{ if }}\n"), Hosts: hosts, NoBase: "no base here"})
	errs, _ := r.Counts()
	require.Positive(t, errs)
	require.Equal(t, tmplName, r.Findings[0].File)
	for _, h := range r.Hosts {
		require.Nil(t, h.Out)
		require.Error(t, h.Err)
	}
	require.Equal(t, "no base here", r.NoDiff)
	require.Empty(t, r.Diffs)
}

// A template and a host file new in the change have no base: their diffs
// add every line, and the base reader's "not there" is no error.
func TestFilesNewInTheChangeDiffFromNothing(t *testing.T) {
	hosts := sampleHosts(t)
	base := baseOf(t, hosts)
	delete(base.m, tmplName)
	delete(base.m, hosts[0].File)
	base.m[hosts[1].File] = nil // the host file is at the base, empty: not a host there
	src := embedded(t, "kickstart.cfg.tmpl")

	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: src, Hosts: hosts, Base: base, HostsChange: true})
	require.Empty(t, r.NoDiff)
	require.True(t, strings.HasPrefix(r.Diffs[0].Diff, "--- a/"+tmplName+"\n+++ b/"+tmplName+"\n@@ -0,0 +1,"), r.Diffs[0].Diff)
	for _, d := range hostDiffs(r) {
		require.False(t, d.Failed)
		require.Contains(t, d.Diff, "@@ -0,0 +1,", d.Title)
	}
	require.Contains(t, base.reads, hosts[0].File, "the hosts' base versions are read")
}

// With HostsChange, a host renders at the base with its base definition: a
// host file the change edits shows in that host's diff only.
func TestChangedHostFileShowsInItsHostOnly(t *testing.T) {
	hosts := sampleHosts(t)
	base := baseOf(t, hosts)
	old := strings.Replace(string(base.m[hosts[0].File]), "Name: "+hosts[0].Def.Name+"\n", "Name: old-name\n", 1)
	require.NotEqual(t, string(base.m[hosts[0].File]), old)
	base.m[hosts[0].File] = []byte(old)
	src := embedded(t, "kickstart.cfg.tmpl")

	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: src, Hosts: hosts, Base: base, HostsChange: true})
	require.Empty(t, r.Diffs[0].Diff, "the template did not change")
	hd := hostDiffs(r)
	require.Len(t, hd, len(hosts))
	require.Contains(t, hd[0].Diff, "old-name")
	require.Contains(t, hd[0].Diff, hosts[0].Def.Name)
	for _, d := range hd[1:] {
		require.Empty(t, d.Diff, d.Title)
	}

	// without HostsChange both sides render the head's definition
	base.reads = nil
	r = preview.Run(t.Context(), preview.Input{Name: tmplName, Template: src, Hosts: hosts, Base: base})
	require.Equal(t, []string{tmplName}, base.reads, "only the template is read at the base")
	for _, d := range hostDiffs(r) {
		require.Empty(t, d.Diff, d.Title)
	}
}

// A base that cannot be read is why there is no diff; lint and render still
// run. Without a reader, the caller's reason is kept.
func TestUnreadableBaseIsNoDiff(t *testing.T) {
	hosts := sampleHosts(t)
	src := embedded(t, "kickstart.cfg.tmpl")
	fail := preview.BaseFunc(func(context.Context, string) ([]byte, bool, error) {
		return nil, false, errors.New("the base is out of reach")
	})
	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: src, Hosts: hosts, Base: fail})
	require.Equal(t, "the base is out of reach", r.NoDiff)
	require.Empty(t, r.Diffs)
	require.Len(t, r.Hosts, len(hosts))
	for _, h := range r.Hosts {
		require.NotNil(t, h.Out)
	}

	// the template reads, a host file does not
	base := baseOf(t, hosts)
	failHost := preview.BaseFunc(func(ctx context.Context, file string) ([]byte, bool, error) {
		if file == hosts[1].File {
			return nil, false, errors.New("host file out of reach")
		}
		return base.ReadBase(ctx, file)
	})
	r = preview.Run(t.Context(), preview.Input{Name: tmplName, Template: src, Hosts: hosts, Base: failHost, HostsChange: true})
	require.Equal(t, "host file out of reach", r.NoDiff)
	require.Empty(t, r.Diffs, "no partial diff")

	r = preview.Run(t.Context(), preview.Input{Name: tmplName, Template: src, Hosts: hosts, NoBase: "not a pull request"})
	require.Equal(t, "not a pull request", r.NoDiff)
	r = preview.Run(t.Context(), preview.Input{Name: tmplName, Template: src, Hosts: hosts})
	require.NotEmpty(t, r.NoDiff, "a missing reason still says there is no base")
}

// The findings are grouped: a problem every host has is one finding that
// lists the hosts, and Counts counts findings, not per-host copies.
func TestFindingsAreGroupedOverHosts(t *testing.T) {
	hosts := sampleHosts(t)
	head := strings.Replace(string(embedded(t, "kickstart.cfg.tmpl")), "vmaccepteula\n", "vmaccepteula\nserialnum --esx=reboot-now\n", 1)
	r := preview.Run(t.Context(), preview.Input{Name: tmplName, Template: []byte(head), Hosts: hosts, NoBase: "-"})
	var hits []kickstart.Finding
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "reboot-now") {
			hits = append(hits, f)
		}
	}
	require.Len(t, hits, 1, "one finding for all hosts")
	require.Len(t, hits[0].Hosts, len(hosts))
	errs, _ := r.Counts()
	require.Equal(t, 1, errs)
}

func TestSafeName(t *testing.T) {
	require.Equal(t, "esx-raid04", preview.SafeName("esx-raid04"))
	require.Equal(t, "a_b_c", preview.SafeName("../a b/c/"))
	require.Equal(t, "x_set-output_y", preview.SafeName("x\n::set-output::y"))
	require.Equal(t, "", preview.SafeName("../.."))
}
