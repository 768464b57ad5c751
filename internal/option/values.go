package option

import (
	"fmt"
	"strconv"
	"strings"
	"time"
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

// Check parses the value of name by its Kind, as the CLI's flags do when
// they are set, so that a surface reading text (the action's inputs) refuses
// a malformed value even where no stage would read it (health-timeout
// without health). An empty value is not checked: it reads as the default.
func (v Values) Check(name string) error {
	s := v[name]
	if s == "" {
		return nil
	}
	switch Must(name).Kind {
	case Bool, BoolValue:
		_, err := v.Bool(name)
		return err
	case Int:
		if _, err := strconv.Atoi(s); err != nil {
			return &Error{Option: name, Msg: fmt.Sprintf("%q is not a whole number", s), Fix: "write a whole number"}
		}
	case Duration:
		if d, err := time.ParseDuration(s); err != nil || d <= 0 {
			return &Error{Option: name, Msg: fmt.Sprintf("%q: want a duration above 0 such as 30m or 15s", s), Fix: "write a duration with its unit, such as 30m, 15s or 1h30m"}
		}
	}
	return nil
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
