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
	tokens, _, err := lex(line)
	return tokens, err
}

// wordCut is a '#' that cut a word short: line[start:hash] is what the
// installer reads of the word.
type wordCut struct {
	start, hash int
	ok          bool
}

// lex is splitLine that also reports the first '#' that cut a word.
func lex(line string) (tokens []string, cut wordCut, err error) {
	var (
		tok   []byte
		inTok bool // a token is open (possibly empty, after "")
		start int  // where the open token starts in line
		quote byte // 0, '\'' or '"'
	)
	open := func(i int) {
		if !inTok {
			start, inTok = i, true
		}
	}
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
					return tokens, cut, errNoEscapedChar
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
			if inTok && !cut.ok {
				cut = wordCut{start: start, hash: i, ok: true}
			}
			emit() // the comment runs to the end of the line
			for i < len(line) && line[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			open(i)
			quote = c
		case c == '\\':
			if i+1 >= len(line) {
				return tokens, cut, errNoEscapedChar
			}
			open(i)
			i++
			tok = append(tok, line[i])
		default:
			open(i)
			tok = append(tok, c)
		}
	}
	if quote != 0 {
		return tokens, cut, errNoClosingQuote
	}
	emit()
	return tokens, cut, nil
}

// commentInWord finds an unquoted '#' in the middle of a word of a command
// line: shlex starts a comment there, so `rootpw VMware#1!` sets the password
// "VMware" and says nothing. It returns the word as read and as written.
func commentInWord(line string) (read, written string, ok bool) {
	_, cut, _ := lex(line)
	if !cut.ok {
		return "", "", false
	}
	end := strings.IndexAny(line[cut.hash:], " \t\r\n")
	if end < 0 {
		end = len(line) - cut.hash
	}
	return line[cut.start:cut.hash], line[cut.start : cut.hash+end], true
}

func (c *checker) commentInWord(n int, raw string) {
	if read, written, ok := commentInWord(raw); ok {
		c.cautionf(n, "unquoted '#' starts a comment: the installer reads %q where the line says %q; quote the value", read, written)
	}
}
