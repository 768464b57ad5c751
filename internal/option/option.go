package option

import (
	"slices"
	"strings"
)

// Kind is how an option's value is written.
type Kind int

const (
	String    Kind = iota // one value
	Bool                  // a switch: --flag on the CLI, true/false in the action
	List                  // repeatable flag; in the action one item per line
	BoolValue             // true/false given as a value (`-x true`, the recipe's form)
	Int                   // a whole number
	Duration              // a Go duration such as 30s
	Path                  // a file or directory (the action resolves it against the workspace)
)

// Mode is a set of action modes that read an input.
type Mode int

const (
	ModeBuild   Mode = 1 << iota // build mode (tag push, schedule, dispatch)
	ModePreview                  // preview mode (pull requests)
	ModeWatch                    // watch mode (a schedule checking published services)

	// ModeAll is build and preview, the modes that make something; watch
	// mode reads only the inputs that name it.
	ModeAll = ModeBuild | ModePreview
)

// Option is one option of esxi-byoi.
type Option struct {
	// Name identifies the option everywhere: it is the action input's name
	// (INPUT_<NAME>) and the name errors carry.
	Name string
	// Flag is the long CLI flag without dashes; "" when only the action has
	// the option. Short is its one-letter form, "" for none.
	Flag, Short string
	// Commands lists the `esxi-byoi` commands that have the flag.
	Commands []string
	// Input is the set of action modes that read the input; 0 when the
	// action has no such input. Required means those modes need a value.
	Input    Mode
	Required bool
	Kind     Kind
	// Env lists environment variables that supply the value when neither
	// flag nor input does, in order.
	Env []string
	// Default is used when the option is not given; YAMLDefault replaces it
	// in action.yml when the runner must evaluate it (an expression).
	Default, YAMLDefault string
	// Arg names the value in usage text ("URL", "FILE").
	Arg string
	// Secret values are masked in the action's log before anything else is
	// printed, and never printed by the CLI.
	Secret bool
	// Doc says what the option does, as one or two sentences; it may refer
	// to other options as {name} (see [Surface.Expand]).
	Doc string
}

// Lookup returns the option called name, or nil.
func Lookup(name string) *Option {
	for i := range Table {
		if Table[i].Name == name {
			return &Table[i]
		}
	}
	return nil
}

// Must returns the option called name and panics when the table lacks it:
// for names written in code, which a test covers.
func Must(name string) *Option {
	o := Lookup(name)
	if o == nil {
		panic("option: no option " + name + " in the table")
	}
	return o
}

// For returns the options of CLI command cmd, in table order.
func For(cmd string) []*Option {
	var out []*Option
	for i := range Table {
		if slices.Contains(Table[i].Commands, cmd) {
			out = append(out, &Table[i])
		}
	}
	return out
}

// Inputs returns the options the action reads, in action.yml order.
func Inputs() []*Option {
	var out []*Option
	for i := range Table {
		if Table[i].Input != 0 {
			out = append(out, &Table[i])
		}
	}
	return out
}

// FlagNames returns the CLI spellings of o, short first: "-i/--iso".
func (o *Option) FlagNames() string {
	switch {
	case o.Flag == "":
		return ""
	case o.Short != "":
		return "-" + o.Short + "/--" + o.Flag
	}
	return "--" + o.Flag
}

// Usage is the flag's usage text: the doc rendered for the CLI, with Arg
// back-quoted first so that flag.PrintDefaults names the value.
func (o *Option) Usage() string {
	doc := strings.ReplaceAll(CLI.Expand(o.Doc), "`", "")
	if o.Arg != "" && o.Kind != Bool {
		return "`" + o.Arg + "` " + doc
	}
	return doc
}
