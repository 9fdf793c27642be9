package gitstore

import (
	"bytes"
	"compress/zlib"
	"context"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteLargeObject stores files around smallObject (compressed in memory up to it) and pipelineSize (hashed and
// compressed on two goroutines above it), from a file and from memory, and asks git for the same id, the same bytes
// and a read-only file.
func TestWriteLargeObject(t *testing.T) {
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	w := &objectWriter{dir: filepath.Join(repo, ".git", "objects")}
	r := rand.New(rand.NewSource(1))
	for _, size := range []int{0, 1, 300, smallObject - 1, smallObject, smallObject + 1, pipelineSize - 1, pipelineSize, 3*pipelineSize + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = "abc{}\"0123456789\n"[r.Intn(17)]
		}
		path := filepath.Join(t.TempDir(), "f")
		os.WriteFile(path, data, 0o644)
		oid, err := w.writeFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("git", "-C", repo, "hash-object", path).Output()
		if err != nil || strings.TrimSpace(string(out)) != oid {
			t.Fatalf("size %d: id %s, git says %s (%v)", size, oid, out, err)
		}
		got, err := exec.Command("git", "-C", repo, "cat-file", "blob", oid).Output()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: git cat-file gives %d bytes (%v)", size, len(got), err)
		}
		st, err := os.Stat(filepath.Join(w.dir, oid[:2], oid[2:]))
		if err != nil || st.Mode().Perm() != 0o444 {
			t.Fatalf("size %d: object file %v (%v), want mode 0444", size, st.Mode(), err)
		}
		// The same content from memory: a tree-like object of the same size, written once more under another type.
		toid, err := w.write("tree", data)
		if err != nil {
			t.Fatal(err)
		}
		tout, err := exec.Command("git", "-C", repo, "hash-object", "-t", "tree", "--literally", path).Output()
		if err != nil || strings.TrimSpace(string(tout)) != toid {
			t.Fatalf("size %d: tree id %s, git says %s (%v)", size, toid, tout, err)
		}
		if got, err := exec.Command("git", "-C", repo, "cat-file", "tree", toid).Output(); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: git cat-file tree gives %d bytes (%v)", size, len(got), err)
		}
		os.Chmod(filepath.Join(w.dir, toid[:2], toid[2:]), 0o644)
		os.Remove(filepath.Join(w.dir, toid[:2], toid[2:])) // not a valid tree: fsck would complain
	}
	if left, _ := filepath.Glob(filepath.Join(w.dir, "tmp_obj_*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if out, err := exec.Command("git", "-C", repo, "fsck", "--full").CombinedOutput(); err != nil {
		t.Fatalf("fsck: %v: %s", err, out)
	}
}

// TestStreamBlob reads blobs back through StreamBlob: a loose one (inflated in process) and the same content once
// packed (through git cat-file), and a tree id, which is not a blob.
func TestStreamBlob(t *testing.T) {
	st, dir := testStore(t)
	data := bytes.Repeat([]byte("{\"step\":1,\"loss\":0.5}\n"), 100000)
	oid, err := st.WriteBlob(data)
	if err != nil {
		t.Fatal(err)
	}
	read := func() []byte {
		t.Helper()
		rc, err := st.StreamBlob(context.Background(), oid)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if st.openLoose(oid, "blob") == nil {
		t.Fatal("the blob is not read as a loose object")
	}
	if !bytes.Equal(read(), data) {
		t.Fatal("loose blob read back differently")
	}
	for _, args := range [][]string{{"tag", "b", oid}, {"repack", "-adq"}, {"prune-packed"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	if st.openLoose(oid, "blob") != nil {
		t.Fatal("a packed blob is read as a loose object")
	}
	if !bytes.Equal(read(), data) {
		t.Fatal("packed blob read back differently")
	}
	tree, err := st.WriteTree([]TreeEntry{{Mode: ModeFile, Name: "f", OID: oid}})
	if err != nil {
		t.Fatal(err)
	}
	if st.openLoose(tree, "blob") != nil {
		t.Fatal("a tree is read as a blob")
	}
}

// FuzzZlibStored: what zlibStored writes is a zlib stream the standard library reads back to the same bytes, with
// its checksum, in blocks of at most 65,535 bytes.
func FuzzZlibStored(f *testing.F) {
	f.Add([]byte("tree 0\x00"), 0)
	f.Add([]byte("tree 12\x00abcabcabcabc"), 65530)
	f.Fuzz(func(t *testing.T, raw []byte, pad int) {
		raw = append(raw, make([]byte, max(0, min(pad, 200000)))...) // across block boundaries
		checkZlib(t, zlibStored(raw), raw)
	})
}

// checkZlib fails t unless compress/zlib reads stream back to raw, its checksum included.
func checkZlib(t *testing.T, stream, raw []byte) {
	t.Helper()
	zr, err := zlib.NewReader(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("read back %d bytes of %d: %v", len(got), len(raw), err)
	}
}

// FuzzZlibSmall: what zlibSmall writes is a zlib stream the standard library reads back to the same bytes, with
// its checksum.
func FuzzZlibSmall(f *testing.F) {
	f.Add([]byte("blob 0\x00"))
	f.Add(bytes.Repeat([]byte("tree 12\x00abcabcabcabc"), 50))
	f.Fuzz(func(t *testing.T, raw []byte) { checkZlib(t, zlibSmall(raw), raw) })
}

// FuzzCompareTreeEntries: entries compare as git orders a tree — by name, a tree's name as if it ended in "/".
func FuzzCompareTreeEntries(f *testing.F) {
	f.Add("ab", true, "ab", false)
	f.Add("ab", true, "ab-c", false)
	f.Add("ab", false, "ab.c", true)
	f.Add("a", true, "a0", true)
	f.Fuzz(func(t *testing.T, a string, aTree bool, b string, bTree bool) {
		if a == "" || b == "" || strings.ContainsAny(a+b, "/\x00") {
			return // not names a tree can hold
		}
		key := func(name string, tree bool) string {
			if tree {
				return name + "/"
			}
			return name
		}
		mode := func(tree bool) string {
			if tree {
				return ModeTree
			}
			return ModeFile
		}
		want := strings.Compare(key(a, aTree), key(b, bTree))
		got := compareTreeEntries(TreeEntry{Mode: mode(aTree), Name: a}, TreeEntry{Mode: mode(bTree), Name: b})
		if (got < 0) != (want < 0) || (got == 0) != (want == 0) {
			t.Fatalf("%q (tree %v) vs %q (tree %v): %d, want the sign of %d", a, aTree, b, bTree, got, want)
		}
	})
}
