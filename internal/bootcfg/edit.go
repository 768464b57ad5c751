package bootcfg

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrEmptyEdit means an Edit asked for nothing. Callers always mean some
// change (remaster substitutes its default value first), so an empty Edit is
// a bug upstream rather than a silent no-op.
var ErrEmptyEdit = errors.New("bootcfg: empty kernelopt edit (no replace, add or remove)")

// Edit describes a change to the kernelopt value. It is applied in a fixed
// order: Replace, then Remove, then Add, so "Remove X, Add X=1" moves X to
// the end while "Add X=1" alone updates X where it stands.
type Edit struct {
	// Replace, if non-empty, becomes the whole value (surrounding whitespace
	// trimmed, inner spacing kept when no Add or Remove follows).
	Replace string
	// Add appends tokens in order. A token whose key (text before the first
	// '=', or the whole token) matches an existing token's key, ASCII
	// case-insensitively, replaces the first such token in place and drops
	// later ones with that key, so the result holds the key once. A bare
	// token already present is therefore not duplicated.
	Add []string
	// Remove deletes every token whose key matches one of these keys, ASCII
	// case-insensitively.
	Remove []string
}

// TokenError reports a value in an Edit that cannot be written safely, such
// as a token with a line break, which would inject lines into BOOT.CFG.
type TokenError struct {
	Op     string // "replace", "add" or "remove"
	Token  string // the offending value as given
	Reason string
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("bootcfg: kernelopt %s %q: %s", e.Op, e.Token, e.Reason)
}

// EditKernelopt applies e to the effective (last) kernelopt line and returns
// the value before and after, both trimmed as Get returns them. Earlier
// duplicate kernelopt lines and every other byte of the file stay unchanged.
// When Add or Remove is set the tokens are re-joined by single spaces, unless
// the token list came out unchanged, in which case the value keeps its bytes.
//
// It returns ErrEmptyEdit for an Edit with no Replace, Add or Remove, a
// *TokenError for a value that cannot be written, and ErrNoKernelopt when the
// file has no kernelopt= line. On error the file is not modified.
func (f *File) EditKernelopt(e Edit) (before, after string, err error) {
	if err := e.validate(); err != nil {
		return "", "", err
	}
	i, ent := f.last(kerneloptKey)
	if i < 0 {
		return "", "", ErrNoKernelopt
	}
	before = string(f.b[ent.val.start:ent.val.end])
	after = e.apply(before)
	nb := make([]byte, 0, len(f.b)-len(before)+len(after))
	nb = append(nb, f.b[:ent.val.start]...)
	nb = append(nb, after...)
	nb = append(nb, f.b[ent.val.end:]...)
	*f = *Parse(nb)
	return before, after, nil
}

// Apply returns value (a kernelopt value, as [File.Kernelopt] returns it)
// after the edit, exactly as [File.EditKernelopt] would write it. It lets a
// caller know the result before any file is read; with a Replace the result
// does not depend on value at all. Errors are those of EditKernelopt.
func (e Edit) Apply(value string) (string, error) {
	if err := e.validate(); err != nil {
		return "", err
	}
	return e.apply(value), nil
}

// apply is Apply for a validated Edit.
func (e Edit) apply(value string) string {
	if e.Replace != "" {
		value = string(trim([]byte(e.Replace)))
	}
	if len(e.Add) > 0 || len(e.Remove) > 0 {
		value = editTokens(value, e.Remove, e.Add)
	}
	return value
}

func (e Edit) validate() error {
	if e.Replace == "" && len(e.Add) == 0 && len(e.Remove) == 0 {
		return ErrEmptyEdit
	}
	if e.Replace != "" {
		switch {
		case strings.ContainsAny(e.Replace, "\r\n"):
			return &TokenError{Op: "replace", Token: e.Replace, Reason: "contains a line break"}
		case len(trim([]byte(e.Replace))) == 0:
			// Blank is ambiguous (clear it? forgot to set it?), so refuse it.
			return &TokenError{Op: "replace", Token: e.Replace, Reason: "is blank"}
		}
	}
	for _, t := range e.Add {
		if err := checkToken("add", t); err != nil {
			return err
		}
	}
	for _, k := range e.Remove {
		if err := checkToken("remove", k); err != nil {
			return err
		}
		// A key with '=' can never match a token's key; a silent no-op would
		// hide the mistake of passing a whole token.
		if strings.Contains(k, "=") {
			return &TokenError{Op: "remove", Token: k, Reason: "is not a key (contains '=')"}
		}
	}
	return nil
}

// checkToken rejects what would not survive a round trip as exactly one token.
func checkToken(op, t string) error {
	reason := ""
	switch {
	case strings.ContainsAny(t, "\r\n"):
		reason = "contains a line break"
	case t == "":
		reason = "is empty"
	case strings.ContainsAny(t, spaces):
		reason = "contains whitespace"
	case tokenKey(t) == "":
		reason = "has an empty key"
	default:
		return nil
	}
	return &TokenError{Op: op, Token: t, Reason: reason}
}

// editTokens applies remove, then add, to the tokens of value.
func editTokens(value string, remove, add []string) string {
	orig := fields(value)
	toks := slices.DeleteFunc(slices.Clone(orig), func(t string) bool {
		return slices.ContainsFunc(remove, func(k string) bool { return equalFold(tokenKey(t), k) })
	})
	for _, a := range add {
		k := tokenKey(a)
		same := func(t string) bool { return equalFold(tokenKey(t), k) }
		j := slices.IndexFunc(toks, same)
		if j < 0 {
			toks = append(toks, a)
			continue
		}
		toks[j] = a
		// One occurrence left: whichever duplicate the kernel honours, it now
		// sees the new value, and applying the same Edit again changes nothing.
		toks = append(toks[:j+1], slices.DeleteFunc(toks[j+1:], same)...)
	}
	if slices.Equal(toks, orig) {
		return value
	}
	return strings.Join(toks, " ")
}

// fields splits on ASCII whitespace only (see spaces); bytes >= 0x80 decode
// to runes that are never split on.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
}

// tokenKey is the text before the first '=', or the whole token.
func tokenKey(t string) string {
	k, _, _ := strings.Cut(t, "=")
	return k
}
