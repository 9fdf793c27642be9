package cli

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// testRepo makes a repository with one commit in a temporary directory, makes it the working directory for the
// test, and seals git from the user's configuration.
func testRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("NO_COLOR", "1")
	t.Chdir(dir)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"config", "user.name", "Test"},
		{"config", "user.email", "test@example.com"},
		{"commit", "-q", "--allow-empty", "-m", "init"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// runIO runs git exp in process; tty makes stdout and stderr terminals of the given width.
func runIO(t *testing.T, tty bool, width int, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb strings.Builder
	io := &IO{Out: &out, Err: &errb, OutTTY: tty, ErrTTY: tty, Width: width}
	code = MainContext(context.Background(), args, io)
	return out.String(), errb.String(), code
}

// mustRun is runIO on a pipe, failing the test on a non-zero exit.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := runIO(t, false, 100, args...)
	if code != 0 {
		t.Fatalf("git exp %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// writeResults is a command for run -- that writes the given JSON as its results.
func writeResults(json string) []string {
	return []string{"--", "sh", "-c", `printf '%s' '` + json + `' > "$GIT_EXP_RESULTS"`}
}

func gitConfig(key, value string) error {
	return exec.Command("git", "config", key, value).Run()
}
