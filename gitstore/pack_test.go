package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"testing"
)

// Many objects go into one pack that git accepts (fsck), and a cat-file process started before the pack existed
// reads them; a few are written loose. The ids are git's own.
func TestWriteObjects(t *testing.T) {
	st, dir := testStore(t)
	ctx := context.Background()
	if _, err := st.cat.GetMany([]string{"HEAD"}); err != nil { // cat-file runs before the pack exists
		t.Fatal(err)
	}
	for _, n := range []int{3, packMin + 5} {
		var datas [][]byte
		for i := range n {
			datas = append(datas, []byte(fmt.Sprintf("object %d of %d\n%s", i, n, bytes.Repeat([]byte("x"), i*37))))
		}
		datas = append(datas, datas[0]) // the same object twice
		oids, err := st.WriteBlobs(ctx, datas)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := st.cat.GetMany(oids)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range objs {
			if o.Type != "blob" || !bytes.Equal(o.Data, datas[i]) {
				t.Fatalf("n=%d: object %d (%s) reads back as %q %q", n, i, oids[i], o.Type, o.Data)
			}
		}
		cmd := exec.Command("git", "-C", dir, "hash-object", "--stdin")
		cmd.Stdin = bytes.NewReader(datas[n-1])
		if want, err := cmd.Output(); err != nil || string(bytes.TrimSpace(want)) != oids[n-1] {
			t.Errorf("id %s, git says %s (%v)", oids[n-1], want, err)
		}
	}
	out, err := exec.Command("git", "-C", dir, "fsck", "--full", "--strict").CombinedOutput()
	if err != nil {
		t.Fatalf("git fsck: %v\n%s", err, out)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		// Nothing refers to the blobs (dangling), and the repository has no commit (notices): expected.
		if len(line) > 0 && !bytes.HasPrefix(line, []byte("dangling blob ")) && !bytes.HasPrefix(line, []byte("notice: ")) {
			t.Errorf("git fsck: %s", line)
		}
	}
	packs, _ := exec.Command("git", "-C", dir, "count-objects", "-v").Output()
	if !bytes.Contains(packs, []byte("packs: 1\n")) {
		t.Errorf("want one pack:\n%s", packs)
	}
}

// A repository with SHA-256 object ids gets a pack with a SHA-256 trailer.
func TestWriteObjectsSHA256(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--object-format=sha256", dir).CombinedOutput(); err != nil {
		t.Skipf("git cannot make a SHA-256 repository: %v %s", err, out)
	}
	st, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var datas [][]byte
	for i := range packMin {
		datas = append(datas, []byte(fmt.Sprint("sha256 object ", i)))
	}
	oids, err := st.WriteBlobs(context.Background(), datas)
	if err != nil {
		t.Fatal(err)
	}
	if len(oids[0]) != 64 {
		t.Fatalf("id %s is not SHA-256", oids[0])
	}
	if out, err := exec.Command("git", "-C", dir, "cat-file", "-p", oids[7]).Output(); err != nil || string(out) != string(datas[7]) {
		t.Fatalf("git cat-file: %q %v", out, err)
	}
}
