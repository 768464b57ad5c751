package kickstart

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSplitLine compares splitLine with Python 3's shlex.split(line,
// comments=True), which the installer uses: the expected values were printed by
// CPython 3 for each input. (splitLine also agreed with CPython on 3,000 random
// lines of quotes, backslashes, '#' and whitespace.)
func TestSplitLine(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"rootpw VMware#1", []string{"rootpw", "VMware"}, ""},
		{"rootpw \"VMware#1\"", []string{"rootpw", "VMware#1"}, ""},
		{"keyboard \"US Default\"", []string{"keyboard", "US Default"}, ""},
		{"keyboard US Default", []string{"keyboard", "US", "Default"}, ""},
		{"install --firstdisk=\"DELLBOSS VD\" --overwritevmfs", []string{"install", "--firstdisk=DELLBOSS VD", "--overwritevmfs"}, ""},
		{"--nameserver=\"a,b\"", []string{"--nameserver=a,b"}, ""},
		{"a\\ b", []string{"a b"}, ""},
		{"\"a\\\"b\"", []string{"a\"b"}, ""},
		{"\"a\\nb\"", []string{"a\\nb"}, ""},
		{"'a\\b'", []string{"a\\b"}, ""},
		{"x \"\" y", []string{"x", "", "y"}, ""},
		{"x '' y", []string{"x", "", "y"}, ""},
		{"a#b c", []string{"a"}, ""},
		{"  # comment only", nil, ""},
		{"", nil, ""},
		{"   ", nil, ""},
		{"\"a\"'b'c", []string{"abc"}, ""},
		{"\"\\\\\"", []string{"\\"}, ""},
		{"tab\tsep", []string{"tab", "sep"}, ""},
		{"cr\rsep", []string{"cr", "sep"}, ""},
		{"network --bootproto=static \\\n", []string{"network", "--bootproto=static", "\n"}, ""},
		{"trail\\", nil, "No escaped character"},
		{"\"unclosed", nil, "No closing quotation"},
		{"'unclosed", nil, "No closing quotation"},
		{"\"esc\\", nil, "No escaped character"},
		{"x=#y", []string{"x="}, ""},
		{"--disk naa.x", []string{"--disk", "naa.x"}, ""},
		{"a\"#\"b", []string{"a#b"}, ""},
		{"é ü", []string{"é", "ü"}, ""},
	}
	for _, tc := range tests {
		got, err := splitLine(tc.in)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		require.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestCommentInWord(t *testing.T) {
	tests := []struct {
		in            string
		read, written string
	}{
		{"rootpw VMware#1!", "VMware", "VMware#1!"},
		{"network --hostname=esx#1 --ip=1.2.3.4", "--hostname=esx", "--hostname=esx#1"},
		{"rootpw VMware #1", "", ""},              // a comment of its own
		{`rootpw "VMware#1!"`, "", ""},            // quoted
		{`rootpw 'a#b'c#d`, `'a#b'c`, `'a#b'c#d`}, // the quoted '#' is kept, the second cuts
		{`rootpw a\#b`, "", ""},                   // escaped
		{"# only a comment", "", ""},
	}
	for _, tc := range tests {
		read, written, ok := commentInWord(tc.in)
		require.Equal(t, tc.read != "", ok, tc.in)
		require.Equal(t, tc.read, read, tc.in)
		require.Equal(t, tc.written, written, tc.in)
	}
}
