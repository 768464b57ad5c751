package kickstart

import "errors"

// Tokeniser errors, worded as Python's shlex words them (the installer shows
// shlex's message).
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
