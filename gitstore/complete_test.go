package gitstore

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// findGitDir finds what git finds, without git, in a repository and in a linked worktree of it.
func TestFindGitDir(t *testing.T) {
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	dir, _ := filepath.EvalSymlinks(t.TempDir())
	repo := filepath.Join(dir, "repo")
	wt := filepath.Join(dir, "wt")
	for _, args := range [][]string{
		{"init", "-q", repo},
		{"-C", repo, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "init"},
		{"-C", repo, "worktree", "add", "-q", "--detach", wt},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for _, c := range []struct{ from, gitDir, common string }{
		{repo, filepath.Join(repo, ".git"), filepath.Join(repo, ".git")},
		{filepath.Join(wt), filepath.Join(repo, ".git", "worktrees", "wt"), filepath.Join(repo, ".git")},
	} {
		r, ok := findGitDir(c.from)
		if !ok || r.GitDir != c.gitDir || r.CommonDir != c.common {
			t.Errorf("from %s: %+v %v, want git dir %s, common dir %s", c.from, r, ok, c.gitDir, c.common)
		}
	}
	if _, ok := findGitDir(dir); ok {
		t.Errorf("found a repository above %s", dir)
	}
}
