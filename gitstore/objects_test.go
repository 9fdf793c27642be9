package gitstore

import (
	"bytes"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteLargeObject stores files around pipelineSize (hashed and compressed on two goroutines above it) and asks
// git for the same id and the same bytes.
func TestWriteLargeObject(t *testing.T) {
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	w := &objectWriter{dir: filepath.Join(repo, ".git", "objects")}
	r := rand.New(rand.NewSource(1))
	for _, size := range []int{0, pipelineSize - 1, pipelineSize, 3*pipelineSize + 12345} {
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
	}
	if out, err := exec.Command("git", "-C", repo, "fsck", "--full").CombinedOutput(); err != nil {
		t.Fatalf("fsck: %v: %s", err, out)
	}
}
