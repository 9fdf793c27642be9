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
	tmpDir := filepath.Join(s.ExpDir(), "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tmpDir, "index-")
	if err != nil {
		return nil, err
	}
	tmpIndex := f.Name()
	defer os.Remove(tmpIndex)
	defer os.Remove(tmpIndex + ".lock")
	var indexTime time.Time
	if src, err := os.Open(s.IndexFile); err == nil {
		if st, err := src.Stat(); err == nil {
			indexTime = st.ModTime()
		}
		_, err = io.Copy(f, src)
		src.Close()
		if err != nil {
			f.Close()
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		f.Close()
		return nil, err
	}
	f.Close()
	// The copy keeps the index's mtime: git detects "racily clean" entries (a file changed in the same second as
	// the index was written, same size) by comparing file times with the index file's own. A copy with a newer
	// mtime would make git trust stale stat data and snapshot the old content.
	if !indexTime.IsZero() {
		if err := os.Chtimes(tmpIndex, indexTime, indexTime); err != nil {
			return nil, err
		}
	}
	if st, _ := os.Stat(tmpIndex); st != nil && st.Size() == 0 {
		os.Remove(tmpIndex) // git treats a missing index as empty, not an empty file
	}
	env := []string{"GIT_INDEX_FILE=" + tmpIndex}

	// 1. Untracked, not ignored files (what add -A would add), so large ones are left out before git hashes them;
	// 2. meanwhile, tracked changes, including deletions and submodule commits. Both at once: they see the same
	// tracked paths whichever version of the temporary index ls-files reads.
	type result struct {
		out []byte
		err error
	}
	others := make(chan result, 1)
	go func() {
		out, err := s.Git.RunWith(ctx, nil, env, "ls-files", "-z", "--others", "--exclude-standard", "--", ":/")
		others <- result{out, err}
	}()
	_, addErr := s.Git.RunWith(ctx, nil, env, "add", "--update", "--", ":/")
	res := <-others
	if res.err != nil {
		return nil, res.err
	}
	if addErr != nil {
		return nil, fmt.Errorf("snapshot of the worktree failed: %w", addErr)
	}
	var add bytes.Buffer
	var skipped []string
	for _, p := range bytes.Split(res.out, []byte{0}) {
		if len(p) == 0 {
			continue
		}
		name := string(p)
		if st, err := os.Lstat(filepath.Join(s.Root, name)); err == nil && st.Mode().IsRegular() && st.Size() > maxUntracked {
			skipped = append(skipped, name)
			continue
		}
		add.WriteString(strings.TrimSuffix(name, "/"))
		add.WriteByte(0)
	}
	// 3. The untracked files, through git so that .gitattributes filters (LFS, eol) apply as on `git add`.
	if add.Len() > 0 {
		if _, err := s.Git.RunWith(ctx, &add, env, "update-index", "--add", "-z", "--stdin"); err != nil {
			return nil, fmt.Errorf("snapshot of untracked files failed: %w", err)
		}
	}
	treeOut, err := s.Git.RunWith(ctx, nil, env, "write-tree")
	if err != nil {
		return nil, fmt.Errorf("snapshot of the worktree failed: %w", err)
	}
	snap := &Snapshot{Tree: strings.TrimSpace(string(treeOut)), Skipped: skipped}
	snap.Info = s.headInfo()
	var parents []string
	headTree := ""
	if snap.Info.Head != "" {
		parents = append(parents, snap.Info.Head)
		if obj, err := s.cat.Get(snap.Info.Head); err == nil {
			headTree, _ = commitTree(obj.Data)
		}
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
	if data, err := os.ReadFile(filepath.Join(s.GitDir, "HEAD")); err == nil {
		if ref, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "ref: "); ok {
			info.Branch = strings.TrimPrefix(ref, "refs/heads/")
		}
	}
	if obj, err := s.cat.Get("HEAD"); err == nil && obj.Type == "commit" {
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
