package gitcmd

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func testRepo(t *testing.T) (*Git, string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	g := &Git{Dir: dir}
	ctx := context.Background()
	if _, err := g.Run(ctx, "init", "-q"); err != nil {
		t.Fatal(err)
	}
	out, err := g.RunWith(ctx, strings.NewReader("hello\n"), nil, "hash-object", "-w", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	return g, strings.TrimSpace(string(out))
}

func checkCat(t *testing.T, g *Git, oid string) {
	t.Helper()
	c := g.NewCatFile(context.Background())
	defer c.Close()
	for round := 0; round < 2; round++ { // the process answers request after request
		objs, err := c.GetMany([]string{oid, strings.Repeat("0", len(oid)), oid})
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) != 3 || string(objs[0].Data) != "hello\n" || objs[0].Type != "blob" || objs[1].Type != "" ||
			string(objs[2].Data) != "hello\n" {
			t.Fatalf("round %d: got %+v", round, objs)
		}
	}
}

func TestCatFile(t *testing.T) {
	g, oid := testRepo(t)
	checkCat(t, g, oid)
}

// A reader starts no process until its first request (a run reads every object elsewhere); after Close, a request is
// refused rather than answered by a new process.
func TestCatFileLazy(t *testing.T) {
	g, oid := testRepo(t)
	c := g.NewCatFile(context.Background())
	if c.cmd != nil {
		t.Fatal("a process started before any request")
	}
	if objs, err := c.GetMany(nil); err != nil || len(objs) != 0 || c.cmd != nil {
		t.Fatalf("an empty request: %v, %v, process %v", objs, err, c.cmd)
	}
	if _, err := c.Get(oid); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(oid); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

// A git without --batch-command (older than 2.36) exits at once with a usage error: CatFile goes on with --batch.
func TestCatFileOldGit(t *testing.T) {
	real, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	g, oid := testRepo(t)
	bin := t.TempDir()
	script := "#!/bin/sh\nfor a; do [ \"$a\" = --batch-command ] && { echo \"error: unknown option \\`batch-command'\" >&2; exit 129; }; done\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	checkCat(t, g, oid)
}
