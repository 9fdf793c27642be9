//go:build unix

package gitstore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// discovered is where discover found a repository: a worktree root and its git directories, all physical paths.
type discovered struct {
	root, gitDir, commonDir string
}

// discoverEnv are the variables under which git finds or lays out a repository otherwise than by walking up from the
// working directory: with any of them set, git is asked.
var discoverEnv = []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_INDEX_FILE",
	"GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"}

// discover finds the repository containing dir as git does in the common case — the nearest directory, from dir
// up, that has a .git directory or a .git file naming one ("gitdir: PATH"), on the same file system, owned by this
// user — without starting `git rev-parse` (issue 19: one git process less on every command; a run's git processes
// compete for the cores with each other). Anything else is left to git (ok false): a variable of discoverEnv, dir
// inside a git directory or a bare repository, a .git that is a symlink or names no git directory, a file-system
// boundary, another owner (safe.directory), no repository at all (git says so). What only the repository's config
// can tell (core.bare, core.worktree, extensions) is checked against it by settle.
func discover(dir string) (d discovered, ok bool) {
	for _, k := range discoverEnv {
		if _, set := os.LookupEnv(k); set {
			return d, false
		}
	}
	cwd, err := filepath.EvalSymlinks(dir) // git works from getcwd(), a physical path
	if err != nil || !filepath.IsAbs(cwd) {
		return d, false
	}
	dev, ok := device(cwd)
	if !ok {
		return d, false
	}
	for at := cwd; ; {
		st, err := os.Lstat(filepath.Join(at, ".git"))
		switch {
		case err == nil && st.IsDir():
			d.gitDir = filepath.Join(at, ".git")
		case err == nil && st.Mode().IsRegular():
			if d.gitDir, ok = readGitFile(at); !ok {
				return d, false
			}
		case err == nil || !errors.Is(err, fs.ErrNotExist):
			return d, false
		}
		if d.gitDir != "" {
			d.root = at
			break
		}
		// A directory that is itself a git directory (the .git of a worktree, a bare repository): git's.
		if _, err := os.Lstat(filepath.Join(at, "HEAD")); err == nil {
			return d, false
		}
		up := filepath.Dir(at)
		if up == at {
			return d, false // no repository: git says so, in its words
		}
		if dv, ok := device(up); !ok || dv != dev {
			return d, false
		}
		at = up
	}
	d.commonDir = d.gitDir
	if data, err := os.ReadFile(filepath.Join(d.gitDir, "commondir")); err == nil {
		c := strings.TrimRight(string(data), "\n")
		if !filepath.IsAbs(c) {
			c = filepath.Join(d.gitDir, c)
		}
		if d.commonDir, err = filepath.EvalSymlinks(c); err != nil {
			return d, false
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return d, false
	}
	// A git directory as git recognises one (HEAD, objects/, refs/), every part of it this user's.
	for _, p := range []string{filepath.Join(d.gitDir, "HEAD"), filepath.Join(d.commonDir, "objects"), filepath.Join(d.commonDir, "refs")} {
		if _, err := os.Stat(p); err != nil {
			return d, false
		}
	}
	uid := os.Geteuid()
	for _, p := range []string{d.root, d.gitDir, d.commonDir} {
		if !ownedBy(p, uid) {
			return d, false
		}
	}
	return d, true
}

// readGitFile reads the .git file of dir ("gitdir: PATH", relative to dir or absolute) and returns the physical path
// of the directory it names.
func readGitFile(dir string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(dir, ".git"))
	if err != nil || len(data) > 4096 {
		return "", false
	}
	p, ok := strings.CutPrefix(strings.TrimRight(string(data), "\r\n"), "gitdir: ")
	if !ok || p == "" || strings.ContainsAny(p, "\n\r") {
		return "", false
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	p, err = filepath.EvalSymlinks(p)
	if err != nil {
		return "", false
	}
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		return "", false
	}
	return p, true
}

// isFalse reports whether a git boolean is false (a key without a value is true).
func isFalse(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "no", "off", "0":
		return true
	}
	return false
}

func device(p string) (uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return 0, false
	}
	return uint64(st.Dev), true
}

func ownedBy(p string, uid int) bool {
	var st syscall.Stat_t
	return syscall.Stat(p, &st) == nil && int(st.Uid) == uid
}

// settle completes what discover found with the repository's config (read by `git config` in the same directory),
// as `git rev-parse` would have it; ok is false when the config makes it a case for git: a core.bare or
// core.worktree setting, a repository format above 1, an extension other than objectFormat and worktreeConfig.
func (d discovered) settle(cfg map[string][]string) (sha256, ok bool) {
	last := func(k string) (string, bool) {
		v := cfg[k]
		if len(v) == 0 {
			return "", false
		}
		return v[len(v)-1], true
	}
	if v, set := last("core.bare"); set && !isFalse(v) { // git init writes core.bare = false
		return false, false
	}
	if _, set := last("core.worktree"); set {
		return false, false
	}
	if v, set := last("core.repositoryformatversion"); set {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 || n > 1 {
			return false, false
		}
	}
	for k := range cfg {
		ext, isExt := strings.CutPrefix(k, "extensions.")
		if !isExt {
			continue
		}
		switch ext {
		case "objectformat":
			v, _ := last(k)
			switch strings.ToLower(v) {
			case "sha1":
			case "sha256":
				sha256 = true
			default:
				return false, false
			}
		case "worktreeconfig":
		default:
			return false, false
		}
	}
	return sha256, true
}
