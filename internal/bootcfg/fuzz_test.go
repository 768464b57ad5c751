package bootcfg_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
)

// FuzzEditKernelopt edits arbitrary files. add and remove are comma-separated
// lists ("" = none). Seeds live in testdata/fuzz/FuzzEditKernelopt.
func FuzzEditKernelopt(f *testing.F) {
	f.Add([]byte(stock80), hpeKernelopt, "", "")
	f.Add([]byte(strings.ReplaceAll(stock70, "\n", "\r\n")), "", "ks=cdrom:/KS.CFG,cdromBoot", "runweasel")

	f.Fuzz(func(t *testing.T, data []byte, replace, add, remove string) {
		e := bootcfg.Edit{Replace: replace, Add: splitList(add), Remove: splitList(remove)}
		orig := bytes.Clone(data)
		file := bootcfg.Parse(data)
		origOpt, origErr := file.Kernelopt()
		for _, k := range []string{"kernelopt", "build", "", "=", "\r"} {
			file.Get(k) // must not panic
		}

		before, after, err := file.EditKernelopt(e)
		if err != nil {
			var te *bootcfg.TokenError
			switch {
			case errors.As(err, &te), errors.Is(err, bootcfg.ErrEmptyEdit):
			case errors.Is(err, bootcfg.ErrNoKernelopt):
				if origErr == nil {
					t.Fatalf("EditKernelopt: %v, but Kernelopt() = %q", err, origOpt)
				}
			default:
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			if !bytes.Equal(file.Bytes(), orig) {
				t.Fatalf("file changed on error %v", err)
			}
			return
		}
		if origErr != nil || before != origOpt {
			t.Fatalf("before = %q, Kernelopt() = %q, %v", before, origOpt, origErr)
		}
		if !bytes.Equal(data, orig) {
			t.Fatal("Parse or EditKernelopt wrote into the caller's slice")
		}
		got := file.Bytes()
		requireOnlyKerneloptChanged(t, orig, got)
		reparsed, err := bootcfg.Parse(got).Kernelopt()
		if err != nil || reparsed != after {
			t.Fatalf("re-parsed kernelopt = %q, %v; want %q", reparsed, err, after)
		}

		// The same edit again must change nothing (callers may remaster twice),
		// except when Remove and Add share a key: Remove-then-Add moves that
		// key to the end each time, as documented.
		if overlaps(e.Remove, e.Add) {
			return
		}
		before2, after2, err := file.EditKernelopt(e)
		if err != nil || before2 != after || after2 != after || !bytes.Equal(file.Bytes(), got) {
			t.Fatalf("second edit: %q -> %q (%v), first gave %q", before2, after2, err, after)
		}
	})
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// overlaps reports whether a Remove key is also the key of an Add token.
func overlaps(remove, add []string) bool {
	for _, k := range remove {
		for _, a := range add {
			if key, _, _ := strings.Cut(a, "="); strings.EqualFold(key, k) {
				return true
			}
		}
	}
	return false
}
