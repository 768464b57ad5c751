package pipeline

import (
	"fmt"
	"runtime/debug"
)

// BugError is a broken invariant of ours or a recovered panic: never a user mistake.
// The CLI maps it to exit code 70 and asks for a report.
type BugError struct {
	Msg   string
	Stack []byte
}

func (e *BugError) Error() string { return "internal error (bug, please report): " + e.Msg }

// Bug returns a *BugError with the current stack.
func Bug(format string, args ...any) error {
	return &BugError{Msg: fmt.Sprintf(format, args...), Stack: debug.Stack()}
}

// Recover turns a panic into a *BugError stored in *err. Use as
// `defer pipeline.Recover(&err)` at every entry point that runs user input.
func Recover(err *error) {
	if r := recover(); r != nil {
		*err = &BugError{Msg: fmt.Sprint(r), Stack: debug.Stack()}
	}
}

// Hinter is an error that knows its fix: the one interface of hints. Leaf
// packages implement it on their typed errors; a fix may name options as
// {name}, which each surface spells (option.Surface.Expand). The README's
// troubleshooting table lists every fix (a test checks both ways).
type Hinter interface {
	error
	Hint() string
}

// Hint returns the fix for err: the first non-empty Hint in its chain
// (errors.Join's branches included), else the fix of the first entry of
// [sentinelHints] that matches, else "".
func Hint(err error) string {
	if h := chainHint(err); h != "" {
		return h
	}
	for _, h := range sentinelHints {
		if h.match(err) {
			return h.fix
		}
	}
	return ""
}

func chainHint(err error) string {
	if err == nil {
		return ""
	}
	if h, ok := err.(Hinter); ok {
		if s := h.Hint(); s != "" {
			return s
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return chainHint(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if s := chainHint(e); s != "" {
				return s
			}
		}
	}
	return ""
}

// Hints lists the fixes of [sentinelHints], for the README test.
func Hints() []string {
	out := make([]string, 0, len(sentinelHints))
	for _, h := range sentinelHints {
		out = append(out, h.fix)
	}
	return out
}
