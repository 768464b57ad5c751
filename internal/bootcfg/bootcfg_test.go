package bootcfg_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/bootcfg"
)

// hpeKernelopt is the value HPE's public ESXi recipe writes into efi/boot/boot.cfg.
const hpeKernelopt = "ks=cdrom:/KS.CFG gdbPort=none logPort=none tty2Port=com2"

// stock80 is BOOT.CFG as on 8.0 media (modules shortened).
const stock80 = "bootstate=0\ntitle=Loading ESXi installer\ntimeout=5\nprefix=\nkernel=/b.b00\n" +
	"kernelopt=runweasel cdromBoot\n" +
	"modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /imgpayld.tgz\n" +
	"build=8.0.3-0.0.24022510\nupdated=0\n"

// stock70 is BOOT.CFG as on 6.7/7.0U2 media: the other token order, empty build=.
const stock70 = "bootstate=0\ntitle=Loading ESXi installer\ntimeout=5\nprefix=\nkernel=/b.b00\n" +
	"kernelopt=cdromBoot runweasel\n" +
	"modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00 --- /imgpayld.tgz\n" +
	"build=\nupdated=0\n"

func TestGet(t *testing.T) {
	const file = "# kernelopt=commented\n" +
		"Title = Loading ESXi installer \r\n" +
		"kernel=/b.b00\r\n" +
		"kernelopt=ks=cdrom:/KS.CFG\n" +
		"build=\n" +
		"timeout=5\n" +
		"\n" +
		"no equals here\n" +
		"TIMEOUT=10\r\n" +
		"x-unknown=keep me"
	tests := map[string]struct {
		key    string
		want   string
		wantOK bool
	}{
		"case-insensitive key, trimmed, no CR": {key: "title", want: "Loading ESXi installer", wantOK: true},
		"value keeps later equals signs":       {key: "KernelOpt", want: "ks=cdrom:/KS.CFG", wantOK: true},
		"prefix of another key is distinct":    {key: "kernel", want: "/b.b00", wantOK: true},
		"empty value is present":               {key: "build", want: "", wantOK: true},
		"later duplicate wins":                 {key: "timeout", want: "10", wantOK: true},
		"unknown key, no final newline":        {key: "x-unknown", want: "keep me", wantOK: true},
		"missing":                              {key: "modules"},
		"line without equals is not a key":     {key: "no equals here"},
		"empty key":                            {key: ""},
	}
	f := bootcfg.Parse([]byte(file))
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := f.Get(tc.key)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestKernelopt(t *testing.T) {
	tests := map[string]struct {
		file    string
		want    string
		wantErr error
	}{
		"stock 8.0":                   {file: stock80, want: "runweasel cdromBoot"},
		"stock 7.0":                   {file: stock70, want: "cdromBoot runweasel"},
		"uppercase key":               {file: "KERNELOPT=runweasel\n", want: "runweasel"},
		"crlf":                        {file: "kernelopt=runweasel cdromBoot\r\n", want: "runweasel cdromBoot"},
		"last duplicate wins":         {file: "kernelopt=a\nkernelopt=b\n", want: "b"},
		"blank":                       {file: "kernelopt=\n", want: ""},
		"missing":                     {file: "kernel=/b.b00\n", wantErr: bootcfg.ErrNoKernelopt},
		"only commented":              {file: "#kernelopt=a\n", wantErr: bootcfg.ErrNoKernelopt},
		"no equals is not the key":    {file: "kernelopt\n", wantErr: bootcfg.ErrNoKernelopt},
		"empty file":                  {file: "", wantErr: bootcfg.ErrNoKernelopt},
		"kernelopts is another key":   {file: "kernelopts=a\n", wantErr: bootcfg.ErrNoKernelopt},
		"unicode fold does not count": {file: "\u212Aernelopt=a\n", wantErr: bootcfg.ErrNoKernelopt},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := bootcfg.Parse([]byte(tc.file)).Kernelopt()
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, tc.want, got)
		})
	}
	t.Run("zero File", func(t *testing.T) {
		var f bootcfg.File
		_, err := f.Kernelopt()
		require.ErrorIs(t, err, bootcfg.ErrNoKernelopt)
		require.Empty(t, f.Bytes())
	})
}

func TestEditKernelopt(t *testing.T) {
	tests := map[string]struct {
		file       string
		edit       bootcfg.Edit
		want       string // whole file after the edit
		wantBefore string
		wantAfter  string
	}{
		"stock 8.0 order, replace": {
			file:       stock80,
			edit:       bootcfg.Edit{Replace: hpeKernelopt},
			want:       strings.Replace(stock80, "kernelopt=runweasel cdromBoot\n", "kernelopt="+hpeKernelopt+"\n", 1),
			wantBefore: "runweasel cdromBoot",
			wantAfter:  hpeKernelopt,
		},
		"stock 7.0 order, add": {
			file:       stock70,
			edit:       bootcfg.Edit{Add: []string{"ks=cdrom:/KS.CFG"}},
			want:       strings.Replace(stock70, "kernelopt=cdromBoot runweasel\n", "kernelopt=cdromBoot runweasel ks=cdrom:/KS.CFG\n", 1),
			wantBefore: "cdromBoot runweasel",
			wantAfter:  "cdromBoot runweasel ks=cdrom:/KS.CFG",
		},
		"crlf file keeps crlf": {
			file:       "bootstate=0\r\nkernel=/b.b00\r\nkernelopt=runweasel cdromBoot\r\nupdated=0\r\n",
			edit:       bootcfg.Edit{Add: []string{"ks=cdrom:/KS.CFG"}},
			want:       "bootstate=0\r\nkernel=/b.b00\r\nkernelopt=runweasel cdromBoot ks=cdrom:/KS.CFG\r\nupdated=0\r\n",
			wantBefore: "runweasel cdromBoot",
			wantAfter:  "runweasel cdromBoot ks=cdrom:/KS.CFG",
		},
		"mixed endings keep their own": {
			file:       "bootstate=0\r\nkernel=/b.b00\nkernelopt=runweasel\r\nupdated=0\n",
			edit:       bootcfg.Edit{Replace: "ks=usb"},
			want:       "bootstate=0\r\nkernel=/b.b00\nkernelopt=ks=usb\r\nupdated=0\n",
			wantBefore: "runweasel",
			wantAfter:  "ks=usb",
		},
		"no trailing newline": {
			file:       "kernel=/b.b00\nkernelopt=runweasel cdromBoot",
			edit:       bootcfg.Edit{Remove: []string{"cdromBoot"}},
			want:       "kernel=/b.b00\nkernelopt=runweasel",
			wantBefore: "runweasel cdromBoot",
			wantAfter:  "runweasel",
		},
		"lone cr at eof kept": {
			file:       "kernelopt=runweasel\r",
			edit:       bootcfg.Edit{Add: []string{"x"}},
			want:       "kernelopt=runweasel x\r",
			wantBefore: "runweasel",
			wantAfter:  "runweasel x",
		},
		"comments and unknown keys preserved": {
			file: "# written by hand\n  #kernelopt=commented out\nfoo_bar = baz \n\n\t\nkernelopt=runweasel\nzz=\xff\xfe\n",
			edit: bootcfg.Edit{Add: []string{"ks=cdrom:/KS.CFG"}},
			want: "# written by hand\n  #kernelopt=commented out\nfoo_bar = baz \n\n\t\n" +
				"kernelopt=runweasel ks=cdrom:/KS.CFG\nzz=\xff\xfe\n",
			wantBefore: "runweasel",
			wantAfter:  "runweasel ks=cdrom:/KS.CFG",
		},
		"duplicate kernelopt lines, last edited": {
			file:       "kernelopt=first\nkernel=/b.b00\nkernelopt=second\nmodules=/k.b00\n",
			edit:       bootcfg.Edit{Replace: "third"},
			want:       "kernelopt=first\nkernel=/b.b00\nkernelopt=third\nmodules=/k.b00\n",
			wantBefore: "second",
			wantAfter:  "third",
		},
		"uppercase key spelling kept": {
			file:       "KERNELOPT=runweasel\n",
			edit:       bootcfg.Edit{Replace: "ks=usb"},
			want:       "KERNELOPT=ks=usb\n",
			wantBefore: "runweasel",
			wantAfter:  "ks=usb",
		},
		"whitespace around equals and value kept": {
			file:       "  kernelopt = runweasel\t cdromBoot \t\n",
			edit:       bootcfg.Edit{Add: []string{"x=1"}},
			want:       "  kernelopt = runweasel cdromBoot x=1 \t\n",
			wantBefore: "runweasel\t cdromBoot",
			wantAfter:  "runweasel cdromBoot x=1",
		},
		"replace trims and keeps inner spacing": {
			file:       "kernelopt=a\n",
			edit:       bootcfg.Edit{Replace: "  ks=usb   x  "},
			want:       "kernelopt=ks=usb   x\n",
			wantBefore: "a",
			wantAfter:  "ks=usb   x",
		},
		"blank value": {
			file:       "kernelopt=\nupdated=0\n",
			edit:       bootcfg.Edit{Add: []string{"ks=cdrom:/KS.CFG"}},
			want:       "kernelopt=ks=cdrom:/KS.CFG\nupdated=0\n",
			wantBefore: "",
			wantAfter:  "ks=cdrom:/KS.CFG",
		},
		"add replaces key in place, case-insensitive": {
			file:       "kernelopt=runweasel ks=usb cdromBoot\n",
			edit:       bootcfg.Edit{Add: []string{"KS=cdrom:/KS.CFG", "com2_baud=115200"}},
			want:       "kernelopt=runweasel KS=cdrom:/KS.CFG cdromBoot com2_baud=115200\n",
			wantBefore: "runweasel ks=usb cdromBoot",
			wantAfter:  "runweasel KS=cdrom:/KS.CFG cdromBoot com2_baud=115200",
		},
		"add drops later duplicates of the key": {
			file:       "kernelopt=ks=a runweasel ks=b\n",
			edit:       bootcfg.Edit{Add: []string{"ks=c"}},
			want:       "kernelopt=ks=c runweasel\n",
			wantBefore: "ks=a runweasel ks=b",
			wantAfter:  "ks=c runweasel",
		},
		"add bare token already present: bytes unchanged": {
			file:       "kernelopt=runweasel  cdromBoot\n",
			edit:       bootcfg.Edit{Add: []string{"runweasel"}},
			want:       "kernelopt=runweasel  cdromBoot\n",
			wantBefore: "runweasel  cdromBoot",
			wantAfter:  "runweasel  cdromBoot",
		},
		"add same token twice in one edit": {
			file:       "kernelopt=runweasel\n",
			edit:       bootcfg.Edit{Add: []string{"a=1", "A=2", "b", "b"}},
			want:       "kernelopt=runweasel A=2 b\n",
			wantBefore: "runweasel",
			wantAfter:  "runweasel A=2 b",
		},
		"remove every token with the key": {
			file:       "kernelopt=ks=a runweasel KS=b cdromBoot ks\n",
			edit:       bootcfg.Edit{Remove: []string{"ks", "CDROMBOOT"}},
			want:       "kernelopt=runweasel\n",
			wantBefore: "ks=a runweasel KS=b cdromBoot ks",
			wantAfter:  "runweasel",
		},
		"remove absent key: bytes unchanged": {
			file:       "kernelopt=runweasel\t\tcdromBoot\n",
			edit:       bootcfg.Edit{Remove: []string{"ks"}},
			want:       "kernelopt=runweasel\t\tcdromBoot\n",
			wantBefore: "runweasel\t\tcdromBoot",
			wantAfter:  "runweasel\t\tcdromBoot",
		},
		"remove everything": {
			file:       "kernelopt=runweasel cdromBoot\r\n",
			edit:       bootcfg.Edit{Remove: []string{"runweasel", "cdromBoot"}},
			want:       "kernelopt=\r\n",
			wantBefore: "runweasel cdromBoot",
			wantAfter:  "",
		},
		"remove then add moves the key to the end": {
			file:       "kernelopt=ks=usb runweasel\n",
			edit:       bootcfg.Edit{Remove: []string{"ks"}, Add: []string{"ks=cdrom:/KS.CFG"}},
			want:       "kernelopt=runweasel ks=cdrom:/KS.CFG\n",
			wantBefore: "ks=usb runweasel",
			wantAfter:  "runweasel ks=cdrom:/KS.CFG",
		},
		"order is replace, remove, add": {
			file:       "kernelopt=runweasel cdromBoot\n",
			edit:       bootcfg.Edit{Replace: "a b=1 c", Remove: []string{"a", "runweasel"}, Add: []string{"b=2", "d"}},
			want:       "kernelopt=b=2 c d\n",
			wantBefore: "runweasel cdromBoot",
			wantAfter:  "b=2 c d",
		},
		"non-ascii bytes inside tokens survive": {
			file:       "kernelopt=a\u00a0b c\n",
			edit:       bootcfg.Edit{Add: []string{"d"}},
			want:       "kernelopt=a\u00a0b c d\n",
			wantBefore: "a\u00a0b c",
			wantAfter:  "a\u00a0b c d",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := bootcfg.Parse([]byte(tc.file))
			before, after, err := f.EditKernelopt(tc.edit)
			require.NoError(t, err)
			require.Equal(t, tc.wantBefore, before)
			require.Equal(t, tc.wantAfter, after)
			require.Equal(t, tc.want, string(f.Bytes()))
			requireOnlyKerneloptChanged(t, []byte(tc.file), f.Bytes())

			got, err := bootcfg.Parse(f.Bytes()).Kernelopt()
			require.NoError(t, err)
			require.Equal(t, after, got)
		})
	}
}

func TestEditKerneloptErrors(t *testing.T) {
	tests := map[string]struct {
		file      string
		edit      bootcfg.Edit
		wantIs    error
		wantToken string // for *TokenError: the token the message must name
	}{
		"empty edit":             {file: stock80, edit: bootcfg.Edit{}, wantIs: bootcfg.ErrEmptyEdit},
		"empty slices":           {file: stock80, edit: bootcfg.Edit{Add: []string{}, Remove: []string{}}, wantIs: bootcfg.ErrEmptyEdit},
		"no kernelopt":           {file: "kernel=/b.b00\n#kernelopt=x\n", edit: bootcfg.Edit{Replace: "x"}, wantIs: bootcfg.ErrNoKernelopt},
		"replace with LF":        {file: stock80, edit: bootcfg.Edit{Replace: "a\nkernel=/evil"}, wantToken: "a\nkernel=/evil"},
		"replace with CR":        {file: stock80, edit: bootcfg.Edit{Replace: "a\rb"}, wantToken: "a\rb"},
		"replace blank":          {file: stock80, edit: bootcfg.Edit{Replace: " \t"}, wantToken: " \t"},
		"add with LF":            {file: stock80, edit: bootcfg.Edit{Add: []string{"ok", "x=1\nkernel=/evil"}}, wantToken: "x=1\nkernel=/evil"},
		"add with CR":            {file: stock80, edit: bootcfg.Edit{Add: []string{"x\r"}}, wantToken: "x\r"},
		"add with space":         {file: stock80, edit: bootcfg.Edit{Add: []string{"a b"}}, wantToken: "a b"},
		"add empty":              {file: stock80, edit: bootcfg.Edit{Add: []string{""}}, wantToken: ""},
		"add empty key":          {file: stock80, edit: bootcfg.Edit{Add: []string{"=x"}}, wantToken: "=x"},
		"remove with LF":         {file: stock80, edit: bootcfg.Edit{Remove: []string{"ks\n"}}, wantToken: "ks\n"},
		"remove a token not key": {file: stock80, edit: bootcfg.Edit{Remove: []string{"ks=usb"}}, wantToken: "ks=usb"},
		"remove empty":           {file: stock80, edit: bootcfg.Edit{Remove: []string{""}}, wantToken: ""},
		"bad token, no kernelopt": {
			file: "kernel=/b.b00\n", edit: bootcfg.Edit{Add: []string{"a\nb"}}, wantToken: "a\nb",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := bootcfg.Parse([]byte(tc.file))
			before, after, err := f.EditKernelopt(tc.edit)
			require.Error(t, err)
			if tc.wantIs != nil {
				require.ErrorIs(t, err, tc.wantIs)
			} else {
				var te *bootcfg.TokenError
				require.ErrorAs(t, err, &te)
				require.Equal(t, tc.wantToken, te.Token)
				require.Contains(t, err.Error(), strconv.Quote(tc.wantToken))
			}
			require.Empty(t, before)
			require.Empty(t, after)
			require.Equal(t, tc.file, string(f.Bytes()), "file must not change on error")
		})
	}
}

// TestOnlyKerneloptLineChanges is the byte-preservation property over every
// pairing of sample files and edits.
func TestOnlyKerneloptLineChanges(t *testing.T) {
	files := map[string]string{
		"stock 8.0":  stock80,
		"stock 7.0":  stock70,
		"crlf":       strings.ReplaceAll(stock80, "\n", "\r\n"),
		"mixed":      "a=1\r\nkernelopt=x y\nb=2\r\nc",
		"duplicates": "kernelopt=a\r\n#kernelopt=b\nKERNELOPT = c d \nkernel=/b.b00",
		"no newline": "kernelopt=ks=usb",
	}
	edits := map[string]bootcfg.Edit{
		"replace":        {Replace: hpeKernelopt},
		"add new":        {Add: []string{"ks=cdrom:/KS.CFG"}},
		"add in place":   {Add: []string{"KS=cdrom:/KS.CFG", "y"}},
		"remove":         {Remove: []string{"runweasel", "ks", "C"}},
		"all three":      {Replace: "p q=1", Remove: []string{"p"}, Add: []string{"q=2", "r"}},
		"remove nothing": {Remove: []string{"absent"}},
	}
	for fn, file := range files {
		for en, e := range edits {
			t.Run(fn+"/"+en, func(t *testing.T) {
				f := bootcfg.Parse([]byte(file))
				_, after, err := f.EditKernelopt(e)
				require.NoError(t, err)
				requireOnlyKerneloptChanged(t, []byte(file), f.Bytes())
				got, err := bootcfg.Parse(f.Bytes()).Kernelopt()
				require.NoError(t, err)
				require.Equal(t, after, got)
			})
		}
	}
}

func TestParseCopiesInput(t *testing.T) {
	in := []byte("kernelopt=a\n")
	f := bootcfg.Parse(in)
	in[10] = 'z'
	got, err := f.Kernelopt()
	require.NoError(t, err)
	require.Equal(t, "a", got)

	out := f.Bytes()
	out[10] = 'z'
	got, err = f.Kernelopt()
	require.NoError(t, err)
	require.Equal(t, "a", got, "Bytes must return a copy")
}

// requireOnlyKerneloptChanged checks that orig and got have the same lines and
// that every line except the last kernelopt line is byte-identical; that line
// keeps its key text (up to and including the first '=') and its ending.
func requireOnlyKerneloptChanged(t testing.TB, orig, got []byte) {
	t.Helper()
	ol := bytes.SplitAfter(orig, []byte("\n"))
	gl := bytes.SplitAfter(got, []byte("\n"))
	require.Len(t, gl, len(ol), "line count")
	k := lastKerneloptLine(ol)
	for i := range ol {
		if i != k {
			require.Equal(t, string(ol[i]), string(gl[i]), "line %d must not change", i+1)
		}
	}
	if k < 0 {
		return
	}
	o, g := string(ol[k]), string(gl[k])
	require.Equal(t, o[:strings.IndexByte(o, '=')+1], g[:min(len(g), strings.IndexByte(o, '=')+1)], "key text")
	for _, end := range []string{"\r\n", "\n", "\r"} {
		require.Equal(t, strings.HasSuffix(o, end), strings.HasSuffix(g, end), "line ending %q", end)
	}
}

// lastKerneloptLine is an oracle written apart from the package: the index of
// the last non-comment line whose text before the first '=' is "kernelopt".
func lastKerneloptLine(lines [][]byte) int {
	const ws = " \t\r\v\f\n"
	idx := -1
	for i, l := range lines {
		s := string(l)
		if t := strings.Trim(s, ws); t == "" || t[0] == '#' {
			continue
		}
		key, _, ok := strings.Cut(s, "=")
		key = strings.Trim(key, ws)
		// len 9 keeps Unicode folding (KELVIN SIGN) out: ASCII only.
		if ok && len(key) == len("kernelopt") && strings.ToLower(key) == "kernelopt" {
			idx = i
		}
	}
	return idx
}

// Apply gives the value EditKernelopt writes, before any file is read.
func TestEditApplyMatchesEditKernelopt(t *testing.T) {
	const file = "kernel=/b.b00\r\nkernelopt= runweasel  cdromBoot \r\nbuild=\r\n"
	for name, e := range map[string]bootcfg.Edit{
		"replace":            {Replace: " ks=cdrom:/KS.CFG  gdbPort=none "},
		"add":                {Add: []string{"allowLegacyCPU=true"}},
		"remove and add":     {Remove: []string{"runweasel"}, Add: []string{"cdromBoot", "ks=usb"}},
		"replace, add, drop": {Replace: "a b=1 c", Add: []string{"b=2"}, Remove: []string{"c"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := bootcfg.Parse([]byte(file))
			before, after, err := f.EditKernelopt(e)
			require.NoError(t, err)
			got, err := e.Apply(before)
			require.NoError(t, err)
			require.Equal(t, after, got)
		})
	}
	_, err := bootcfg.Edit{}.Apply("x")
	require.ErrorIs(t, err, bootcfg.ErrEmptyEdit)
	_, err = bootcfg.Edit{Add: []string{"a b"}}.Apply("x")
	require.ErrorAs(t, err, new(*bootcfg.TokenError))
}
