package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// DefaultMaxUntrackedSize is the default of git config exp.maxUntrackedSize.
const DefaultMaxUntrackedSize = 10 << 20

// Snapshot is the worktree as it was when an experiment was recorded.
type Snapshot struct {
	Commit  string   // the snapshot commit (parent: HEAD, when there is one)
	Tree    string   // its tree
	Info    GitInfo  // what experiment.json records
	Skipped []string // untracked files left out for size

	maxUntracked int64
}

// Snapshot records the worktree — tracked changes and untracked files that are not ignored, exactly what
// `git add -A` would stage — as a commit, through a temporary copy of the index. The user's index, HEAD and files
// are never touched. Untracked files above maxUntracked bytes are left out and reported in Skipped.
func (s *Store) Snapshot(ctx context.Context, maxUntracked int64) (*Snapshot, error) {
	if s.Bare {
		return nil, ErrBare
	}
	// git's own object writes fail when a concurrent `git gc --prune=now` deletes their temporary files: try again
	// (twice) before giving up on the run.
	for try := 0; ; try++ {
		snap, err := s.snapshot(ctx, maxUntracked)
		if err == nil {
			snap.maxUntracked = maxUntracked
			s.snapMu.Lock()
			if s.snaps == nil {
				s.snaps = map[string]*Snapshot{}
			}
			s.snaps[snap.Commit] = snap
			s.snapMu.Unlock()
		}
		if err == nil || try >= 2 || ctx.Err() != nil {
			return snap, err
		}
		gitcmd.Tracef("snapshot failed (%v); trying again", err)
		time.Sleep(time.Duration(100<<try) * time.Millisecond)
	}
}

func (s *Store) snapshot(ctx context.Context, maxUntracked int64) (*Snapshot, error) {
	// One `git status` says what `git add -A` would change: tracked files that differ from the index (modified,
	// deleted, a submodule at another commit, a resolved conflict) and untracked files that are not ignored. It reads
	// the user's index without writing it (GIT_OPTIONAL_LOCKS=0: no refresh), and when the command said a snapshot
	// comes (OpenRepoFor with Status), it already ran beside rev-parse and the config read. A clean worktree needs
	// nothing more: its tree is the index's, which is HEAD's when nothing is staged. Otherwise, on a temporary copy of
	// the index, only the listed paths are hashed (`update-index`, through git so that .gitattributes filters, LFS
	// and eol apply as on `git add`), leaving out untracked files above maxUntracked, and `write-tree` makes the
	// tree. A clean run thus costs one git process instead of three.
	status, err := s.takeStatus()
	if err == nil && status == nil {
		status, err = runStatus(ctx, s.Git)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot of the worktree failed: %w", err)
	}
	update, staged, skipped, err := parseStatusV2(status, func(name string) bool {
		st, err := os.Lstat(filepath.Join(s.Root, filepath.FromSlash(name)))
		return err == nil && st.Mode().IsRegular() && st.Size() > maxUntracked
	})
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Skipped: skipped}
	snap.Info = s.headInfo()
	headTree := ""
	if snap.Info.Head != "" {
		if obj, err := s.get(snap.Info.Head); err == nil {
			headTree, _ = commitTree(obj.Data)
		}
	}
	changed := update.Len() > 0 // (update-index reads the buffer empty)
	var env []string
	if changed || staged || headTree == "" {
		tmpIndex, err := s.copyIndex()
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmpIndex)
		defer os.Remove(tmpIndex + ".lock")
		env = []string{"GIT_INDEX_FILE=" + tmpIndex}
	}
	if changed {
		if _, err := s.Git.RunWith(ctx, &update, env, "update-index", "--add", "--remove", "-z", "--stdin"); err != nil {
			return nil, fmt.Errorf("snapshot of the worktree failed: %w", err)
		}
	}
	if changed || staged || headTree == "" {
		treeOut, err := s.Git.RunWith(ctx, nil, env, "write-tree")
		if err != nil {
			return nil, fmt.Errorf("snapshot of the worktree failed: %w", err)
		}
		snap.Tree = strings.TrimSpace(string(treeOut))
	} else {
		snap.Tree = headTree
	}
	var parents []string
	if snap.Info.Head != "" {
		parents = append(parents, snap.Info.Head)
	}
	snap.Info.Dirty = snap.Tree != headTree
	// Submodules go into the snapshot as gitlinks at their checked-out commit; what is uncommitted inside them does
	// not, so record which ones had any (and count them as making the worktree dirty).
	if subs, err := s.submodules(ctx); err != nil {
		return nil, err
	} else if len(subs) > 0 {
		snap.Info.Submodules = subs
		for _, sm := range subs {
			snap.Info.Dirty = snap.Info.Dirty || sm.Dirty
		}
	}
	msg := "git-exp snapshot"
	if snap.Info.Branch != "" {
		msg += " of " + snap.Info.Branch
	}
	snap.Commit, err = s.WriteCommit(snap.Tree, parents, msg+"\n")
	if err != nil {
		return nil, err
	}
	snap.Info.Snapshot = snap.Commit
	snap.Info.Skipped = skipped
	if snap.Info.Skipped == nil {
		snap.Info.Skipped = []string{}
	}
	return snap, nil
}

// headInfo reads HEAD, its branch and the remote URL without changing anything.
func (s *Store) headInfo() GitInfo {
	var info GitInfo
	// HEAD is resolved here when it names a branch that exists (or a commit), as git would; anything else (an unborn
	// branch, a reftable) is git's.
	head := ""
	if data, err := os.ReadFile(filepath.Join(s.GitDir, "HEAD")); err == nil {
		line := strings.TrimSpace(string(data))
		if ref, ok := strings.CutPrefix(line, "ref: "); ok {
			info.Branch = strings.TrimPrefix(ref, "refs/heads/")
			if strings.HasPrefix(ref, "refs/heads/") {
				head, _ = s.ReadRef(ref)
			}
		} else if len(line) == s.HexLen() {
			head = line
		}
	}
	if head == "" {
		head = "HEAD"
	}
	if obj, err := s.get(head); err == nil && obj.Type == "commit" {
		info.Head = obj.OID
	}
	remote := ""
	if info.Branch != "" {
		remote = s.ConfigString("branch."+info.Branch+".remote", "")
	}
	if remote == "" {
		remote = "origin"
	}
	info.Remote = s.ConfigString("remote."+remote+".url", "")
	return info
}

// submodules returns the state of each checked-out submodule listed in .gitmodules: its commit and whether it has
// uncommitted changes (untracked files included). A repository without .gitmodules costs one stat.
func (s *Store) submodules(ctx context.Context) ([]Submodule, error) {
	if _, err := os.Stat(filepath.Join(s.Root, ".gitmodules")); err != nil {
		return nil, nil
	}
	out, err := s.Git.Run(ctx, "config", "-z", "--file", filepath.Join(s.Root, ".gitmodules"), "--get-regexp", `^submodule\..*\.path$`)
	if err != nil {
		return nil, nil // no submodule paths (or an unreadable .gitmodules, which git itself would complain about)
	}
	var subs []Submodule
	for _, rec := range bytes.Split(out, []byte{0}) {
		_, path, ok := bytes.Cut(rec, []byte("\n"))
		if !ok || len(path) == 0 {
			continue
		}
		dir := filepath.Join(s.Root, filepath.FromSlash(string(path)))
		if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
			continue // not checked out
		}
		sub := &gitcmd.Git{Dir: dir, Env: []string{"GIT_DIR=" + filepath.Join(dir, ".git"), "GIT_WORK_TREE=" + dir}}
		head, err := sub.Run(ctx, "rev-parse", "HEAD")
		if err != nil {
			continue
		}
		status, err := sub.Run(ctx, "status", "--porcelain", "--ignore-submodules=none")
		if err != nil {
			return nil, fmt.Errorf("cannot read the state of submodule %s: %w", path, err)
		}
		subs = append(subs, Submodule{Path: string(path), Commit: strings.TrimSpace(string(head)), Dirty: len(bytes.TrimSpace(status)) > 0})
	}
	return subs, nil
}

// parseStatusV2 reads `git status --porcelain=v2 -z --no-renames` output. It returns the paths to hand to
// `update-index --add --remove -z --stdin` (NUL-terminated): tracked entries whose worktree differs from the index,
// unmerged ones, and untracked ones that big does not leave out (those are returned in skipped); and whether the
// index itself differs from HEAD (then the tree must be written even when nothing is updated).
func parseStatusV2(out []byte, big func(path string) bool) (update bytes.Buffer, staged bool, skipped []string, err error) {
	for len(out) > 0 {
		rec, rest, ok := bytes.Cut(out, []byte{0})
		if !ok {
			return update, false, nil, fmt.Errorf("unexpected output from git status: %q", truncate(out, 80))
		}
		out = rest
		if len(rec) < 2 {
			continue
		}
		var path []byte
		switch rec[0] {
		case '1', 'u':
			// "1 XY sub mH mI mW hH hI path", "u XY sub m1 m2 m3 mW h1 h2 h3 path"
			n := 8
			if rec[0] == 'u' {
				n = 10
			}
			f := bytes.SplitN(rec, []byte(" "), n+1)
			if len(f) != n+1 || len(f[1]) != 2 {
				return update, false, nil, fmt.Errorf("unexpected output from git status: %q", truncate(rec, 80))
			}
			path = f[n]
			if f[1][0] != '.' {
				staged = true
			}
			if rec[0] == '1' && f[1][1] == '.' {
				continue // the worktree matches the index
			}
		case '2':
			return update, false, nil, fmt.Errorf("unexpected rename from git status --no-renames: %q", truncate(rec, 80))
		case '?':
			path = rec[2:]
			name := strings.TrimSuffix(string(path), "/") // a nested repository: added as git add -A would
			if big(name) {
				skipped = append(skipped, name)
				continue
			}
			path = []byte(name)
		default: // "#" headers, "!" ignored entries: nothing to do
			continue
		}
		update.Write(path)
		update.WriteByte(0)
	}
	return update, staged, skipped, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// statusArgs is the `git status` that a snapshot reads (see parseStatusV2).
var statusArgs = []string{"status", "--porcelain=v2", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=dirty"}

// runStatus runs the snapshot's `git status` through g, from any directory of the worktree (porcelain paths are
// relative to its root), leaving the user's index unwritten.
func runStatus(ctx context.Context, g *gitcmd.Git) ([]byte, error) {
	return g.RunWith(ctx, nil, []string{"GIT_OPTIONAL_LOCKS=0"}, statusArgs...)
}

// copyIndex copies the user's index to a temporary file under .git/exp/tmp for update-index and write-tree, and
// returns its path ("" content: no file, which git reads as an empty index).
func (s *Store) copyIndex() (string, error) {
	tmpDir := filepath.Join(s.ExpDir(), "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(tmpDir, "index-")
	if err != nil {
		return "", err
	}
	tmpIndex := f.Name()
	var indexTime time.Time
	if src, err := os.Open(s.IndexFile); err == nil {
		if st, err := src.Stat(); err == nil {
			indexTime = st.ModTime()
		}
		_, err = io.Copy(f, src)
		src.Close()
		if err != nil {
			f.Close()
			os.Remove(tmpIndex)
			return "", err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		f.Close()
		os.Remove(tmpIndex)
		return "", err
	}
	f.Close()
	// The copy keeps the index's mtime: git detects "racily clean" entries (a file changed in the same second as
	// the index was written, same size) by comparing file times with the index file's own. A copy with a newer
	// mtime would make git trust stale stat data.
	if !indexTime.IsZero() {
		if err := os.Chtimes(tmpIndex, indexTime, indexTime); err != nil {
			os.Remove(tmpIndex)
			return "", err
		}
	}
	if st, _ := os.Stat(tmpIndex); st != nil && st.Size() == 0 {
		os.Remove(tmpIndex) // git treats a missing index as empty, not an empty file
	}
	return tmpIndex, nil
}
