package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// gcWaitLimit bounds how long a writer waits for a running `git gc` to end before it checks its objects again.
const gcWaitLimit = 2 * time.Minute

// ensureComplete makes sure that what the ref now points to is whole: every object this process wrote for it
// (the commit roots, and through them each tree and blob written since their last check) exists. `git gc
// --prune=now` running beside a writer may delete objects between their write and the ref update, because they were
// unreachable then; git documents this as unsafe, but the writer still has them, so it writes them again.
//
// It costs a few stat calls when nothing is missing: only objects written by this process are checked (through
// loose-object paths; the object reader only for those that are not loose), never a walk of the store. When a
// `git gc` that may prune recent objects was running as the check began (its gc.pid existed), the check is repeated
// once it has ended, since its prune may come after the first check; a gc that starts after the ref moved sees the
// objects as reachable.
func (s *Store) ensureComplete(roots []string) error {
	list := s.written(roots)
	// The running gc is read before the objects are checked, never after: a gc that walked the refs before this ref
	// moved and prunes after the check is running now, and is waited for below; a gc that has ended by now has
	// finished pruning, and the check sees what it deleted; a gc that starts after now walks the new ref. (Read after
	// the check, a gc could prune between the check and the read and end before it: the check passed, the read found
	// no gc, and the store kept a ref to deleted objects.) Whether that gc prunes recent objects is read at the same
	// moment, for the same reason: asked once it has ended, /proc shows an empty command line (a zombie until its
	// parent reaps it), or another process under a reused pid.
	pid, prunes := s.runningGC()
	lost, err := s.restore(list)
	if err != nil {
		return err
	}
	if afterCheck != nil {
		afterCheck()
	}
	gitcmd.Tracef("store: checked %d object(s) of %s; gc.pid %q (prunes recent objects: %v)", len(list), roots[0][:10], pid, prunes)
	if prunes {
		s.waitGC(context.Background(), pid)
		if lost, err = s.restore(list); err != nil {
			return err
		}
	}
	// Snapshots are written by git (git add into a temporary index), not by this process: when a pruning gc ran, or
	// a snapshot's tree is gone, check everything the snapshot added to HEAD, and take it again from the worktree.
	if prunes || len(lost) > 0 {
		if lost, err = s.ensureSnapshots(list, lost); err != nil {
			return err
		}
	}
	if len(lost) > 0 {
		s.objs.forget(list) // nothing more to do about them: later writes need not check them again
		return &IncompleteError{fmt.Errorf("%s points to objects that were deleted (by a concurrent 'git gc --prune=now'?) and cannot be written again: %s; run 'git exp fsck --repair'",
			s.Ref, strings.Join(lost, ", "))}
	}
	s.objs.forget(list)
	return nil
}

// afterCheck, when set (by tests), runs right after ensureComplete's first check.
var afterCheck func()

// IncompleteError is returned by a write that moved the ref but could not make everything it points to whole: the
// write is recorded, and what is lost is named.
type IncompleteError struct{ Err error }

func (e *IncompleteError) Error() string { return e.Err.Error() }
func (e *IncompleteError) Unwrap() error { return e.Err }

// restore writes again the objects of list that are missing, and returns those it has no copy of.
func (s *Store) restore(list []string) (lost []string, err error) {
	missing, err := s.missingObjects(list)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	for _, oid := range missing {
		ok, err := s.objs.rewrite(oid)
		if err != nil {
			return nil, err
		}
		if !ok {
			lost = append(lost, oid)
		}
	}
	gitcmd.Tracef("store: %d object(s) deleted by a concurrent prune, %d written again: %s", len(missing), len(missing)-len(lost), strings.Join(missing, " "))
	return lost, nil
}

// ensureSnapshots checks the snapshots among list (those this process took): every object a snapshot holds that
// its parent (HEAD) does not must exist; when some are gone, the snapshot is taken again from the worktree, which
// writes the same objects while the files are unchanged. It returns what is still lost.
func (s *Store) ensureSnapshots(list, lost []string) ([]string, error) {
	still := map[string]bool{}
	for _, oid := range lost {
		still[oid] = true
	}
	for _, oid := range list {
		s.snapMu.Lock()
		snap := s.snaps[oid]
		s.snapMu.Unlock()
		if snap == nil {
			continue
		}
		// A gc that walked the refs before they held the snapshot may prune what was just written again, and rev-list
		// may fail while a repack swaps packs: take the snapshot again (git writes the same objects while the files
		// are unchanged), write the commit again, let a pruning gc end, and look again — a few times.
		complete, changed := s.snapshotComplete(snap), false
		for try := 0; !complete && try < 8; try++ {
			again, err := s.snapshot(context.Background(), snap.maxUntracked)
			if err != nil {
				return nil, fmt.Errorf("snapshot %s lost objects to a concurrent prune, and taking it again failed: %w", oid, err)
			}
			if again.Tree != snap.Tree {
				gitcmd.Tracef("store: snapshot %s taken again has tree %s, not %s", oid[:10], again.Tree[:10], snap.Tree[:10])
				changed = true
				break
			}
			if _, err := s.restore([]string{snap.Commit}); err != nil {
				return nil, err
			}
			if pid := s.gcPID(); pid != "" {
				s.waitGC(context.Background(), pid)
			}
			complete = s.snapshotComplete(snap)
			if complete {
				gitcmd.Tracef("store: snapshot %s taken again after a concurrent prune", oid[:10])
			}
		}
		s.snapMu.Lock()
		delete(s.snaps, oid) // checked once: a later write does not try again
		s.snapMu.Unlock()
		if !complete && changed {
			return nil, &IncompleteError{fmt.Errorf("snapshot %s lost objects to a concurrent prune, and the worktree changed since: its code is incomplete; run 'git exp fsck --repair'", oid)}
		}
		if !complete {
			return nil, &IncompleteError{fmt.Errorf("snapshot %s lost objects to a concurrent prune, and taking it again %d times did not bring them back: its code is incomplete; run 'git exp fsck --repair'", oid, 8)}
		}
		delete(still, snap.Tree)
	}
	out := lost[:0]
	for _, oid := range lost {
		if still[oid] {
			out = append(out, oid)
		}
	}
	return out, nil
}

// SettleSnapshot is called between taking a snapshot and recording it. git wrote the snapshot's objects, not this
// process, so they cannot be written again from memory if a `git gc --prune=now` deletes them before the record
// makes them reachable: when such a gc is running, wait for it to end, then check the snapshot and take it again if
// it lost objects. Without a gc running it costs one failed open of gc.pid.
func (s *Store) SettleSnapshot(ctx context.Context, snap *Snapshot) (*Snapshot, error) {
	pid, prunes := s.runningGC()
	if !prunes {
		return snap, nil
	}
	s.waitGC(ctx, pid)
	// The snapshot's commit is this process's, unreachable until the run is recorded, so the prune usually took it:
	// write it again from memory when its loose file is gone (one stat when it is there; a copy a repack packed
	// meanwhile costs one more small file), then ask git about the rest, which git wrote. (Asked first, git answers
	// "bad object" for the commit, which says nothing about the rest.)
	if _, err := os.Stat(filepath.Join(s.ObjectDir, snap.Commit[:2], snap.Commit[2:])); err != nil {
		if _, err := s.objs.rewrite(snap.Commit); err != nil {
			return nil, err
		}
	}
	for try := 0; try < 3 && !s.snapshotComplete(snap); try++ {
		gitcmd.Tracef("store: snapshot %s lost objects to a concurrent prune; taking it again", snap.Commit[:10])
		again, err := s.Snapshot(ctx, snap.maxUntracked)
		if err != nil {
			return nil, err
		}
		snap = again
	}
	return snap, nil
}

// snapshotComplete reports whether every object of the snapshot that HEAD does not hold exists. rev-list fails now
// and then while a repack swaps packs: that says nothing about the snapshot, so it is asked again (after a running
// gc has ended) before an answer is given.
func (s *Store) snapshotComplete(snap *Snapshot) bool {
	args := []string{"rev-list", "--objects", "--missing=print", "--no-object-names", snap.Commit}
	if snap.Info.Head != "" {
		args = append(args, "--not", snap.Info.Head)
	}
	for try := 0; ; try++ {
		out, err := s.Git.Run(context.Background(), args...)
		if err == nil {
			return !bytes.Contains(out, []byte("?"))
		}
		if try == 5 {
			gitcmd.Tracef("store: cannot tell whether snapshot %s is complete: %v", snap.Commit[:10], err)
			return false
		}
		if pid := s.gcPID(); pid != "" {
			s.waitGC(context.Background(), pid)
		}
		time.Sleep(time.Duration(20<<try) * time.Millisecond)
	}
}

// written returns roots and every object reachable from them that this process wrote since it last checked it,
// plus the tree of each commit written (a snapshot's tree is written by git, not by this process).
func (s *Store) written(roots []string) []string {
	seen := map[string]bool{}
	var list []string
	add := func(oid string) {
		if oid != "" && !seen[oid] {
			seen[oid] = true
			list = append(list, oid)
		}
	}
	for _, r := range roots {
		add(r)
	}
	for i := 0; i < len(list); i++ {
		src, ok := s.objs.lookup(list[i])
		if !ok || src.data == nil {
			continue
		}
		switch src.typ {
		case "commit":
			if tree, err := commitTree(src.data); err == nil {
				add(tree)
			}
			for _, line := range bytes.Split(src.data, []byte("\n")) {
				if len(line) == 0 {
					break
				}
				if p, ok := bytes.CutPrefix(line, []byte("parent ")); ok {
					if _, mine := s.objs.lookup(string(p)); mine {
						add(string(p))
					}
				}
			}
		case "tree":
			ents, err := decodeTree(src.data, s.HexLen())
			if err != nil {
				continue
			}
			for _, e := range ents {
				if e.Mode == ModeGitlink {
					continue
				}
				if _, mine := s.objs.lookup(e.OID); mine {
					add(e.OID)
				}
			}
		}
	}
	return list
}

// missingObjects returns the objects of oids that the repository does not have: a loose object is found by its
// path, any other through the object reader (it may have been packed by a repack meanwhile).
func (s *Store) missingObjects(oids []string) ([]string, error) {
	var ask []string
	for _, oid := range oids {
		if _, err := os.Stat(filepath.Join(s.ObjectDir, oid[:2], oid[2:])); err != nil {
			ask = append(ask, oid)
		} else {
			traceObjf("check %s loose", oid[:10])
		}
	}
	if len(ask) == 0 {
		return nil, nil
	}
	objs, err := s.cat.GetMany(ask)
	if err != nil {
		return nil, err
	}
	var missing []string
	for i, o := range objs {
		traceObjf("check %s not loose: cat-file type %q", ask[i][:10], o.Type)
		if o.Type == "" {
			missing = append(missing, ask[i])
		}
	}
	return missing, nil
}

var traceObjects = os.Getenv("GIT_EXP_TRACE_OBJECTS") == "1"

func traceObjf(format string, args ...any) {
	if traceObjects {
		gitcmd.Tracef(format, args...)
	}
}

// gcPID returns the content of the repository's gc.pid ("PID HOST", written by `git gc` while it runs), "" when
// no gc runs. A file left by a process that is gone on this host does not count.
func (s *Store) gcPID() string {
	data, err := os.ReadFile(filepath.Join(s.CommonDir, "gc.pid"))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) >= 2 {
		host, _ := os.Hostname()
		if pid, err := strconv.Atoi(f[0]); err == nil && f[1] == host {
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				return ""
			}
		}
	}
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// movedRecently reports whether the store's ref moved in the last 10 seconds (its reflog was written): the writer
// that moved it may still be writing again what a prune deleted.
func (s *Store) movedRecently() bool {
	st, err := os.Stat(filepath.Join(s.CommonDir, "logs", filepath.FromSlash(s.Ref)))
	return err == nil && time.Since(st.ModTime()) < 10*time.Second
}

// waitGC waits until the gc whose gc.pid said pid has ended (its gc.pid is gone or another's), at most gcWaitLimit,
// or until ctx is done.
func (s *Store) waitGC(ctx context.Context, pid string) {
	for waited := time.Duration(0); s.gcPID() == pid && waited < gcWaitLimit && ctx.Err() == nil; waited += 10 * time.Millisecond {
		time.Sleep(10 * time.Millisecond)
	}
}

// runningGC returns the pid of the running `git gc` ("" when none runs) and whether it may prune objects as young as
// the ones just written, both read now: what a gc.pid says must be read while that gc runs (see ensureComplete).
func (s *Store) runningGC() (pid string, prunesRecent bool) {
	if pid = s.gcPID(); pid == "" {
		return "", false
	}
	return pid, s.gcPrunesRecent(pid)
}

// gcPrunesRecent reports whether the running gc may prune objects as young as the ones just written: it was started
// with --prune=now (or another --prune date), or gc.pruneExpire says so. A gc with git's default expiry (two weeks)
// never deletes what a writer just wrote, and waiting for it would only slow the writer down. Only a command line
// read as a running `git gc` can say that: when it cannot be read (another host, no /proc), is empty (the gc has just
// ended and is a zombie until its parent reaps it) or is another git command's, assume it may. A process that is not
// git at all holds a pid reused since a gc that died without removing gc.pid: that gc ended long ago.
func (s *Store) gcPrunesRecent(pid string) bool {
	if v := s.ConfigString("gc.pruneexpire", ""); v != "" && !keepsRecent(v) {
		return true
	}
	data, err := os.ReadFile("/proc/" + pid + "/cmdline")
	if err != nil || len(data) == 0 {
		return true
	}
	args := strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
	gc := false
	for _, arg := range args[1:] {
		if v, ok := strings.CutPrefix(arg, "--prune="); ok && !keepsRecent(v) {
			return true
		}
		// `git -c gc.pruneExpire=now gc`
		if k, v, ok := strings.Cut(arg, "="); ok && strings.EqualFold(k, "gc.pruneExpire") && !keepsRecent(v) {
			return true
		}
		gc = gc || arg == "gc"
	}
	if name := filepath.Base(args[0]); name != "git" && !strings.HasPrefix(name, "git-") {
		return false
	}
	return !gc
}

// keepsRecent reports whether a prune expiry keeps objects written just now: git's default, and never.
func keepsRecent(expire string) bool { return expire == "2.weeks.ago" || expire == "never" }
