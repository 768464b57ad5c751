package remaster_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
	"github.com/esxi-byoi/esxi-byoi/internal/isotest"
	"github.com/esxi-byoi/esxi-byoi/internal/realworld"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
)

// TestRunEditsRealBootCfgsByteExactly masters every real BOOT.CFG (ESXi
// 5.5–8.0U3b media, stock, HPE and Dell images, PXE copies, and two CRLF
// conversions) into an ISO as the fixtures do, remasters it, and checks with
// osirrox that only the kernelopt value changed: every other byte, comment,
// blank line, line ending and missing final newline is kept.
func TestRunEditsRealBootCfgsByteExactly(t *testing.T) {
	files := append(realworld.Files(t, "bootcfg", "*.cfg"), realworld.Files(t, filepath.Join("bootcfg", "derived"), "*.cfg")...)
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			cfg, err := os.ReadFile(p)
			require.NoError(t, err)
			in := isotest.Build(t, isotest.FixtureOptions{BIOSCfg: cfg})
			start, end, ok := kerneloptValue(cfg)
			if !ok {
				// A typo such as "kernelopts=" leaves nothing the loader reads
				// as kernelopt; remaster refuses rather than guess.
				_, err := remaster.Run(t.Context(), remaster.Options{Input: in, Output: filepath.Join(t.TempDir(), "out.iso")})
				require.ErrorIs(t, err, bootcfg.ErrNoKernelopt)
				return
			}
			out, res := run(t, remaster.Options{Input: in})
			want := append(append(append([]byte{}, cfg[:start]...), remaster.DefaultKernelopt...), cfg[end:]...)
			for _, c := range bothConfigs {
				requireConfig(t, out, c, want)
				e := editedFile(t, res, c)
				require.Equal(t, string(cfg[start:end]), e.Before, c)
				require.Equal(t, remaster.DefaultKernelopt, e.After, c)
			}
		})
	}
}

// kerneloptValue finds the value of the one "kernelopt=" line of a corpus
// file (every real file spells the key so, at the start of its line) without
// the package under test: from after the '=' to the end of the line, less
// trailing whitespace ("\r" included).
func kerneloptValue(cfg []byte) (start, end int, ok bool) {
	off := 0
	for _, line := range bytes.SplitAfter(cfg, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("kernelopt=")) {
			start = off + len("kernelopt=")
			end = off + len(bytes.TrimRight(line, " \t\r\n"))
			return start, end, true
		}
		off += len(line)
	}
	return 0, 0, false
}
