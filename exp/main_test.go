package exp

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain puts a freshly built git-exp first on PATH: bare mode resolves config.yaml through `git-exp params`.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exp-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "git-exp"), "github.com/git-exp/git-exp/cmd/git-exp")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building git-exp:", err)
		os.Exit(1)
	}
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Without git-exp on PATH a bare run that needs config.yaml says what to install; without config.yaml and
// GIT_EXP_PARAM_* variables it needs nothing.
func TestBareModeWithoutBinary(t *testing.T) {
	bareRepo(t, "")
	t.Setenv("PATH", t.TempDir())
	var cfg trainCfg
	if err := New(WithStderr(&syncBuffer{})).Params(&cfg); err != nil {
		t.Fatalf("no config.yaml, no variables: %v", err)
	}
	bareRepo(t, "epochs: 2\n")
	t.Setenv("PATH", t.TempDir())
	err := New(WithStderr(&syncBuffer{})).Params(&cfg)
	if err == nil || err.Error() != "exp: resolving params (config.yaml, GIT_EXP_PARAM_*) needs git-exp on PATH: go install github.com/git-exp/git-exp/cmd/git-exp@latest" {
		t.Fatalf("error = %v", err)
	}
}
