package service_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/secret"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

// openssl returns `openssl passwd -6 -salt salt pw`. openssl is a required
// test tool: a missing binary fails the test.
func openssl(t *testing.T, salt, pw string) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	require.NoError(t, err, "openssl is required to check the crypt hashes")
	out, err := exec.Command(path, "passwd", "-6", "-salt", salt, pw).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

func saltOf(t *testing.T, h string) string {
	t.Helper()
	parts := strings.Split(h, "$")
	require.Len(t, parts, 4, h)
	return parts[2]
}

func TestHashPasswordRandomSaltMatchesOpenSSL(t *testing.T) {
	for _, pw := range []string{testPassword, "a", "pässwörd with spaces", strings.Repeat("long", 40)} {
		h1, err := service.HashPassword(secret.New(pw), nil)
		require.NoError(t, err)
		h2, err := service.HashPassword(secret.New(pw), nil)
		require.NoError(t, err)
		s1, s2 := saltOf(t, h1), saltOf(t, h2)
		require.Len(t, s1, 16)
		require.NotEqual(t, s1, s2, "two hashes of one password must get different salts")
		require.NotEqual(t, h1, h2)
		for _, h := range []string{h1, h2} {
			require.NoError(t, service.ValidHash(h))
			require.Equal(t, openssl(t, saltOf(t, h), pw), h)
			if len(pw) > 4 {
				require.NotContains(t, h, pw)
			}
		}
	}
}

func TestHashPasswordDeterministicWithReader(t *testing.T) {
	h, err := service.HashPassword(secret.New(testPassword), strings.NewReader("0123456789abcdef"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$6$klmnopqrstVWXYZa$"), h) // byte&63 indexes ./0-9A-Za-z
	require.Equal(t, openssl(t, "klmnopqrstVWXYZa", testPassword), h)

	_, err = service.HashPassword(secret.New(""), nil)
	require.ErrorIs(t, err, service.ErrEmptyPassword)
	_, err = service.HashPassword(secret.New("x"), strings.NewReader("short"))
	require.ErrorContains(t, err, "random salt")
}

func TestValidHash(t *testing.T) {
	good := openssl(t, "abcdefgh", "secret")
	require.NoError(t, service.ValidHash(good))
	require.NoError(t, service.ValidHash("$6$rounds=10000$abc$"+strings.Repeat("A", 86)))
	for name, tc := range map[string]struct{ hash, want string }{
		"md5 crypt":   {"$1$abc$abcdefghijklmnopqrstuv", "does not start with $6$"},
		"plain text":  {"secret", "does not start with $6$"},
		"salt chars":  {"$6$ab!c$" + strings.Repeat("A", 86), "salt"},
		"salt long":   {"$6$" + strings.Repeat("s", 17) + "$" + strings.Repeat("A", 86), "salt"},
		"short":       {good[:len(good)-1], "86 characters"},
		"digest char": {good[:len(good)-1] + "!", "86 characters"},
		"trailing nl": {good + "\n", "86 characters"},
	} {
		t.Run(name, func(t *testing.T) {
			err := service.ValidHash(tc.hash)
			var he *service.HashError
			require.ErrorAs(t, err, &he)
			require.Contains(t, err.Error(), tc.want)
			require.NotEmpty(t, he.Hint())
			if len(tc.hash) > 8 {
				require.NotContains(t, err.Error(), tc.hash, "the hash is a secret")
			}
		})
	}
}
