package isotest_test

import (
	"os/exec"
)

// execOut runs a tool directly (not through the package under test) and
// returns its stdout.
func execOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return string(out), err
}
