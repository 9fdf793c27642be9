package gitstore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// standInGC starts a process that stands for a running `git gc`: its command line is args, its pid is written to
// gc.pid as git gc writes it ("PID HOST"). end makes it exit and removes gc.pid, as git gc does at its end, and leaves
// the process a zombie (not waited for) until the test ends — what a gc is until the shell that started it reaps it,
// which on a loaded machine takes a while.
func standInGC(t *testing.T, st *Store, args ...string) (pid string, end func()) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "read line")
	cmd.Args = append([]string{args[0], "-c", "read line"}, args[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	pid = strconv.Itoa(cmd.Process.Pid)
	host, _ := os.Hostname()
	pidFile := filepath.Join(st.CommonDir, "gc.pid")
	if err := os.WriteFile(pidFile, []byte(pid+" "+host), 0o644); err != nil {
		t.Fatal(err)
	}
	// The command line is in /proc once the exec is done.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if data, _ := os.ReadFile("/proc/" + pid + "/cmdline"); strings.HasPrefix(string(data), args[0]+"\x00") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stand-in gc did not start")
		}
	}
	return pid, func() {
		os.Remove(pidFile)
		stdin.Close()
		waitZombie(t, pid)
	}
}

// waitZombie waits until the process has exited and is not reaped yet.
func waitZombie(t *testing.T, pid string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		data, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		if _, rest, ok := strings.Cut(string(data), ") "); ok && strings.HasPrefix(rest, "Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the stand-in gc did not exit")
		}
	}
}

func skipWithoutProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc: whether a running git gc prunes recent objects is read from its /proc/PID/cmdline")
	}
}

// A `git gc --prune=now` that walked the refs before the ref moved is still deleting when the writer checks its
// objects, and ends right after the check: its prune deleted what the check had just found (here the new commit).
// Whether that gc prunes recent objects must be decided while it runs; asked afterwards, /proc shows an ended gc (a
// zombie) with an empty command line, and the writer skipped its second check: the ref pointed to a deleted commit
// for good (the fault_gc flake).
func TestEnsureCompleteAfterGCEndsDuringCheck(t *testing.T) {
	skipWithoutProc(t)
	st, dir := testStore(t)
	ctx := context.Background()
	if err := st.Update(ctx, "first", func(tx *Tx) error { return tx.WriteBlob("ab/abcdef0123456789/a", []byte("a\n")) }); err != nil {
		t.Fatal(err)
	}
	_, end := standInGC(t, st, "git", "gc", "-q", "--prune=now")
	hooked := 0
	afterCheck = func() {
		hooked++
		tip, err := st.Tip()
		if err != nil {
			t.Error(err)
			return
		}
		// The prune reaches the commit's fan-out directory after the check, and the gc ends.
		if err := os.Remove(filepath.Join(st.ObjectDir, tip[:2], tip[2:])); err != nil {
			t.Error(err)
		}
		end()
	}
	t.Cleanup(func() { afterCheck = nil })
	if err := st.Update(ctx, "second", func(tx *Tx) error { return tx.WriteBlob("ab/abcdef0123456789/b", []byte("b\n")) }); err != nil {
		t.Fatal(err)
	}
	afterCheck = nil
	if hooked != 1 {
		t.Fatalf("the check ran %d times, want 1", hooked)
	}
	tip, err := st.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "-C", dir, "cat-file", "-e", tip).CombinedOutput(); err != nil {
		t.Fatalf("the ref points to a commit the prune deleted, and the writer did not write it again: %v %s", err, out)
	}
	if out, err := exec.Command("git", "-C", dir, "fsck", "--full", "--no-dangling", "--no-progress").CombinedOutput(); err != nil || strings.Contains(string(out), "missing") || strings.Contains(string(out), "broken") {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
}

// What a gc.pid says about pruning: a running gc with --prune=now (or any date but git's default) may delete what was
// just written; one with git's default does not; a gc that has just ended (a zombie: empty command line) or another
// git command may; a process that is not git holds a reused pid.
func TestGCPrunesRecent(t *testing.T) {
	skipWithoutProc(t)
	st, _ := testStore(t)
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"git", "gc", "-q", "--prune=now"}, true},
		{[]string{"git", "gc", "--prune=1.hour.ago"}, true},
		{[]string{"git", "-c", "gc.pruneExpire=now", "gc"}, true},
		{[]string{"git", "gc", "--auto"}, false},
		{[]string{"git", "gc", "--prune=2.weeks.ago"}, false},
		{[]string{"git", "gc", "--no-prune"}, false},
		{[]string{"git", "repack", "-d"}, true}, // another git command: cannot tell
		{[]string{"/usr/lib/git-core/git", "gc", "--auto"}, false},
		{[]string{"postgres", "-D", "/var/lib/db"}, false}, // not git: a pid reused since a gc that died long ago
	} {
		pid, end := standInGC(t, st, c.args...)
		if got := st.gcPrunesRecent(pid); got != c.want {
			t.Errorf("%q running: gcPrunesRecent = %v, want %v", c.args, got, c.want)
		}
		end()
		if !st.gcPrunesRecent(pid) {
			t.Errorf("%q ended (a zombie, empty command line): gcPrunesRecent = false, want true (cannot tell)", c.args)
		}
	}
}

// A pruning gc runs while a run takes its snapshot: the snapshot commit (this process's) is unreachable until the run
// is recorded, so the prune deletes it. SettleSnapshot writes the commit again from memory before asking git whether
// the rest of the snapshot survived, instead of taking git's "bad object" for "cannot tell" and asking again after
// each of several gcs (a median 4.4 s per run under fault_gc's gc loop).
func TestSettleSnapshotRestoresItsCommit(t *testing.T) {
	skipWithoutProc(t)
	st, dir := testStore(t)
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(dir, "train.py"), []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "."}, {"commit", "-qm", "one"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "train.py"), []byte("print(2)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Snapshot(ctx, DefaultMaxUntrackedSize)
	if err != nil {
		t.Fatal(err)
	}
	_, end := standInGC(t, st, "git", "gc", "-q", "--prune=now")
	// The prune took the snapshot's commit; the tree and blob git wrote survived (a gc that started before they were
	// written leaves them for the next one).
	if err := os.Remove(filepath.Join(st.ObjectDir, snap.Commit[:2], snap.Commit[2:])); err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(50 * time.Millisecond); end() }()
	calls := gitcmd.Calls.Load()
	got, err := st.SettleSnapshot(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if n := gitcmd.Calls.Load() - calls; n != 1 {
		t.Errorf("SettleSnapshot ran %d git processes, want 1 (one rev-list of the snapshot)", n)
	}
	if got.Commit != snap.Commit {
		t.Errorf("snapshot taken again (%s), want the first one (%s) with its commit written again", got.Commit, snap.Commit)
	}
	if out, err := exec.Command("git", "-C", dir, "rev-list", "--objects", "--missing=print", got.Commit).CombinedOutput(); err != nil || strings.Contains(string(out), "?") {
		t.Fatalf("snapshot incomplete: %v\n%s", err, out)
	}
}
