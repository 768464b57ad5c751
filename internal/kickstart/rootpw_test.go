package kickstart_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/kickstart"
	"github.com/esxi-byoi/esxi-byoi/templates"
)

// testHash is `openssl passwd -6 -salt esxibyoitest Passw0rd!`.
const testHash = "$6$esxibyoitest$51i1TJMoVjjw1CAsbjsfukpHcbaux2TTvrVrFqDCtgmyw6AjQbJkTZgmiyyn.uRnpn7YG5xJ4xhh1iXjchHko0"

func TestSubstituteRootpwChangesOnlyThePlaceholder(t *testing.T) {
	src, err := templates.FS.ReadFile("kickstart.cfg.tmpl")
	require.NoError(t, err)
	out, err := kickstart.SubstituteRootpw(src, testHash)
	require.NoError(t, err)

	i := bytes.Index(src, []byte(kickstart.RootpwPlaceholder))
	require.Positive(t, i)
	tail := len(src) - i - len(kickstart.RootpwPlaceholder)
	require.Equal(t, src[:i], out[:i], "bytes before the placeholder")
	require.Equal(t, testHash, string(out[i:i+len(testHash)]))
	require.Equal(t, src[len(src)-tail:], out[len(out)-tail:], "bytes after the placeholder")
	require.Equal(t, len(src)-len(kickstart.RootpwPlaceholder)+len(testHash), len(out))
	require.NotContains(t, string(out), kickstart.RootpwPlaceholder)

	// The substituted template still parses and renders with the hash in place.
	tmpl, err := kickstart.Parse("ks", out)
	require.NoError(t, err)
	ks, err := kickstart.Render(tmpl, &kickstart.HostDef{Name: "esx1"})
	require.NoError(t, err)
	require.Contains(t, string(ks), "\nrootpw --iscrypted "+testHash+"\n")
}

func TestSubstituteRootpwKeepsCRLF(t *testing.T) {
	src := []byte("vmaccepteula\r\nrootpw --iscrypted %ROOTPW_HASH%\r\n{{ .Name }}\r\n")
	out, err := kickstart.SubstituteRootpw(src, testHash)
	require.NoError(t, err)
	require.Equal(t, "vmaccepteula\r\nrootpw --iscrypted "+testHash+"\r\n{{ .Name }}\r\n", string(out))
}

func TestSubstituteRootpwErrors(t *testing.T) {
	good := []byte("vmaccepteula\nrootpw --iscrypted %ROOTPW_HASH%\n")
	tests := map[string]struct {
		tmpl []byte
		hash string
		msg  string
	}{
		"no placeholder": {[]byte("rootpw --iscrypted $6$x\n"), testHash, "no root password placeholder"},
		"twice":          {[]byte("rootpw --iscrypted %ROOTPW_HASH%\n# %ROOTPW_HASH%\n"), testHash, "occurs 2 times"},
		"not on rootpw":  {[]byte("# root: %ROOTPW_HASH%\n"), testHash, "must end a `rootpw --iscrypted"},
		"no --iscrypted": {[]byte("rootpw %ROOTPW_HASH%\n"), testHash, "must end a `rootpw --iscrypted"},
		"indented":       {[]byte("  rootpw --iscrypted %ROOTPW_HASH%\n"), testHash, "at column 0"},
		"empty hash":     {good, "", "empty"},
		"newline":        {good, testHash[:20] + "\n" + testHash[20:], "line break"},
		"template":       {good, "$6$x${{ .Name }}", "template delimiters"},
		"space":          {good, "$6$x$ abc", "whitespace"},
		"hash sign":      {good, "$6$x$abc#def", "'#'"},
		"plain password": {good, "Passw0rd!", "not a SHA-512 crypt hash"},
		"rounds":         {good, "$6$rounds=5000$salt$" + strings.Repeat("a", 86), "not a SHA-512 crypt hash"},
		"md5":            {good, "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "not a SHA-512 crypt hash"},
		"short":          {good, "$6$salt$abc", "not a SHA-512 crypt hash"},
		"salt too long":  {good, "$6$" + strings.Repeat("s", 17) + "$" + strings.Repeat("a", 86), "not a SHA-512 crypt hash"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := kickstart.SubstituteRootpw(tc.tmpl, tc.hash)
			require.ErrorContains(t, err, tc.msg)
			require.Nil(t, out)
		})
	}
	_, err := kickstart.SubstituteRootpw([]byte("x\n"), testHash)
	require.ErrorIs(t, err, kickstart.ErrNoRootpwPlaceholder)
}
