package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func git(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// A clone without experiments says where they may be (git exp pull); after git exp remote setup, plain git fetch
// brings a teammate's experiments into git exp list.
func TestListInACloneAndPlainFetch(t *testing.T) {
	a := testRepo(t)
	root := filepath.Dir(a)
	bare := filepath.Join(t.TempDir(), "shared.git")
	git(t, "init", "-q", "--bare", bare)
	git(t, "remote", "add", "origin", bare)
	git(t, "push", "-q", "origin", "main")
	mustRun(t, append([]string{"run", "-q", "-n", "first"}, writeResults(`{"acc": 1}`)...)...)
	mustRun(t, "push")

	b := filepath.Join(root, "clone-b")
	git(t, "clone", "-q", bare, b)
	t.Chdir(b)
	git(t, "config", "user.name", "B")
	git(t, "config", "user.email", "b@example.com")
	out, errs, code := runIO(t, true, 100, "list")
	if code != 0 || out != "" || !strings.Contains(errs, "git exp pull origin") {
		t.Errorf("list in a fresh clone: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	_, errs, _ = runIO(t, false, 100, "remote", "setup")
	if !strings.Contains(errs, "git exp list merges them") || !strings.Contains(errs, "git exp push origin") {
		t.Errorf("remote setup says: %s", errs)
	}
	git(t, "fetch", "-q")
	out, errs, code = runIO(t, false, 100, "list", "--columns", "name")
	if code != 0 || out != "first\n" || !strings.Contains(errs, "merged 1 experiment(s) fetched from origin") {
		t.Errorf("list after plain git fetch: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// Once merged, nothing more is said or done.
	out, errs, _ = runIO(t, false, 100, "list", "--columns", "name")
	if out != "first\n" || errs != "" {
		t.Errorf("second list: stdout %q, stderr %q", out, errs)
	}
	// A teammate's new experiment comes with the next plain fetch.
	t.Chdir(a)
	mustRun(t, append([]string{"run", "-q", "-n", "second"}, writeResults(`{"acc": 2}`)...)...)
	mustRun(t, "push")
	t.Chdir(b)
	git(t, "fetch", "-q")
	if out := mustRun(t, "list", "--columns", "name"); out != "second\nfirst\n" {
		t.Errorf("after the second fetch: %q", out)
	}
}
