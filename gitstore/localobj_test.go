//go:build unix

package gitstore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Objects read from the object directory are those cat-file reads: loose ones (written here or by git), packed ones
// (whole and as deltas), before and after a repack that deletes the packs read; one not found here comes from git.
func TestLocalObjectsMatchCatFile(t *testing.T) {
	st, all := packTestRepo(t)
	var loose []string
	for i := range 20 {
		oid, err := st.WriteBlob([]byte(fmt.Sprintf("loose %d\n", i)))
		if err != nil {
			t.Fatal(err)
		}
		loose = append(loose, oid)
	}
	gitLoose := gitOut(t, st.Root, "hash-object", "-w", "--stdin") // git's own zlib
	check := func(oids []string) {
		t.Helper()
		want, err := st.cat.GetMany(oids)
		if err != nil {
			t.Fatal(err)
		}
		for i, oid := range oids {
			got, ok := st.local.get(oid)
			if !ok {
				t.Fatalf("%s not read from the object directory", oid)
			}
			if got.OID != want[i].OID || got.Type != want[i].Type || !bytes.Equal(got.Data, want[i].Data) {
				t.Fatalf("%s: read %s of %d bytes, cat-file says %s of %d bytes", oid, got.Type, len(got.Data), want[i].Type, len(want[i].Data))
			}
		}
	}
	check(all)
	check(append(loose, gitLoose))
	// A repack replaces the packs that were opened: objects still read from them (they stay mapped), and one only
	// the new pack holds opens the packs again.
	old := st.local.packs
	var ents []TreeEntry
	for i, oid := range loose {
		ents = append(ents, TreeEntry{Mode: ModeFile, Name: fmt.Sprintf("l%02d", i), OID: oid})
	}
	tree, err := st.WriteTree(ents)
	if err != nil {
		t.Fatal(err)
	}
	commit, err := st.WriteCommit(tree, nil, "loose ones")
	if err != nil {
		t.Fatal(err)
	}
	gitOut(t, st.Root, "update-ref", "refs/heads/loose", commit)
	gitOut(t, st.Root, "repack", "-adq")
	if _, err := os.Stat(filepath.Join(st.ObjectDir, loose[0][:2], loose[0][2:])); err == nil {
		t.Fatal("still loose after the repack")
	}
	check(all)
	if st.local.packs != old {
		t.Fatal("packs opened again while the old ones answered")
	}
	got, ok := st.local.get(loose[0])
	if !ok || string(got.Data) != "loose 0\n" {
		t.Fatalf("after repack: %q, %v", got.Data, ok)
	}
	if st.local.packs == old {
		t.Fatal("the packs of before the repack are still open")
	}
	for _, bad := range []string{"HEAD", strings.ToUpper(all[0]), all[0][:39], "refs/heads/main"} {
		if _, ok := st.local.get(bad); ok {
			t.Errorf("%q read from the object directory", bad)
		}
	}
}

// A damaged loose object is not read here (its checksum, its header): the read goes to git, which says what it is.
func TestLocalObjectsRefuseDamage(t *testing.T) {
	st, _ := testStore(t)
	oid, err := st.WriteBlob([]byte("some content to damage\n"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(st.ObjectDir, oid[:2], oid[2:])
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := inflateLoose(oid, data); !ok {
		t.Fatal("intact object refused")
	}
	for i := 2; i < len(data); i++ {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		if obj, ok := inflateLoose(oid, bad); ok && string(obj.Data) != "some content to damage\n" {
			t.Fatalf("byte %d damaged: read %q", i, obj.Data)
		}
	}
	if _, ok := inflateLoose(oid, data[:len(data)-3]); ok {
		t.Error("cut object read")
	}
}

// With replace refs, cat-file shows the replacement: every read goes to git.
func TestLocalObjectsHonourReplaceRefs(t *testing.T) {
	st, dir := testStore(t)
	a, _ := st.WriteBlob([]byte("original\n"))
	b, _ := st.WriteBlob([]byte("replacement\n"))
	gitOut(t, dir, "replace", a, b)
	st2, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if _, ok := st2.local.get(a); ok {
		t.Fatal("object read here despite a replace ref")
	}
	got, err := st2.get(a)
	if err != nil || string(got.Data) != "replacement\n" {
		t.Fatalf("got %q, %v; want the replacement", got.Data, err)
	}
	gitOut(t, dir, "pack-refs", "--all")
	if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "replace")); err == nil {
		os.RemoveAll(filepath.Join(dir, ".git", "refs", "replace"))
	}
	st3, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st3.Close()
	if got, err := st3.get(a); err != nil || string(got.Data) != "replacement\n" {
		t.Fatalf("packed replace ref: got %q, %v; want the replacement", got.Data, err)
	}
}

// Whatever a loose object file holds, reading it never panics, and what is read is what its header announces.
func FuzzInflateLoose(f *testing.F) {
	for _, s := range []string{"blob 3\x00abc", "tree 0\x00", "commit 1\x00x", "blob 10\x00short", "bogus 1\x00x", "blob x\x00"} {
		f.Add(zlibSmall([]byte(s)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, ok := inflateLoose("0123", data)
		if !ok {
			return
		}
		switch obj.Type {
		case "blob", "tree", "commit", "tag":
		default:
			t.Fatalf("type %q", obj.Type)
		}
	})
}
