package option

import (
	"errors"
	"strings"
)

// Surface is where a name is printed: the CLI or the GitHub Action. Each
// names an option its own way.
type Surface int

const (
	CLI    Surface = iota // flags: "--s3-bucket", "-i/--iso"
	Action                // inputs: "s3-bucket"
)

// Name is how s spells the option called name: its flag on the CLI, its
// input in the action, else the first environment variable that supplies
// it, else the bare name (the action never prints flag text).
func (s Surface) Name(name string) string {
	o := Lookup(name)
	switch {
	case o == nil:
		return name
	case s == CLI && o.Flag != "":
		return o.FlagNames()
	case s == Action && o.Input != 0:
		return o.Name
	case len(o.Env) > 0:
		return o.Env[0]
	case s == CLI:
		return o.Name
	}
	// The action never spells a flag, even for an option only the CLI has.
	return o.Name
}

// Expand replaces each {name} in text, where name is an option of the table,
// with s's spelling of it. Other braces are left as they are.
func (s Surface) Expand(text string) string {
	if !strings.Contains(text, "{") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			break
		}
		name := text[i+1 : i+j]
		if Lookup(name) == nil {
			b.WriteString(text[:i+1])
			text = text[i+1:]
			continue
		}
		b.WriteString(text[:i])
		b.WriteString(s.Name(name))
		text = text[i+j+1:]
	}
	b.WriteString(text)
	return b.String()
}

// Renderer is an error that can spell option names for a surface; its
// Error() is its CLI rendering.
type Renderer interface {
	error
	Render(s Surface) string
}

// Message returns err's text with every option named as s names it. It
// follows the chain: a wrapper that adds a prefix or suffix to its cause's
// text ("remastering ISO: %w") keeps it, and the cause is rendered for s; a
// [Renderer] renders itself; errors.Join's lines are rendered one by one.
// Text a wrapper composed in any other way is kept as it is.
func (s Surface) Message(err error) string {
	if err == nil {
		return ""
	}
	if r, ok := err.(Renderer); ok {
		return r.Render(s)
	}
	full := err.Error()
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		errs := u.Unwrap()
		var raw, out []string
		for _, e := range errs {
			if e == nil {
				continue
			}
			raw = append(raw, e.Error())
			out = append(out, s.Message(e))
		}
		if strings.Join(raw, "\n") == full {
			return strings.Join(out, "\n")
		}
		return full
	case interface{ Unwrap() error }:
		cause := u.Unwrap()
		if cause == nil {
			return full
		}
		cm := cause.Error()
		switch {
		case strings.HasSuffix(full, cm):
			return full[:len(full)-len(cm)] + s.Message(cause)
		case strings.HasPrefix(full, cm):
			return s.Message(cause) + full[len(cm):]
		}
	}
	return full
}

// Named is an error about one option: *Error, and typed errors of other
// packages that know which option their value came from.
type Named interface {
	error
	OptionName() string
}

// NameOf returns the name of the option the first Named error in err's
// chain is about, or "".
func NameOf(err error) string {
	var n Named
	if errors.As(err, &n) {
		return n.OptionName()
	}
	return ""
}

// Find returns the first *Error in err's chain, or nil.
func Find(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
