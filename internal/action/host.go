package action

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Host is what the action needs of the GitHub Actions runner: inputs, masks,
// outputs, the job summary, log groups, annotations and a way to echo text a
// pull request controls. [NewHost] implements it over go-githubactions and
// the runner's files; tests run it against buffers and temp files.
type Host interface {
	Input(name string) string // INPUT_<NAME>, upper case, hyphens kept, trimmed
	Getenv(key string) string
	Mask(value string) // ::add-mask:: for the value and each of its lines
	// SetOutput appends name=value to $GITHUB_OUTPUT under a random heredoc
	// delimiter; a value that contains the delimiter is refused.
	SetOutput(name, value string) error
	// AppendSummary appends Markdown to $GITHUB_STEP_SUMMARY.
	AppendSummary(markdown string) error
	Group(title string)
	EndGroup()
	Annotate(a Annotation)
	Warning(format string, args ...any)
	Logf(format string, args ...any)
	// StopCommands echoes untrusted text with workflow command processing
	// turned off (::stop-commands::<random token> … ::<token>::).
	StopCommands(text string)
	Log() io.Writer
}

// Annotation is an ::error::, ::warning:: or ::notice:: line, attached to a
// file and line of the repository when they are known.
type Annotation struct {
	Level string // "error", "warning" or "notice"
	File  string // path relative to the workspace; "" for none
	Line  int
	Col   int
	Title string
	Msg   string
}

type ghHost struct {
	gha    *githubactions.Action
	w      io.Writer
	getenv func(string) string
	token  func() string // random tokens: heredoc delimiters, stop-commands
}

// NewHost returns the Host of a runner whose environment is getenv and whose
// log is w.
func NewHost(getenv func(string) string, w io.Writer) Host {
	return &ghHost{
		gha:    githubactions.New(githubactions.WithWriter(w), githubactions.WithGetenv(getenv)),
		w:      w,
		getenv: getenv,
		token:  randomToken,
	}
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

func (h *ghHost) Input(name string) string { return h.gha.GetInput(name) }
func (h *ghHost) Getenv(key string) string { return h.getenv(key) }
func (h *ghHost) Log() io.Writer           { return h.w }
func (h *ghHost) Group(title string)       { h.gha.Group(title) }
func (h *ghHost) EndGroup()                { h.gha.EndGroup() }

func (h *ghHost) Mask(v string) {
	if strings.TrimSpace(v) == "" {
		return
	}
	h.gha.AddMask(v)
	if strings.ContainsAny(v, "\r\n") { // the runner masks line by line
		for _, l := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if strings.TrimSpace(l) != "" {
				h.gha.AddMask(l)
			}
		}
	}
}

func (h *ghHost) Logf(format string, args ...any) { fmt.Fprintf(h.w, format+"\n", args...) }

func (h *ghHost) Warning(format string, args ...any) {
	h.Annotate(Annotation{Level: "warning", Msg: fmt.Sprintf(format, args...)})
}

func (h *ghHost) Annotate(a Annotation) {
	props := githubactions.CommandProperties{}
	if a.File != "" {
		props["file"] = a.File
		if a.Line > 0 {
			props["line"] = strconv.Itoa(a.Line)
			if a.Col > 0 {
				props["col"] = strconv.Itoa(a.Col)
			}
		}
	}
	if a.Title != "" {
		props["title"] = a.Title
	}
	// The message is escaped (%, CR, LF) by Command.String, so text in it
	// cannot start a command line of its own.
	h.gha.IssueCommand(&githubactions.Command{Name: a.Level, Message: a.Msg, Properties: props})
}

func (h *ghHost) StopCommands(text string) {
	if text == "" {
		return
	}
	tok := h.token()
	fmt.Fprintf(h.w, "::stop-commands::%s\n", tok)
	io.WriteString(h.w, text)
	if !strings.HasSuffix(text, "\n") {
		io.WriteString(h.w, "\n")
	}
	fmt.Fprintf(h.w, "::%s::\n", tok)
}

// ErrDelimiterInValue means an output value holds the heredoc delimiter that
// was drawn for it. With 128 random bits this is an attack, not bad luck.
var ErrDelimiterInValue = errors.New("output value contains the heredoc delimiter")

func (h *ghHost) SetOutput(name, value string) error {
	if name == "" || strings.ContainsAny(name, "=<\r\n") {
		return fmt.Errorf("output name %q: want a plain name", name)
	}
	delim := "ghadelimiter_" + h.token()
	if strings.Contains(value, delim) || strings.Contains(name, delim) {
		return fmt.Errorf("output %s: %w", name, ErrDelimiterInValue)
	}
	return h.appendFile("GITHUB_OUTPUT", name+"<<"+delim+"\n"+value+"\n"+delim+"\n")
}

func (h *ghHost) AppendSummary(md string) error { return h.appendFile("GITHUB_STEP_SUMMARY", md) }

// appendFile appends s to the runner file named by the environment variable
// env. Outside a runner (env unset) nothing is written.
func (h *ghHost) appendFile(env, s string) error {
	p := h.getenv(env)
	if p == "" {
		return nil
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open $%s: %w", env, err)
	}
	_, err = io.WriteString(f, s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write $%s: %w", env, err)
	}
	return nil
}
