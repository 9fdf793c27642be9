package test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layering of DESIGN.md §1 for the value tree: value imports only the standard library, exp (imported by users'
// programs) only the standard library and value, config no longer needs sweep, and gitstore no longer needs config.
// Git runs only below the store: cli reaches git through gitstore's methods, never through internal/gitcmd.
func TestDependencyRules(t *testing.T) {
	const mod = "github.com/git-exp/git-exp/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`,
		"../value", "../exp", "../config", "../gitstore", "../cli").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string][]string{ // imports of this module, or of other modules, each package may have
		mod + "value":  {},
		mod + "exp":    {mod + "value"},
		mod + "config": {mod + "value", "gopkg.in/yaml.v3"},
		mod + "gitstore": {mod + "value", mod + "internal/gitcmd", "github.com/klauspost/compress/",
			"github.com/zeebo/xxh3"}, // the cache's checksums (issue 14): CRC-32C cost ~20% of a warm list's decode
	}
	forbidden := map[string][]string{ // imports a package may not have (its other imports are free)
		mod + "cli": {mod + "internal/gitcmd"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		if no, ok := forbidden[pkg]; ok {
			for _, imp := range strings.Fields(imports) {
				if slices.Contains(no, imp) {
					t.Errorf("%s imports %s; git runs only below the store (add a gitstore method)", pkg, imp)
				}
			}
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if first, _, _ := strings.Cut(imp, "/"); !strings.Contains(first, ".") {
				continue // the standard library
			}
			ok := false
			for _, a := range allowed[pkg] {
				ok = ok || imp == a || strings.HasSuffix(a, "/") && strings.HasPrefix(imp, a)
			}
			if !ok {
				t.Errorf("%s imports %s; it may import only the standard library and %v", pkg, imp, allowed[pkg])
			}
		}
	}
}
