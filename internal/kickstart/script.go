package kickstart

import (
	"errors"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// The installer runs %pre, %post and %firstboot bodies with busybox ash
// (the default) or python. Busybox bodies are parsed here with mvdan.cc/sh's
// bash grammar: ash accepts &> and [[ ]], which a POSIX grammar refuses in
// real files, and what bash cannot parse ash cannot either. Python bodies are
// not parsed.

// checkScript parses the body of s and reports a syntax error at its
// kickstart line.
func (c *checker) checkScript(s *section) {
	if s.ignored || s.cmd.spec == nil {
		return
	}
	interp := "busybox"
	if s.cmd.opts["--interpreter"].hasVal {
		interp = s.cmd.val("--interpreter")
	}
	switch interp {
	case "busybox":
	case "python":
		if s.lastLine > 0 {
			c.notef(s.header, "%s --interpreter=python: the python body is not checked (lint parses busybox scripts only)", s.cmd.name)
		}
		return
	default:
		return // reported with the header: the installer does not run it
	}
	body := strings.Join(s.body, "\n") + "\n"
	_, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(body), "")
	if err == nil {
		return
	}
	line, msg := s.header, err.Error()
	var pe syntax.ParseError
	var le syntax.LangError
	switch {
	case errors.As(err, &pe):
		line, msg = s.header+int(pe.Pos.Line()), pe.Text
	case errors.As(err, &le):
		line, msg = s.header+int(le.Pos.Line()), strings.TrimPrefix(le.Error(), le.Pos.String()+": ")
	}
	if last := s.header + len(s.body); line <= s.header || line > last {
		line = last // at the end of the body: an unclosed construct
	}
	c.scriptFailf(s, line, "shell syntax error in the %s script of %s: %s", s.cmd.name, lineRef(s.header), msg)
}

// scriptFailf reports something that makes the script of s fail when it
// runs: an error in %pre and %post (a failing script fails the install),
// unless %post says --ignorefailure=true, and a warning in %firstboot, which
// runs after the install, on the first boot.
func (c *checker) scriptFailf(s *section, line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	switch {
	case s.cmd.spec.name == "%firstboot":
		c.cautionf(line, "%s (it fails on the first boot, after the install)", msg)
	case s.cmd.spec.name == "%post" && strings.EqualFold(s.cmd.val("--ignorefailure"), "true"):
		c.cautionf(line, "%s (--ignorefailure=true: the install carries on)", msg)
	default:
		c.errorf(line, "%s: a failing %s script fails the install", msg, s.cmd.spec.name)
	}
}
