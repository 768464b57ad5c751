package option

import (
	"fmt"
	"strings"
)

// Values are options as a surface read them, by [Option.Name]: the CLI from
// its flags, the action from its inputs. A List value holds one item per
// line. What is not set reads as the table's default.
type Values map[string]string

// Get returns the value of name, or its default.
func (v Values) Get(name string) string {
	if s := v[name]; s != "" {
		return s
	}
	return Must(name).Default
}

// Bool parses a YAML 1.2 core schema boolean (as the Actions toolkit's
// getBooleanInput does): true, True, TRUE, false, False, FALSE, or empty.
func (v Values) Bool(name string) (bool, error) {
	switch s := v.Get(name); s {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE", "":
		return false, nil
	default:
		return false, &Error{Option: name, Msg: fmt.Sprintf("%q is not true or false", s), Fix: "write true or false"}
	}
}

// List returns the items of a List value, one per non-empty line.
func (v Values) List(name string) []string {
	var out []string
	for _, l := range strings.Split(v.Get(name), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Add appends item to the List value of name.
func (v Values) Add(name, item string) {
	if v[name] == "" {
		v[name] = item
		return
	}
	v[name] += "\n" + item
}

// FromEnv returns the value of name, else the first of its [Option.Env]
// variables that getenv finds set.
func (v Values) FromEnv(name string, getenv func(string) string) string {
	if s := v[name]; s != "" {
		return s
	}
	for _, k := range Must(name).Env {
		if s := getenv(k); s != "" {
			return s
		}
	}
	return Must(name).Default
}
