package isotest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// BootTimeout bounds one QEMU boot. Under TCG a BIOS boot prints BOOT.CFG in
// about 1 s and a UEFI boot halts in 5 to 9 s (two CPUs, boots in parallel);
// the margin is for loaded CI hosts.
var BootTimeout = 60 * time.Second

// AccelEnv names the environment variable that overrides QEMU's accelerators:
// a comma-separated list tried in order, e.g. "kvm,tcg" (QEMU 7.2's -accel
// takes one name per flag; "kvm:tcg" is only valid in -machine accel=). The
// default is TCG alone: on the CI hosts /dev/kvm exists but virtualisation is
// nested, and KVM dies with "KVM internal error. Suberror: 1 ... emulation
// failure" in isolinux's real-mode code, while TCG boots these tiny images in
// seconds anyway.
const AccelEnv = "ISOTEST_QEMU_ACCEL"

// accelArgs returns the -accel flags for QEMU.
func accelArgs() []string {
	list := os.Getenv(AccelEnv)
	if list == "" {
		list = "tcg"
	}
	var args []string
	for _, a := range strings.Split(list, ",") {
		if a = strings.TrimSpace(a); a != "" {
			args = append(args, "-accel", a)
		}
	}
	return args
}

// BootBIOS boots iso from the CD-ROM under SeaBIOS and returns the serial
// console text (ANSI escapes and CRs removed) once isolinux has printed
// /BOOT.CFG through cat.c32 and come back to its boot: prompt. It fails the test
// if no kernelopt= line was printed or BootTimeout passes.
func BootBIOS(t testing.TB, iso string) string {
	t.Helper()
	args := []string{
		"-m", "256",
		"-cdrom", iso, "-boot", "d",
	}
	// isolinux's banner, then the file, then the prompt it returns to.
	done := func(text string) bool {
		i := strings.Index(text, "ISOLINUX")
		return i >= 0 && strings.Contains(text[i:], "\nboot:")
	}
	return boot(t, "BIOS", iso, args, done)
}

// BootUEFI boots iso under OVMF (q35, pflash code + a private copy of the
// variable store) and returns the serial console text once GRUB from
// EFIBOOT.IMG has printed /EFI/BOOT/BOOT.CFG (and /KS.CFG when present, see
// [UEFISection]) and powered off. GRUB wraps lines at the console width (100
// columns under OVMF), so a long line comes back broken: kernelopt values
// that boot tests read must stay under 90 characters.
func BootUEFI(t testing.TB, iso string) string {
	t.Helper()
	needFile(t, ovmfCode)
	needFile(t, ovmfVars)
	vars := filepath.Join(t.TempDir(), "OVMF_VARS_4M.fd")
	if err := os.WriteFile(vars, readFile(t, ovmfVars), 0o644); err != nil {
		t.Fatalf("isotest: copy OVMF variable store: %v", err)
	}
	args := []string{
		"-machine", "q35", "-m", "256",
		"-drive", "if=pflash,format=raw,readonly=on,file=" + ovmfCode,
		"-drive", "if=pflash,format=raw,file=" + vars,
		"-cdrom", iso,
	}
	done := func(text string) bool { return strings.Contains(text, markHalt) }
	return boot(t, "UEFI", iso, args, done)
}

// console collects QEMU's serial output and signals once done says so.
type console struct {
	mu       sync.Mutex
	raw      bytes.Buffer
	done     func(string) bool
	finished chan struct{}
	once     sync.Once
}

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw.Write(p)
	if c.done(CleanConsole(c.raw.String())) {
		c.once.Do(func() { close(c.finished) })
	}
	return len(p), nil
}

func (c *console) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CleanConsole(c.raw.String())
}

// bootSlots limits concurrent boots in one test process to one per CPU: a TCG
// guest keeps a host CPU busy, and oversubscribing only makes every boot slower
// and the timeout meaningless. BootTimeout starts once a slot is taken.
var bootSlots = make(chan struct{}, max(1, runtime.NumCPU()))

func boot(t testing.TB, kind, iso string, machine []string, done func(string) bool) string {
	t.Helper()
	qemu := needTool(t, "qemu-system-x86_64")
	bootSlots <- struct{}{}
	defer func() { <-bootSlots }()
	args := append(accelArgs(),
		"-display", "none", "-monitor", "none",
		"-serial", "stdio", // COM1 → our console writer
		"-nic", "none", // no option ROM, no network boot to wait for
		"-no-reboot", // a reset or triple fault ends QEMU instead of looping
	)
	args = append(args, machine...)
	c := &console{done: done, finished: make(chan struct{})}
	var stderr bytes.Buffer
	cmd := exec.Command(qemu, args...)
	cmd.Stdout, cmd.Stderr = c, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("isotest: %s boot: start %s: %v", kind, qemu, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { // stop QEMU before returning (or failing): it keeps a CPU busy
		_ = cmd.Process.Kill()
		<-exited
	}()
	timer := time.NewTimer(BootTimeout)
	defer timer.Stop()
	var outcome string
	select {
	case <-c.finished:
		outcome = "finished"
	case err := <-exited:
		exited <- err // for the deferred wait
		outcome = fmt.Sprintf("QEMU exited (%v)", err)
		if err == nil {
			outcome = "QEMU exited"
		}
	case <-timer.C:
		outcome = fmt.Sprintf("timed out after %s", BootTimeout)
	}
	elapsed := time.Since(start).Round(10 * time.Millisecond)
	text := c.text()
	if !done(text) {
		t.Fatalf("isotest: %s boot of %s did not finish printing: %s\nqemu %s\nstderr:\n%s\nconsole:\n%s",
			kind, iso, outcome, strings.Join(args, " "), tail(stderr.String(), 2000), tail(text, 6000))
	}
	if _, ok := kernelopts(text); !ok {
		t.Fatalf("isotest: %s boot of %s printed no kernelopt= line\nconsole:\n%s", kind, iso, tail(text, 6000))
	}
	t.Logf("isotest: %s boot of %s: %s in %s", kind, filepath.Base(iso), outcome, elapsed)
	return text
}

var (
	csi      = regexp.MustCompile(`\x1b\[[0-9;?=]*[ -/]*[@-~]`)
	escOther = regexp.MustCompile(`\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHM]`)
	ctrl     = regexp.MustCompile(`[\x00-\x08\x0b-\x1f\x7f]`)
)

// CleanConsole removes ANSI escape sequences, carriage returns and other
// control characters from serial console output, keeping newlines and tabs.
func CleanConsole(s string) string {
	s = csi.ReplaceAllString(s, "")
	s = escOther.ReplaceAllString(s, "")
	return ctrl.ReplaceAllString(s, "")
}

var kerneloptLine = regexp.MustCompile(`(?m)^[ \t]*kernelopt=(.*)$`)

func kernelopts(console string) ([]string, bool) {
	var vals []string
	for _, m := range kerneloptLine.FindAllStringSubmatch(console, -1) {
		vals = append(vals, strings.TrimRight(m[1], " \t"))
	}
	return vals, len(vals) > 0
}

// Kernelopt returns the value of the kernelopt= line a boot printed (trailing
// blanks trimmed). It fails the test when there is none, or when several lines
// disagree.
func Kernelopt(t testing.TB, console string) string {
	t.Helper()
	vals, ok := kernelopts(console)
	if !ok {
		t.Fatalf("isotest: no kernelopt= line on the console:\n%s", tail(console, 6000))
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			t.Fatalf("isotest: the console shows different kernelopt= lines %q:\n%s", vals, tail(console, 6000))
		}
	}
	return vals[0]
}

// UEFISection returns what GRUB printed for the file at p (UEFICfgPath or
// KSPath) during BootUEFI: the text between its begin and end markers, minus
// the newline GRUB's cat adds, with CRLF shown as LF and lines wider than the
// console (100 columns under OVMF) broken. ok is false when GRUB did not print
// it (for KSPath: the CD has no such file).
func UEFISection(console, p string) (text string, ok bool) {
	begin := markBegin + p + "\n"
	i := strings.Index(console, begin)
	if i < 0 {
		return "", false
	}
	rest := console[i+len(begin):]
	j := strings.Index(rest, markEnd+p)
	if j < 0 {
		return "", false
	}
	// GRUB's cat ends with a newline of its own; the marker follows it.
	return strings.TrimSuffix(rest[:j], "\n"), true
}
