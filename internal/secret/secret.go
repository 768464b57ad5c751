// Package secret holds values that must never reach a log, an output, a YAML
// file or a comment. A [String] prints as "***" through every formatting path;
// only the few call sites that need the value (crypt, S3) call Reveal.
package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what a String prints as.
const Redacted = "***"

// String is a secret value.
type String struct{ v string }

// New wraps v.
func New(v string) String { return String{v: v} }

// Reveal returns the raw value. Call it only where the value is consumed.
func (s String) Reveal() string { return s.v }

// IsZero reports whether no secret was given.
func (s String) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer.
func (s String) String() string { return Redacted }

// GoString implements fmt.GoStringer so %#v does not leak either.
func (s String) GoString() string { return Redacted }

// Format implements fmt.Formatter for every verb.
func (s String) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue implements slog.LogValuer.
func (s String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalYAML implements yaml.Marshaler.
func (s String) MarshalYAML() (any, error) { return Redacted, nil }

// MarshalJSON implements json.Marshaler.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
