//go:build unix

package gitstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// sealGit keeps the developer's config out of a test's git.
func sealGit(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	for _, k := range discoverEnv {
		if v, ok := os.LookupEnv(k); ok {
			os.Unsetenv(k)
			t.Cleanup(func() { os.Setenv(k, v) })
		}
	}
}

// revParseRepo is what `git rev-parse` says of the repository containing dir, paths made physical.
func revParseRepo(t *testing.T, dir string) (root, gitDir, commonDir, objects, index, format string) {
	t.Helper()
	out := gitOut(t, dir, "rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-object-format",
		"--git-path", "objects", "--git-path", "index", "--show-toplevel")
	l := strings.Split(out, "\n")
	if len(l) != 6 {
		t.Fatalf("rev-parse: %q", out)
	}
	phys := func(p string) string {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		q, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	return l[5], l[0], phys(l[1]), phys(l[3]), filepath.Join(phys(filepath.Dir(phys(l[4]))), filepath.Base(l[4])), l[2]
}

// OpenRepo finds a repository without git rev-parse where git's answer is plain, and finds what rev-parse finds:
// from the root and from a subdirectory, through a symlink, in a linked worktree, through .git files with absolute
// and relative paths, in a SHA-256 repository.
func TestDiscoverMatchesRevParse(t *testing.T) {
	sealGit(t)
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, args ...string) string {
		dir := filepath.Join(base, name)
		gitOut(t, base, append([]string{"init", "-q"}, append(args, dir)...)...)
		gitOut(t, dir, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "x")
		return dir
	}
	repo := mk("repo")
	os.MkdirAll(filepath.Join(repo, "a", "b"), 0o755)
	os.Symlink(repo, filepath.Join(base, "link"))
	gitOut(t, repo, "worktree", "add", "-q", filepath.Join(base, "wt"))
	sep := mk("sep", "--separate-git-dir", filepath.Join(base, "sep.git"))
	rel := filepath.Join(base, "rel")
	os.MkdirAll(rel, 0o755)
	os.WriteFile(filepath.Join(rel, ".git"), []byte("gitdir: ../sep.git\n"), 0o644)
	sha := mk("sha", "--object-format=sha256")

	for _, dir := range []string{repo, filepath.Join(repo, "a", "b"), filepath.Join(base, "link", "a"),
		filepath.Join(base, "wt"), sep, rel, sha} {
		t.Run(strings.TrimPrefix(dir, base), func(t *testing.T) {
			d, ok := discover(dir)
			if !ok {
				t.Fatalf("discover(%s) left it to git", dir)
			}
			r, err := OpenRepo(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := d.settle(r.cfg); !ok {
				t.Fatalf("settle left it to git; config %v", r.cfg)
			}
			root, gitDir, commonDir, objects, index, format := revParseRepo(t, dir)
			got := []string{r.Root, r.GitDir, r.CommonDir, r.ObjectDir, r.IndexFile, map[bool]string{false: "sha1", true: "sha256"}[r.SHA256]}
			want := []string{root, gitDir, commonDir, objects, index, format}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("field %d: got %q, rev-parse says %q", i, got[i], want[i])
				}
			}
			if r.Bare {
				t.Error("bare")
			}
		})
	}
}

// What is not plain is git's to answer: discover or settle refuse it, and OpenRepo still answers as git does.
func TestDiscoverLeavesToGit(t *testing.T) {
	sealGit(t)
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(base, "repo")
	gitOut(t, base, "init", "-q", repo)
	bare := filepath.Join(base, "bare.git")
	gitOut(t, base, "init", "-q", "--bare", bare)
	os.MkdirAll(filepath.Join(base, "none"), 0o755)

	for _, dir := range []string{filepath.Join(repo, ".git"), filepath.Join(repo, ".git", "refs"), bare, filepath.Join(base, "none")} {
		if _, ok := discover(dir); ok {
			t.Errorf("discover(%s) did not leave it to git", dir)
		}
	}
	if r, err := OpenRepo(context.Background(), bare); err != nil || !r.Bare {
		t.Errorf("bare repository: %+v, %v", r, err)
	}
	if _, err := OpenRepo(context.Background(), filepath.Join(base, "none")); err != ErrNotRepo {
		t.Errorf("outside a repository: %v", err)
	}

	t.Run("GIT_DIR", func(t *testing.T) {
		t.Setenv("GIT_DIR", filepath.Join(repo, ".git"))
		if _, ok := discover(repo); ok {
			t.Error("discover ignored GIT_DIR")
		}
	})
	for _, kv := range [][2]string{{"core.worktree", base}, {"core.bare", "true"}, {"extensions.refStorage", "files"}} {
		t.Run(kv[0], func(t *testing.T) {
			gitOut(t, repo, "config", kv[0], kv[1])
			defer gitOut(t, repo, "config", "--unset", kv[0])
			d, ok := discover(repo)
			if !ok {
				t.Fatal("discover refused a plain layout")
			}
			cfg, err := readConfig(context.Background(), &gitcmd.Git{Dir: repo})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := d.settle(cfg); ok {
				t.Errorf("settle accepted %s = %s", kv[0], kv[1])
			}
		})
	}
	// A .git file naming nothing: git's error, not a repository found elsewhere.
	broken := filepath.Join(base, "broken")
	os.MkdirAll(broken, 0o755)
	os.WriteFile(filepath.Join(broken, ".git"), []byte("gitdir: /nonexistent\n"), 0o644)
	if _, ok := discover(broken); ok {
		t.Error("discover accepted a .git file naming nothing")
	}
	if _, err := OpenRepo(context.Background(), broken); err == nil {
		t.Error("OpenRepo opened a repository through a broken .git file")
	}
}
