package kickstart

import (
	"errors"
	"strings"
)

// Tokeniser errors, worded exactly as Python's shlex words them, capital
// letter included: the installer logs shlex's message, and a user searching
// the installer's log (or the web) for it should find the same words.
var (
	//lint:ignore ST1005 shlex's own wording, capital letter included, is what the installer prints
	errNoClosingQuote = errors.New("No closing quotation")
	//lint:ignore ST1005 shlex's own wording, capital letter included, is what the installer prints
	errNoEscapedChar = errors.New("No escaped character")
)

// splitLine tokenises one kickstart line as the ESXi installer does, with
// Python's shlex.split(line, comments=True) in POSIX mode:
//
//   - tokens are separated by space, tab, CR or LF;
//   - '#' outside quotes starts a comment, even in the middle of a word
//     (`rootpw VMware#1` has the password "VMware");
//   - single quotes keep everything literally; double quotes keep everything
//     but let a backslash escape '"' and '\'; quotes in a word join with it
//     (`--firstdisk="DELLBOSS VD"` is one token);
//   - outside quotes a backslash escapes the next character, so a trailing
//     backslash escapes the line's newline into the token.
//
// line should include its newline, as the installer's does. A quote that is
// not closed, or a backslash at the very end, is an error.
func splitLine(line string) ([]string, error) {
	var (
		tokens []string
		tok    []byte
		inTok  bool // a token is open (possibly empty, after "")
		quote  byte // 0, '\'' or '"'
	)
	emit := func() {
		if inTok {
			tokens = append(tokens, string(tok))
		}
		tok, inTok = tok[:0], false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				tok = append(tok, c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\':
				if i+1 >= len(line) {
					return tokens, errNoEscapedChar
				}
				i++
				if n := line[i]; n != '"' && n != '\\' {
					tok = append(tok, '\\')
				}
				tok = append(tok, line[i])
			default:
				tok = append(tok, c)
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			emit()
		case c == '#':
			emit() // the comment runs to the end of the line
			for i < len(line) && line[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			quote, inTok = c, true
		case c == '\\':
			if i+1 >= len(line) {
				return tokens, errNoEscapedChar
			}
			i++
			tok, inTok = append(tok, line[i]), true
		default:
			tok, inTok = append(tok, c), true
		}
	}
	if quote != 0 {
		return tokens, errNoClosingQuote
	}
	emit()
	return tokens, nil
}

// commentInWord finds an unquoted '#' in the middle of a word of a command
// line: shlex starts a comment there, so `rootpw VMware#1!` sets the password
// "VMware" and says nothing. It returns the word as read and as written.
func commentInWord(line string) (read, written string, ok bool) {
	var quote byte
	start := -1 // start of the current word
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			start = -1
		case c == '#':
			if start < 0 {
				return "", "", false // a comment of its own
			}
			end := strings.IndexAny(line[i:], " \t\r\n")
			if end < 0 {
				end = len(line) - i
			}
			return line[start:i], line[start : i+end], true
		default:
			if start < 0 {
				start = i
			}
			if c == '\'' || c == '"' {
				quote = c
			} else if c == '\\' {
				i++
			}
		}
	}
	return "", "", false
}

func (c *checker) commentInWord(n int, raw string) {
	if read, written, ok := commentInWord(raw); ok {
		c.cautionf(n, "unquoted '#' starts a comment: the installer reads %q where the line says %q; quote the value", read, written)
	}
}
