package bootcfg

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseLines(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []string // line contents, endings excluded
	}{
		"empty":             {in: "", want: nil},
		"lf":                {in: "a=1\nb=2\n", want: []string{"a=1", "b=2"}},
		"crlf":              {in: "a=1\r\nb=2\r\n", want: []string{"a=1", "b=2"}},
		"mixed":             {in: "a=1\r\nb=2\nc=3\r\n", want: []string{"a=1", "b=2", "c=3"}},
		"no final newline":  {in: "a=1\nb=2", want: []string{"a=1", "b=2"}},
		"lone cr at eof":    {in: "a=1\r", want: []string{"a=1\r"}}, // not an ending: trimmed as whitespace later
		"double cr":         {in: "a=1\r\r\n", want: []string{"a=1\r"}},
		"blank lines":       {in: "\n\r\n\n", want: []string{"", "", ""}},
		"only newline":      {in: "\n", want: []string{""}},
		"cr in middle kept": {in: "a=1\rb=2\n", want: []string{"a=1\rb=2"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := Parse([]byte(tc.in))
			var got []string
			for _, l := range f.lines {
				got = append(got, string(f.b[l.start:l.end]))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestEntry(t *testing.T) {
	tests := map[string]struct {
		line    string
		ok      bool
		key     string
		val     string
		valFrom int // offset of the value span (insertion point when blank)
	}{
		"plain":         {line: "kernel=/b.b00", ok: true, key: "kernel", val: "/b.b00", valFrom: 7},
		"first equals":  {line: "kernelopt=ks=cdrom:/KS.CFG", ok: true, key: "kernelopt", val: "ks=cdrom:/KS.CFG", valFrom: 10},
		"spaced":        {line: " kernelopt = a b \t", ok: true, key: " kernelopt ", val: "a b", valFrom: 13},
		"blank value":   {line: "prefix=", ok: true, key: "prefix", val: "", valFrom: 7},
		"spaces only":   {line: "prefix=   ", ok: true, key: "prefix", val: "", valFrom: 7},
		"comment":       {line: "#kernelopt=x"},
		"indented #":    {line: "  \t# kernelopt=x"},
		"no equals":     {line: "kernelopt"},
		"blank":         {line: "   "},
		"empty key":     {line: "=x", ok: true, key: "", val: "x", valFrom: 1},
		"hash in value": {line: "title=a#b", ok: true, key: "title", val: "a#b", valFrom: 6},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := Parse([]byte(tc.line))
			e := f.entry(f.lines[0])
			require.Equal(t, tc.ok, e.hasValue)
			if !tc.ok {
				return
			}
			require.Equal(t, tc.key, string(f.b[e.key.start:e.key.end]))
			require.Equal(t, tc.val, string(f.b[e.val.start:e.val.end]))
			require.Equal(t, tc.valFrom, e.val.start)
		})
	}
}

func TestEqualFoldASCIIOnly(t *testing.T) {
	require.True(t, equalFold("KERNELOPT", "kernelopt"))
	require.False(t, equalFold("\u212Aernelopt", "kernelopt"), "KELVIN SIGN must not fold to k")
	require.False(t, equalFold("kernel", "kernelopt"))
}
