package kickstart

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file reads a rendered kickstart the way the ESXi installer ("weasel")
// does: CRLF is read as LF; a section (%pre, %post, %firstboot) has no %end
// and runs until the next line that starts, at column 0, with one of
// sectionPrefixes; every other line is one command, tokenised by splitLine.

// sectionPrefixes end a section body when a line starts with one of them at
// column 0. The installer matches them as plain prefixes.
var sectionPrefixes = []string{"%post", "%pre", "%packages", "%vmlicense_text", "%firstboot", "%include", "include"}

// kickstartOnly are commands that mean nothing to busybox or python: written
// in a section body they are script text, not kickstart commands.
var kickstartOnly = map[string]bool{"vmaccepteula": true, "accepteula": true, "rootpw": true, "clearpart": true,
	"paranoid": true, "dryrun": true, "serialnum": true, "vmserialnum": true, "installorupgrade": true}

// kickstartLike are kickstart commands that are also (or could be) script
// words; in a body they are flagged only when they carry one of their
// kickstart options.
var kickstartLike = map[string]bool{"install": true, "upgrade": true, "network": true, "keyboard": true,
	"part": true, "partition": true}

// maxCommands is the installer's limit on commands, included files counted.
const maxCommands = 256

type section struct {
	cmd      *command
	header   int // line of the header
	ignored  bool
	lastLine int    // last non-blank, non-comment body line (0: none)
	last     string // its text
	body     []string
}

type checker struct {
	file     string
	portal   bool // apply the HPE Bare Metal portal rules too
	problems []*LintError
	cmds     []*command
	sections []*section
	includes bool
	paranoid int // line of the first paranoid command (0: none)
}

// errorf reports what makes the installer stop.
func (c *checker) errorf(line int, format string, args ...any) {
	c.problems = append(c.problems, &LintError{File: c.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// warnf reports a warning the installer logs (and that paranoid makes fatal).
func (c *checker) warnf(line int, format string, args ...any) {
	c.problems = append(c.problems, &LintError{File: c.file, Line: line, Warning: true, logged: true, Msg: fmt.Sprintf(format, args...)})
}

// cautionf reports a risk the installer says nothing about (so paranoid
// does not change it): what it reads is not what the author meant.
func (c *checker) cautionf(line int, format string, args ...any) {
	c.problems = append(c.problems, &LintError{File: c.file, Line: line, Warning: true, Msg: fmt.Sprintf(format, args...)})
}

// notef says what lint did not check.
func (c *checker) notef(line int, format string, args ...any) {
	c.problems = append(c.problems, &LintError{File: c.file, Line: line, Note: true, Msg: fmt.Sprintf(format, args...)})
}

// portalf reports a breach of the HPE Bare Metal portal contract, saying why
// the portal needs it. It does nothing under InstallerOnly.
func (c *checker) portalf(line int, why, format string, args ...any) {
	if !c.portal {
		return
	}
	c.problems = append(c.problems, &LintError{File: c.file, Line: line, Rules: PortalRules,
		Msg: fmt.Sprintf(format, args...) + " (HPE Bare Metal portal rule: " + why + ")"})
}

// Check is Linter{}.Check: installer and portal rules.
func Check(name string, ks []byte) []*LintError { return Linter{}.Check(name, ks) }

// Check reads the kickstart ks (named name in messages) as the ESXi 7.0/8.0
// installer does and returns its problems in order of discovery, each with
// the line it is on (0 for problems about the whole file):
//
//   - every line outside %pre/%post/%firstboot bodies must be a known command
//     with known options, values joined with '=' and valid values; what the
//     installer stops at is an error, what it only logs a warning, and
//     paranoid makes those warnings errors;
//   - vmaccepteula, rootpw and exactly one of install/installorupgrade/upgrade
//     are required; clearpart and part need install; a plaintext rootpw must
//     meet ESXi's default password policy;
//   - busybox bodies are parsed as shell scripts: a syntax error fails a
//     %pre or %post (unless --ignorefailure=true) and is a warning in a
//     %firstboot, which runs only on the first boot;
//   - kickstart commands written after the first section header are script
//     text, and a body line that starts with a section prefix at column 0 ends
//     the section early;
//   - leftovers of a template language ({{, {%, $SNIPPET(, %NAME%, <name>,
//     <no value>) are errors on command lines and warnings in bodies.
//
// Unless l.InstallerOnly, it also applies the portal rule that the last %post
// body ends with /bin/poweroff -n.
func (l Linter) Check(name string, ks []byte) []*LintError {
	problems := l.check(name, ks)
	for _, p := range problems {
		p.Msg = resolveLineRefs(p.Msg, func(n int) string { return "line " + strconv.Itoa(n) })
	}
	return problems
}

// check is Check with the references to other lines left as lineRef marks.
func (l Linter) check(name string, ks []byte) []*LintError {
	c := &checker{file: name, portal: !l.InstallerOnly}
	text := strings.ReplaceAll(string(ks), "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if strings.HasSuffix(text, "\n") {
		lines = lines[:len(lines)-1]
	}
	var cur *section
	for i, raw := range lines {
		n := i + 1
		c.leftovers(n, raw, cur == nil || hasSectionPrefix(raw))
		if cur != nil {
			if !hasSectionPrefix(raw) {
				c.bodyLine(cur, n, raw)
				continue
			}
			if i == len(lines)-1 {
				c.cautionf(n, "the installer never reads a header on the last line right after a section body; add a line after it")
				cur = nil
				break
			}
			cur = c.commandLine(n, raw, cur)
			continue
		}
		cur = c.commandLine(n, raw, nil)
	}
	c.finish()
	return c.problems
}

// Messages name other lines of the file ("already specified on line 3")
// through lineRef, so that Lint can name the template line a rendered line
// came from, which is what a user can edit.
const lineRefMark = '\x1d' // ASCII group separator: no kickstart holds it

func lineRef(n int) string { return string(lineRefMark) + strconv.Itoa(n) + string(lineRefMark) }

// resolveLineRefs replaces each lineRef in msg with name(line).
func resolveLineRefs(msg string, name func(int) string) string {
	var b strings.Builder
	for {
		i := strings.IndexRune(msg, lineRefMark)
		if i < 0 {
			break
		}
		j := strings.IndexRune(msg[i+1:], lineRefMark)
		if j < 0 {
			break
		}
		n, _ := strconv.Atoi(msg[i+1 : i+1+j])
		b.WriteString(msg[:i])
		b.WriteString(name(n))
		msg = msg[i+1+j+1:]
	}
	b.WriteString(msg)
	return b.String()
}

func hasSectionPrefix(line string) bool {
	for _, p := range sectionPrefixes {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// commandLine handles a line read as a command: outside any body, or a line
// that ended the body of prev. It returns the section the line opens, if any.
func (c *checker) commandLine(n int, raw string, prev *section) *section {
	tokens, err := splitLine(raw + "\n")
	if err != nil {
		c.errorf(n, "%s (the installer stops reading the file here)", err)
		return nil
	}
	for _, t := range tokens {
		if strings.Contains(t, "\n") {
			c.warnf(n, "a trailing backslash does not continue a line: the installer reads it as an unknown argument and the next line as a command of its own")
			tokens = slices.DeleteFunc(tokens, func(s string) bool { return s == "\n" })
			break
		}
	}
	if len(tokens) == 0 {
		return nil
	}
	name := tokens[0]
	spec := commandTable[name]
	if prev != nil && (spec == nil || !strings.HasPrefix(spec.name, "%") && spec.name != "%include") && !deprecatedCommands[name] {
		c.cautionf(n, "line starts with %q at column 0, which ends the %s section of %s early (the installer matches section headers by prefix) and is read as a command; indent the line",
			prefixOf(raw), prev.cmd.name, lineRef(prev.header))
	}
	c.commentInWord(n, raw)
	if nonASCII(raw) {
		c.warnf(n, "non-ASCII character in a command line")
	}
	if spec != nil && strings.HasPrefix(spec.name, "%") && raw != strings.TrimLeft(raw, " \t") {
		c.cautionf(n, "section header %s is not at column 0: inside a body it would not end the section", name)
	}
	switch {
	case deprecatedCommands[name]:
		c.warnf(n, "command %q is deprecated and ignored", name)
		if strings.HasPrefix(name, "%") {
			return &section{cmd: &command{line: n, name: name}, header: n, ignored: true}
		}
		return nil
	case name == "lang" || name == "langsupport":
		c.warnf(n, "command %q is unused and ignored", name)
		return nil
	case spec == nil:
		c.unknownCommand(n, tokens)
		return nil
	}
	cmd := c.parseCommand(n, tokens, spec)
	if spec.check != nil {
		spec.check(c, cmd)
	}
	switch spec.name {
	case "%pre", "%post", "%firstboot":
		s := &section{cmd: cmd, header: n}
		c.sections = append(c.sections, s)
		return s
	case "%include":
		c.includes = true
	}
	c.cmds = append(c.cmds, cmd)
	return nil
}

func prefixOf(raw string) string {
	for _, p := range sectionPrefixes {
		if strings.HasPrefix(raw, p) {
			return p
		}
	}
	return raw
}

func nonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func (c *checker) unknownCommand(n int, tokens []string) {
	name := tokens[0]
	for _, b := range bootOptions {
		if strings.HasPrefix(name, b+"=") {
			c.warnf(n, "%s is a boot option (boot.cfg kernelopt), not a kickstart command; the installer skips the line as an unknown command", name)
			return
		}
	}
	if rest, ok := strings.CutPrefix(name, "\ufeff"); ok {
		// Editors on Windows write a UTF-8 byte order mark; the installer
		// reads the file as it is, so the mark sticks to the first command.
		c.warnf(n, "the file starts with a UTF-8 byte order mark, so the installer reads the first command as %q, an unknown command, and skips the line; save the file as UTF-8 without a byte order mark", "\ufeff"+rest)
		return
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := suggest(name, commandNames); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?", s)
		if strings.EqualFold(s, name) {
			msg += " Commands are case-sensitive"
		}
		msg += ")"
	}
	if isShellCommand(name) {
		msg += "; the installer skips the line (it is a shell command: run it in a %post or %firstboot section)"
		c.warnf(n, "%s", msg)
		return
	}
	c.warnf(n, "%s; the installer skips the line", msg)
}

// isShellCommand reports whether name is a command of the ESXi shell that
// kickstarts often carry outside a script section by mistake.
func isShellCommand(name string) bool {
	switch name {
	case "vim-cmd", "esxcli", "localcli", "echo", "sleep", "cp", "mkdir", "sed", "cat", "chmod":
		return true
	}
	return strings.HasPrefix(name, "esxcfg-") || strings.HasPrefix(name, "/")
}

// bodyLine checks one line of a section body. Bodies are scripts: only lines
// that would have been meant as kickstart commands are flagged.
func (c *checker) bodyLine(s *section, n int, raw string) {
	s.body = append(s.body, raw)
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return
	}
	s.lastLine, s.last = n, trimmed
	if s.ignored {
		return
	}
	python := s.cmd.val("--interpreter") == "python"
	if raw != strings.TrimLeft(raw, " \t") && hasSectionPrefix(trimmed) {
		c.cautionf(n, "indented %s does not end the %s section of %s: section headers must start at column 0", strings.Fields(trimmed)[0], s.cmd.name, lineRef(s.header))
		return
	}
	if trimmed == "%end" {
		if python {
			c.scriptFailf(s, n, "%%end is not a section terminator: in a python script it is a SyntaxError")
		} else {
			c.cautionf(n, "%%end is not a section terminator: the script runs it as a command")
		}
		return
	}
	tokens, _ := splitLine(raw + "\n")
	if len(tokens) == 0 {
		return
	}
	w := tokens[0]
	where := fmt.Sprintf("after the %s header of %s", s.cmd.name, lineRef(s.header))
	switch {
	case kickstartOnly[w], kickstartLike[w] && hasKickstartOption(w, tokens[1:]):
		c.cautionf(n, "kickstart command %s %s is script text, not a command; move it before the first section header", w, where)
	case w == "reboot" && len(tokens) <= 2 && !python:
		c.cautionf(n, "reboot %s runs as a shell command in this script, not as the kickstart reboot command", where)
	}
}

func hasKickstartOption(cmd string, args []string) bool {
	spec := commandTable[cmd]
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if _, ok := spec.opts[name]; ok && strings.HasPrefix(a, "--") {
			return true
		}
	}
	return false
}

// finish applies the whole-file rules.
func (c *checker) finish() {
	// Required commands may come from an included file: then lint cannot
	// tell, and only warns (the installer says nothing of the kind).
	report := func(msg string) {
		if c.includes {
			c.cautionf(0, "%s (unless an %%include supplies it)", msg)
		} else {
			c.errorf(0, "%s", msg)
		}
	}
	byName := map[string][]*command{}
	for _, cmd := range c.cmds {
		byName[cmd.spec.name] = append(byName[cmd.spec.name], cmd)
	}
	if len(byName["vmaccepteula"]) == 0 {
		report("vmaccepteula command was not specified: the installer stops; add the line vmaccepteula")
	}
	var family []*command
	for _, f := range installFamily {
		family = append(family, byName[f]...)
	}
	slices.SortFunc(family, func(a, b *command) int { return a.line - b.line })
	switch {
	case len(family) == 0:
		report("none of install, installorupgrade or upgrade is specified: the installer stops; add one, e.g. install --firstdisk --overwritevmfs")
	case len(family) > 1:
		for _, cmd := range family[1:] {
			c.errorf(cmd.line, "%s: more than one of install, upgrade or installorupgrade (first on %s); there can be only one", cmd.name, lineRef(family[0].line))
		}
	}
	if len(byName["install"]) > 0 && len(byName["rootpw"]) == 0 {
		report("command \"rootpw\" required but not found: the installer stops; add rootpw --iscrypted with a SHA-512 crypt hash")
	}
	for _, name := range []string{"clearpart", "part", "partitionembed"} {
		for _, cmd := range byName[name] {
			if len(byName["install"]) == 0 {
				c.errorf(cmd.line, "command %q requires command: \"install\" (installorupgrade and upgrade do not count)", cmd.name)
			}
		}
	}
	for name, cmds := range byName {
		if len(cmds) > 1 && !cmds[0].spec.multi && !slices.Contains(installFamily, name) {
			for _, cmd := range cmds[1:] {
				c.warnf(cmd.line, "command %q was already specified on %s; the last one wins", cmd.name, lineRef(cmds[0].line))
			}
		}
	}
	if len(byName["upgrade"]) > 0 {
		// The installer marks these invalid on the upgrade path and warns.
		for _, name := range []string{"rootpw", "network", "keyboard", "serialnum"} {
			for _, cmd := range byName[name] {
				c.warnf(cmd.line, "command %q is ignored on upgrade (the upgrade keeps the host's settings)", cmd.name)
			}
		}
	}
	if len(byName["network"]) == 0 && len(byName["upgrade"]) == 0 && !c.includes {
		c.warnf(0, "network command not specified: the installer uses DHCP")
	}
	if n := len(c.cmds) + len(c.sections); n > maxCommands {
		c.errorf(0, "%d commands: the installer accepts at most %d", n, maxCommands)
	}
	if p := byName["paranoid"]; len(p) > 0 {
		c.paranoid = p[0].line
	}
	c.makeWarningsFatal()
	for _, s := range c.sections {
		c.checkScript(s)
	}
	c.checkPoweroff()
}

// makeWarningsFatal turns the warnings the installer logs into errors when
// the file says paranoid: the installer then stops at the first of them.
func (c *checker) makeWarningsFatal() {
	if c.paranoid == 0 {
		return
	}
	for _, p := range c.problems {
		if p.logged && p.Warning {
			p.Warning = false
			p.Msg += fmt.Sprintf(" (fatal here: paranoid on %s makes every installer warning an error)", lineRef(c.paranoid))
		}
	}
}

// checkPoweroff checks that the last %post body ends with /bin/poweroff -n.
func (c *checker) checkPoweroff() {
	var last *section
	for _, s := range c.sections {
		if s.cmd.spec.name == "%post" {
			last = s
		}
	}
	const (
		want = "/bin/poweroff -n"
		why  = "the portal learns that the deployment finished when the host powers off at the end of %post"
	)
	switch {
	case last == nil:
		c.portalf(0, why, "no %%post section: the last one must end with %s", want)
	case strings.Join(strings.Fields(last.last), " ") != want:
		found := "an empty body"
		if last.lastLine > 0 {
			found = fmt.Sprintf("%q", last.last)
		}
		c.portalf(last.header, why, "the last %%post section must end with %s (found %s)", want, found)
	}
}
