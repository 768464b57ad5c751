package pipeline

import (
	"errors"
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

// hint pairs an error matcher with the fix to print beside it.
type hint struct {
	match func(error) bool
	fix   string
}

var hints []hint

// registerHint adds the fix for errors matching target (by errors.Is).
// Called from init in hints.go only, so the table stays in one place.
func registerHint(target error, fix string) {
	hints = append(hints, hint{match: func(err error) bool { return errors.Is(err, target) }, fix: fix})
}

// registerHintAs adds the fix for errors of type *T (by errors.As).
func registerHintAs[T error](fix string) {
	hints = append(hints, hint{match: func(err error) bool { var t T; return errors.As(err, &t) }, fix: fix})
}

// Hint returns the fix for err, or "" when none is known. An error that carries
// its own fix (interface{ Hint() string }) wins over the table.
func Hint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		if s := h.Hint(); s != "" {
			return s
		}
	}
	for _, h := range hints {
		if h.match(err) {
			return h.fix
		}
	}
	return ""
}

// Hints lists every fix in the table, for the README troubleshooting test.
func Hints() []string {
	out := make([]string, 0, len(hints))
	for _, h := range hints {
		out = append(out, h.fix)
	}
	return out
}
