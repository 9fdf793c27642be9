package gitstore

import (
	"bytes"
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
// loose-object paths; the object reader only for those that are not loose), never a walk of the store. While a
// `git gc` is running (its gc.pid exists) the check is repeated once it has ended, since its prune may come after
// the first check; a gc that starts after the ref moved sees the objects as reachable.
func (s *Store) ensureComplete(roots []string) error {
	list := s.written(roots)
	if err := s.restore(list); err != nil {
		return err
	}
	// A gc that is running now may have walked the refs before this ref moved, and prune later: wait for it to
	// end and check again. A gc that starts after it ended walks the new ref, so one wait is enough.
	if pid := s.gcPID(); pid != "" && s.gcPrunesRecent(pid) {
		for waited := time.Duration(0); s.gcPID() == pid && waited < gcWaitLimit; waited += 10 * time.Millisecond {
			time.Sleep(10 * time.Millisecond)
		}
		if err := s.restore(list); err != nil {
			return err
		}
	}
	s.objs.forget(list)
	return nil
}

// restore writes again the objects of list that are missing.
func (s *Store) restore(list []string) error {
	missing, err := s.missingObjects(list)
	if err != nil || len(missing) == 0 {
		return err
	}
	var lost []string
	for _, oid := range missing {
		ok, err := s.objs.rewrite(oid)
		if err != nil {
			return err
		}
		if !ok {
			lost = append(lost, oid)
		}
	}
	gitcmd.Tracef("store: %d object(s) deleted by a concurrent prune, %d written again", len(missing), len(missing)-len(lost))
	if len(lost) > 0 {
		return fmt.Errorf("%s points to objects that were deleted (by a concurrent 'git gc --prune=now'?) and cannot be written again: %s; run 'git exp fsck --repair'",
			s.Ref, strings.Join(lost, ", "))
	}
	return nil
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
		if o.Type == "" {
			missing = append(missing, ask[i])
		}
	}
	return missing, nil
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

// gcPrunesRecent reports whether the running gc may prune objects as young as the ones just written: it was started
// with --prune=now (or another --prune date), or gc.pruneExpire says so. A gc with git's default expiry (two weeks)
// never deletes what a writer just wrote, and waiting for it would only slow the writer down. When its command line
// cannot be read (another host, no /proc), assume it may.
func (s *Store) gcPrunesRecent(pid string) bool {
	if v := s.ConfigString("gc.pruneexpire", ""); v != "" && v != "2.weeks.ago" && v != "never" {
		return true
	}
	data, err := os.ReadFile("/proc/" + pid + "/cmdline")
	if err != nil {
		return true
	}
	for _, arg := range strings.Split(string(data), "\x00") {
		if v, ok := strings.CutPrefix(arg, "--prune="); ok && v != "2.weeks.ago" && v != "never" {
			return true
		}
	}
	return false
}
