package python

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPytest runs the Python client's test suite (python/tests) with Debian's pytest under /usr/bin/python3,
// against a git-exp binary built from this checkout, so that `go test ./...` covers the Python client too.
// Without pytest it skips, saying how to install it; under CI=true a missing pytest fails instead.
func TestPytest(t *testing.T) {
	if testing.Short() {
		t.Skip("the Python suite is slow: skipped with -short")
	}
	py := os.Getenv("GIT_EXP_TEST_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if out, err := exec.Command(py, "-c", "import pytest").CombinedOutput(); err != nil {
		msg := "pytest is missing for " + py + ": apt-get install python3-pytest (or set GIT_EXP_TEST_PYTHON): " +
			string(bytes.TrimSpace(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "git-exp"), "../cmd/git-exp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	cmd := exec.Command(py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
	cmd.Env = append(os.Environ(),
		"GIT_EXP_BIN="+filepath.Join(bin, "git-exp"),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"PYTHONDONTWRITEBYTECODE=1",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("pytest:\n%s", out.String())
	if err != nil {
		t.Fatalf("pytest failed: %v", err)
	}
}
