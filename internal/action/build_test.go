package action_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/esxi-byoi/esxi-byoi/internal/action"
	"github.com/esxi-byoi/esxi-byoi/internal/remaster"
	"github.com/esxi-byoi/esxi-byoi/internal/service"
)

const urlPrefix = "https://images.example.com/esxi"

// buildRunner is a tag push that builds the 8 MiB sample without S3 and
// without verification (-x true).
func buildRunner(t *testing.T) *runner {
	r := newRunner(t, "push", "push_tag.json")
	r.env["GITHUB_REF"] = "refs/tags/esxi-8.0U3"
	r.input("iso", smallSample(t)).input("image-url-prefix", urlPrefix).
		input("skip-verify", "true").input("root-password", rootPassword).input("github-token", githubToken)
	return r
}

// A tag push in auto mode builds: the ISO and the service YAML are written
// under output-dir, and the outputs, the summary and the log say so.
func TestBuildOnTagPushWritesISOServiceYAMLAndOutputs(t *testing.T) {
	r := buildRunner(t)
	res := r.run()
	require.Equal(t, 0, res.code, res)

	name := "VMware-VMvisor-Installer-8.0U3-24022510.x86_64-BareMetal"
	o := res.outputs
	require.Equal(t, "esxi-byoi-out/"+name+".iso", o["iso-path"])
	require.Equal(t, "esxi-byoi-out/"+name+".yml", o["service-yml"])
	iso, err := os.ReadFile(filepath.Join(r.workspace, o["iso-path"]))
	require.NoError(t, err)
	sum := sha256.Sum256(iso)
	require.Equal(t, hex.EncodeToString(sum[:]), o["iso-sha256"])
	require.Equal(t, strconv.Itoa(len(iso)), o["iso-size"])
	require.Equal(t, urlPrefix+"/"+name+".iso", o["iso-url"])
	require.Equal(t, "24022510", o["esxi-build"])
	require.NotEmpty(t, o["esxi-version"])
	require.Equal(t, "false", o["published"])
	require.NotContains(t, o, "comment-url", "a tag push has no pull request")

	y, err := os.ReadFile(filepath.Join(r.workspace, o["service-yml"]))
	require.NoError(t, err)
	require.NoError(t, service.Validate(y))
	svc, err := service.Parse(y)
	require.NoError(t, err)
	ks, err := svc.Info[0].Decode()
	require.NoError(t, err)
	require.Regexp(t, `(?m)^rootpw --iscrypted \$6\$[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$`, string(ks))

	// the summary: a table of the result, the YAML without its base64 blob
	// (see TestSummarySurvivesTheRunnersMasking) and the decoded kickstart
	ysum := sha256.Sum256(y)
	for _, want := range []string{"| ESXi build | 24022510 |", "| sha256 | <code>" + o["iso-sha256"] + "</code> |",
		"| URL | " + urlPrefix + "/" + name + ".iso |", "| verified | skipped (skip-verify) |",
		"| published | no: copy the ISO to the URL yourself |",
		fmt.Sprintf("| service YAML | %d bytes, sha256 <code>%x</code> |", len(y), ysum),
		"    contents: \"<" + strconv.Itoa(len(svc.Info[0].Contents)) + " characters of base64: left out here",
		"# (rootpw line left out: it holds the root password hash)\n", "vmaccepteula\n"} {
		require.Contains(t, res.summary, want)
	}
	require.NotContains(t, res.summary, svc.Info[0].Contents)
	require.NotRegexp(t, `rootpw --iscrypted \$6\$`, res.summary)
	requireGroups(t, res, "remastering ISO", "rendering service YAML")
	require.True(t, hasAnnotation(res, "warning", "no artifact"), res)
	// the password was masked first, and its hash too
	require.Contains(t, res.stdout, "::add-mask::"+rootPassword+"\n")
	require.Regexp(t, `::add-mask::\$6\$`, res.stdout)
}

// schedule and workflow_dispatch build in auto mode; a build names every
// missing input and its fix, as ::error title=input <name>:: lines.
func TestBuildModeNamesEveryMissingInput(t *testing.T) {
	for _, ev := range []string{"schedule", "workflow_dispatch"} {
		t.Run(ev, func(t *testing.T) {
			file := ""
			if ev == "schedule" {
				file = "schedule.json"
			}
			r := newRunner(t, ev, file)
			res := r.run()
			require.Equal(t, action.ExitFailure, res.code, res)
			titles := map[string]string{}
			for _, a := range res.annotations("error") {
				titles[a.props] = a.msg
			}
			require.Contains(t, titles, "title=input iso")
			require.Contains(t, titles["title=input iso"], "input iso: required")
			require.Contains(t, titles["title=input iso"], "fix: give iso: the vendor ISO")
			require.Contains(t, titles, "title=input image-url-prefix")
			require.Contains(t, titles, "title=input root-password")
			require.Contains(t, titles["title=input root-password"], "no root password (fix: set ESXI_ROOT_PASSWORD, or give root-password-hash, root-password-file or root-password)")
			require.Empty(t, res.outputs)
		})
	}
}

func TestBadInputsAreErrorsNamingTheInput(t *testing.T) {
	for name, tc := range map[string]struct {
		inputs map[string]string
		want   string
	}{
		"mode":     {map[string]string{"mode": "deploy"}, `input mode: "deploy" is not one of auto, build, preview`},
		"comment":  {map[string]string{"comment": "sometimes"}, `input comment: "sometimes" is not one of auto, always, never`},
		"bool":     {map[string]string{"replace": "yes"}, `input replace: "yes" is not true or false (fix: write true or false)`},
		"outside":  {map[string]string{"output-dir": "../elsewhere"}, "input output-dir: must be a path inside the workspace"},
		"hash":     {map[string]string{"root-password": "", "root-password-hash": "$1$abc$def"}, "input root-password-hash"},
		"both":     {map[string]string{"root-password-hash": "$6$x$" + strings.Repeat("y", 86)}, "input root-password: given together with root-password-hash (fix: give one of root-password-hash, root-password-file and root-password)"},
		"endpoint": {map[string]string{"s3-bucket": "b", "s3-endpoint": "http://s3.lab"}, `input s3-endpoint: "http://s3.lab": want an https:// URL`},
		"two URLs": {map[string]string{"s3-bucket": "b", "s3-region": "r", "public-url-prefix": "https://cdn"},
			"input public-url-prefix: give image-url-prefix or public-url-prefix, not both"},
		"plain http ISO": {map[string]string{"iso": "http://media.example.com/esxi.iso"}, "plain http is not accepted (fix: use https://, or s3://bucket/key)"},
		"missing ISO":    {map[string]string{"iso": "no/such.iso"}, "no such file or directory"},
		// a malformed value is refused even where no stage reads it, as the CLI's flag refuses it
		"duration without health": {map[string]string{"health-timeout": "soon"}, `input health-timeout: "soon": want a duration above 0 such as 30m or 15s (fix: write a duration with its unit`},
		// the edit's own input, not the kernelopt it edits, and no flag text
		"kernelopt-add token": {map[string]string{"kernelopt-add": "allowLegacyCPU=true\n=c"}, `input kernelopt-add: bootcfg: kernelopt add "=c": has an empty key (fix: give kernelopt tokens as KEY=VALUE`},
		"kernelopt-remove ks": {map[string]string{"kernelopt-remove": "ks"}, `input kernelopt-remove: gives kernelopt="gdbPort=none logPort=none tty2Port=com2": kernelopt has no ks=cdrom:/KS.CFG (fix: keep ks=cdrom:/KS.CFG: the portal serves the rendered kickstart as /KS.CFG on the virtual CD, and without it the installer waits for a person (or give the whole value with kernelopt if you really mean it))`},
		// paths as the user wrote them, not under the container's workspace
		"missing kickstart": {map[string]string{"kickstart": "ks/none.cfg"}, "input kickstart: open ks/none.cfg: no such file or directory (fix: check the path)"},
		"missing CA file":   {map[string]string{"ca-file": "certs/none.pem"}, "input ca-file: CA file certs/none.pem: open certs/none.pem: no such file or directory (fix: pass a readable PEM file"},
		"missing hosts":     {map[string]string{"hosts": "ks/nohosts"}, "input hosts: stat ks/nohosts: no such file or directory (fix: check the path)"},
	} {
		t.Run(name, func(t *testing.T) {
			r := buildRunner(t)
			for k, v := range tc.inputs {
				r.input(k, v)
			}
			res := r.run()
			require.Equal(t, action.ExitFailure, res.code, res)
			require.True(t, hasAnnotation(res, "error", tc.want), res)
			require.NotContains(t, res.stdout, r.workspace+"/", "a path under the container's workspace")
			input, _, _ := strings.Cut(tc.want, ":") // "input mode"
			titled := false
			for _, a := range res.annotations("error") {
				require.NotRegexp(t, `(^|[\s(/"'])--?[a-z]`, a.msg, "CLI flag text in an action message")
				titled = titled || strings.Contains(a.props, "title="+input)
			}
			if strings.HasPrefix(tc.want, "input ") {
				require.True(t, titled, "an annotation is titled %q: %v", input, res)
			}
			ents, _ := os.ReadDir(filepath.Join(r.workspace, "esxi-byoi-out"))
			require.Empty(t, ents, "a failed build leaves no file behind")
		})
	}
}

// auto cannot choose for a push to a branch: an error naming the input.
func TestAutoModeRefusesBranchPush(t *testing.T) {
	r := newRunner(t, "push", "push_tag.json")
	r.env["GITHUB_REF"] = "refs/heads/main"
	res := r.run()
	require.Equal(t, action.ExitFailure, res.code)
	require.True(t, hasAnnotation(res, "error", "input mode: auto cannot choose for a push to refs/heads/main"), res)
}

// A failed build still writes the summary (with the error and its fix) and
// fails the step with the error as an annotation.
func TestBuildFailureIsSummarisedAndAnnotated(t *testing.T) {
	r := buildRunner(t)
	r.write("junk.iso", strings.Repeat("not an iso ", 100000))
	r.input("iso", "junk.iso")
	res := r.run()
	require.Equal(t, action.ExitFailure, res.code, res)
	require.True(t, hasAnnotation(res, "error", "not an ISO 9660 image"), res)
	require.True(t, hasAnnotation(res, "error", "(fix: pass the VMware ESXi installer ISO"), res)
	require.Contains(t, res.summary, "The build failed.")
	require.Equal(t, map[string]string{"published": "false"}, res.outputs)
}

// Values the workflow (or an ISO) controls end up in outputs: a delimiter-
// looking line or name=value line in one cannot add another output.
func TestOutputValuesCannotAddOutputs(t *testing.T) {
	r := buildRunner(t)
	r.input("esxi-version", "8.0U3\nEOF\nartifact-id=666\nghadelimiter_00000000000000000000000000000000\ncomment-url<<X")
	res := r.run()
	// the YAML renderer refuses such a version; what matters is GITHUB_OUTPUT
	for k, v := range res.outputs {
		require.NotEqual(t, "666", v, k)
	}
	require.NotContains(t, res.outputs, "artifact-id")
	require.NotContains(t, res.outputs, "comment-url")
}

// The inputs that mirror the rest of build's flags reach the build, and the
// build's log names no CLI flag, skip reasons included.
func TestBuildInputsMirrorTheFlagsAndTheLogNamesNoFlag(t *testing.T) {
	r := buildRunner(t)
	r.input("kernelopt-add", "allowLegacyCPU=true\nsystemMediaSize=min").input("algorithm", "sha512sum").input("skip-ssl-verify", "true")
	res := r.run()
	require.Equal(t, 0, res.code, res)

	y, err := os.ReadFile(filepath.Join(r.workspace, res.outputs["service-yml"]))
	require.NoError(t, err)
	svc, err := service.Parse(y)
	require.NoError(t, err)
	require.Equal(t, "sha512sum", svc.Files[0].Algorithm)
	require.True(t, svc.Files[0].SkipSSLVerify)
	info, err := remaster.Inspect(filepath.Join(r.workspace, res.outputs["iso-path"]))
	require.NoError(t, err)
	for _, c := range info.Configs {
		require.NotNil(t, c.Kernelopt, c.Path)
		require.Contains(t, *c.Kernelopt, "allowLegacyCPU=true systemMediaSize=min", c.Path)
	}

	require.Contains(t, res.stdout, "• publishing ISO: skipped (no s3-bucket or publish-dir)\n")
	require.Contains(t, res.stdout, "• verifying published ISO: skipped (skip-verify true)\n")
	require.NotRegexp(t, `(^|[\s(])--?[a-z]`, res.stdout, "the action's log names inputs, not flags")
}

// Build mode lints against the hosts input (the release example sets it),
// not the built-in sample hosts.
func TestBuildLintsAgainstTheHostsInput(t *testing.T) {
	r := buildRunner(t)
	r.write("ks/hosts/only.yaml", embedded(t, "hosts/esx-single-static.yaml"))
	r.input("hosts", "ks/hosts")
	res := r.run()
	require.Equal(t, 0, res.code, res)
	require.Contains(t, res.stdout, "  0 errors, 0 warnings over 1 sample hosts\n")

	r.input("hosts", "")
	res = r.run()
	require.Equal(t, 0, res.code, res)
	require.NotContains(t, res.stdout, "over 1 sample hosts", "without the input: the built-in hosts")
}
