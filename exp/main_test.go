package exp

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	gitExpOnce sync.Once
	gitExpDir  string
	gitExpErr  error
)

// TestMain removes the git-exp that gitExpOnPath built.
func TestMain(m *testing.M) {
	code := m.Run()
	if gitExpDir != "" {
		os.RemoveAll(gitExpDir)
	}
	os.Exit(code)
}

// gitExpOnPath builds git-exp once and puts it first on PATH for the test: bare mode resolves config.yaml and
// GIT_EXP_PARAM_* variables through `git-exp params`.
func gitExpOnPath(t *testing.T) {
	t.Helper()
	gitExpOnce.Do(func() {
		if gitExpDir, gitExpErr = os.MkdirTemp("", "exp-test-bin-"); gitExpErr != nil {
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(gitExpDir, "git-exp"), "github.com/git-exp/git-exp/cmd/git-exp")
		if out, err := build.CombinedOutput(); err != nil {
			gitExpErr = &buildError{err, out}
		}
	})
	if gitExpErr != nil {
		t.Fatalf("building git-exp: %v", gitExpErr)
	}
	t.Setenv("PATH", gitExpDir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + ": " + string(e.out) }

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
