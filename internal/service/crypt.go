package service

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/GehirnInc/crypt/sha512_crypt"

	"github.com/esxi-byoi/esxi-byoi/internal/secret"
)

// cryptAlphabet is the salt and digest alphabet of crypt(3).
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// SaltLen is the salt length HashPassword uses: the maximum of SHA-512 crypt.
const SaltLen = 16

// ErrEmptyPassword is returned by HashPassword for an empty password.
var ErrEmptyPassword = errors.New("root password is empty")

// HashPassword returns the SHA-512 crypt hash ("$6$<salt>$<digest>") of pw
// with a fresh 16-character salt read from rnd (crypto/rand when nil) and the
// default 5000 rounds, so `openssl passwd -6 -salt SALT PASSWORD` reproduces
// it. A fixed salt would make equal passwords hash equal across builds.
func HashPassword(pw secret.String, rnd io.Reader) (string, error) {
	if pw.IsZero() {
		return "", ErrEmptyPassword
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [SaltLen]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	salt := make([]byte, SaltLen)
	for i, x := range b {
		salt[i] = cryptAlphabet[x&63] // 256 is a multiple of 64: no bias
	}
	h, err := sha512_crypt.New().Generate([]byte(pw.Reveal()), []byte(sha512_crypt.MagicPrefix+string(salt)+"$"))
	if err != nil {
		return "", fmt.Errorf("hash root password: %w", err)
	}
	return h, nil
}

var hashRE = regexp.MustCompile(`^\$6\$(rounds=[0-9]{1,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$`)

// HashError says why a precomputed root password hash is unusable.
type HashError struct{ Msg string }

func (e *HashError) Error() string { return "root password hash: " + e.Msg }

// Hint implements the CLI's fix line.
func (e *HashError) Hint() string {
	return "give a SHA-512 crypt hash as printed by `openssl passwd -6` or `mkpasswd -m sha-512` ($6$SALT$ and 86 characters)"
}

// ValidHash checks that s is a SHA-512 crypt hash ESXi accepts for
// `rootpw --iscrypted`: "$6$", optional "rounds=N$", a salt of 1–16
// characters of [./0-9A-Za-z], "$", and an 86-character digest.
func ValidHash(s string) error {
	if hashRE.MatchString(s) {
		return nil
	}
	// Say which part is wrong, without echoing the value (it is a secret).
	switch {
	case len(s) < 3 || s[:3] != "$6$":
		return &HashError{Msg: "does not start with $6$ (SHA-512 crypt)"}
	case regexp.MustCompile(`\$[./0-9A-Za-z]{86}$`).MatchString(s):
		return &HashError{Msg: "salt must be 1-16 characters of ./0-9A-Za-z"}
	default:
		return &HashError{Msg: "digest must be 86 characters of ./0-9A-Za-z after the salt"}
	}
}
