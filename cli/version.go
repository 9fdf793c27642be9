package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// Commit is the commit git-exp was built from, set with -ldflags "-X github.com/git-exp/git-exp/cli.Commit=...";
// without it, the build info's vcs.revision (go build in a checkout) is used.
var Commit = ""

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (c *VersionCmd) Run(env *Env) error {
	fmt.Fprintln(env.IO.Out, versionText())
	return nil
}

// versionText is what git exp version and --version print: version, commit, Go version, storage format. Without
// -ldflags, the version is the module version from the build info (go install ...@v1.2.3) and the commit its
// vcs.revision (a build in a checkout), with "+dirty" when the checkout had changes.
func versionText() string {
	version, commit, dirty := Version, Commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	} else if len(commit) > 12 && !strings.Contains(commit, "-") {
		commit = commit[:12]
	}
	if dirty && Commit == "" {
		commit += "+dirty"
	}
	return fmt.Sprintf("git-exp %s (commit %s, %s %s/%s, storage format %d)", version, commit, runtime.Version(),
		runtime.GOOS, runtime.GOARCH, gitstore.FormatVersion)
}
