package option

// Error is a problem with the value of one option. It names the option,
// not a flag: [Surface.Message] spells it for the CLI or the action.
//
//	&option.Error{Option: "s3-endpoint", Msg: `"ftp://x": want an https:// URL`}
//	CLI:    --s3-endpoint: "ftp://x": want an https:// URL
//	action: input s3-endpoint: "ftp://x": want an https:// URL
type Error struct {
	Option string // the option's Name in [Table]
	Msg    string // what is wrong; may refer to options as {name}
	Fix    string // how to fix it, the hint; may refer to options as {name}
	Err    error  // the cause, if any, printed after Msg
}

// Error is the CLI rendering.
func (e *Error) Error() string { return e.Render(CLI) }

// Render spells the option names of the message for s.
func (e *Error) Render(s Surface) string {
	head := s.Name(e.Option)
	if s == Action {
		if o := Lookup(e.Option); o != nil && o.Input != 0 {
			head = "input " + head
		}
	}
	out := head
	if e.Msg != "" {
		out += ": " + s.Expand(e.Msg)
	}
	if e.Err != nil {
		out += ": " + s.Message(e.Err)
	}
	return out
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// OptionName is the option the error is about (see [Named]).
func (e *Error) OptionName() string { return e.Option }

// Hint returns the fix, with options written {name} for the surface to
// spell (see [Surface.Expand]).
func (e *Error) Hint() string { return e.Fix }

// New returns an *Error for option name with msg and fix.
func New(name, msg, fix string) *Error { return &Error{Option: name, Msg: msg, Fix: fix} }
