// Package version holds the one version of esxi-byoi: the CLI prints it and
// every HTTP request carries it in the User-Agent. The build stamps it:
//
//	go build -ldflags "-X github.com/esxi-byoi/esxi-byoi/internal/version.Version=v1.2.3" ./cmd/esxi-byoi
//
// (the Dockerfile, scripts/test.sh and the release workflow do). An unstamped
// build falls back to the module version Go records for `go install
// module@version`, else "dev".
package version

import "runtime/debug"

// Version is stamped at build time with -ldflags -X (see the package doc).
var Version = ""

func init() {
	if Version != "" {
		return
	}
	Version = "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		Version = bi.Main.Version
	}
}

// UserAgent is "esxi-byoi/<version>", sent with every HTTP request.
func UserAgent() string { return "esxi-byoi/" + Version }
