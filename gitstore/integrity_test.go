package gitstore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A prune between an object's write and the ref update (what `git gc --prune=now` beside a writer does): the writer
// writes the object again after the ref moved, so the store stays whole.
func TestUpdateRestoresPrunedObjects(t *testing.T) {
	st, dir := testStore(t)
	ctx := context.Background()
	blob, err := st.WriteBlob([]byte("written before the ref moves\n"))
	if err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(st.ObjectDir, blob[:2], blob[2:])
	err = st.Update(ctx, "test", func(tx *Tx) error {
		if err := tx.Put("ab/abcdef0123456789/results.json", TreeEntry{Mode: ModeFile, OID: blob}); err != nil {
			return err
		}
		// The prune: the blob and its (now empty) fan-out directory go.
		if err := os.Remove(loose); err != nil {
			return err
		}
		os.Remove(filepath.Dir(loose))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(loose); err != nil {
		t.Fatalf("the pruned blob was not written again: %v", err)
	}
	if out, err := exec.Command("git", "-C", dir, "fsck", "--full", "--no-dangling", "--no-progress").CombinedOutput(); err != nil || strings.Contains(string(out), "missing") || strings.Contains(string(out), "broken") {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
	rep, err := st.Fsck(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("fsck: %+v, %v", rep, err)
	}
}

// Fan-out directories removed by `git repack -d` between writes are created again.
func TestWriteRecreatesFanoutDirectory(t *testing.T) {
	st, _ := testStore(t)
	first, err := st.WriteBlob([]byte("one\n"))
	if err != nil {
		t.Fatal(err)
	}
	fan := filepath.Join(st.ObjectDir, first[:2])
	if err := os.RemoveAll(fan); err != nil {
		t.Fatal(err)
	}
	// Same fan-out directory, which the writer remembers as existing.
	for i := 0; ; i++ {
		data := []byte(strings.Repeat("x", i) + "\n")
		oid := st.objs.hashObject("blob", data)
		if oid[:2] != first[:2] {
			continue
		}
		if _, err := st.WriteBlob(data); err != nil {
			t.Fatalf("write after the fan-out directory was removed: %v", err)
		}
		if _, err := os.Stat(filepath.Join(fan, oid[2:])); err != nil {
			t.Fatal(err)
		}
		return
	}
}

// Every move of the ref is in its reflog, in git's format.
func TestReflog(t *testing.T) {
	st, dir := testStore(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if err := st.Update(ctx, "edit "+name, func(tx *Tx) error { return tx.WriteBlob("x/"+name, []byte(name)) }); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("git", "-C", dir, "reflog", "show", "--format=%gs", Ref).CombinedOutput()
	if err != nil {
		t.Fatalf("git reflog: %v\n%s", err, out)
	}
	if got, want := string(out), "git-exp: edit b\ngit-exp: edit a\n"; got != want {
		t.Fatalf("reflog %q, want %q", got, want)
	}
	if n := len(st.Reflog()); n != 2 {
		t.Fatalf("Reflog() has %d entries, want 2", n)
	}
}

// A large log is compressed through a temporary file that does not outlive PrepareOutputs: after a prune, the blob is
// made again from the spooled output (same encoder settings, same bytes).
func TestRewriteLargeCompressedLog(t *testing.T) {
	st, _ := testStore(t)
	spool := st.SpoolFor("abcdef0123456789")
	if err := os.MkdirAll(spool.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	big := []byte(strings.Repeat("a line of output that repeats with a counter\n", smallOutput/40))
	big = append(big, []byte("the end\n")...)
	if err := os.WriteFile(spool.Stdout, big, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := st.PrepareOutputs(Outputs{Spool: spool})
	if err != nil {
		t.Fatal(err)
	}
	oid := p.Entries["stdout.zst"].OID
	loose := filepath.Join(st.ObjectDir, oid[:2], oid[2:])
	if err := os.Remove(loose); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.objs.rewrite(oid); err != nil || !ok {
		t.Fatalf("rewrite: %v, %v", ok, err)
	}
	if _, err := os.Stat(loose); err != nil {
		t.Fatal(err)
	}
}
