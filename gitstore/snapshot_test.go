package gitstore

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The snapshot's tree is exactly what `git add -A` into a copy of the index and `git write-tree` give (the git-native
// way of recording a worktree), in every state a researcher's worktree is in; the user's index never changes.
func TestSnapshotMatchesGitAddAll(t *testing.T) {
	ctx := context.Background()
	gitT := func(t *testing.T, dir string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(t *testing.T, dir, name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		edit  func(t *testing.T, dir string)
		dirty bool
		skip  []string
	}{
		{"clean", func(t *testing.T, dir string) {}, false, nil},
		{"modified", func(t *testing.T, dir string) { write(t, dir, "a.txt", "changed\n") }, true, nil},
		{"deleted", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "sub", "b.txt")) }, true, nil},
		{"untracked and ignored", func(t *testing.T, dir string) {
			write(t, dir, "new/u.txt", "untracked\n")
			write(t, dir, "debug.log", "ignored\n")
		}, true, nil},
		{"staged only", func(t *testing.T, dir string) {
			write(t, dir, "a.txt", "staged\n")
			gitT(t, dir, nil, "add", "a.txt")
		}, true, nil},
		{"staged then changed again", func(t *testing.T, dir string) {
			write(t, dir, "a.txt", "staged\n")
			gitT(t, dir, nil, "add", "a.txt")
			write(t, dir, "a.txt", "and changed again\n")
		}, true, nil},
		{"mode change", func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "a.txt"), 0o755) }, true, nil},
		{"big untracked file left out", func(t *testing.T, dir string) {
			write(t, dir, "big.bin", strings.Repeat("x", 2000))
			write(t, dir, "small.txt", "small\n")
		}, true, []string{"big.bin"}},
		{"only a big untracked file", func(t *testing.T, dir string) { write(t, dir, "big.bin", strings.Repeat("x", 2000)) }, false, []string{"big.bin"}},
		{"names with spaces, quotes and newlines", func(t *testing.T, dir string) {
			write(t, dir, "sp ace/\"q\"\nnl.txt", "odd name\n")
			write(t, dir, "sub/b.txt", "changed\n")
		}, true, nil},
	} {
		for _, prefetch := range []bool{false, true} {
			name := tc.name
			if prefetch {
				name += ", status started by OpenForRun from a subdirectory"
			}
			t.Run(name, func(t *testing.T) {
				st, dir := testStore(t)
				write(t, dir, "a.txt", "one\n")
				write(t, dir, "sub/b.txt", "two\n")
				write(t, dir, ".gitignore", "*.log\n")
				gitT(t, dir, nil, "add", "-A")
				gitT(t, dir, nil, "commit", "-qm", "init")
				tc.edit(t, dir)
				index, _ := os.ReadFile(filepath.Join(dir, ".git", "index"))
				if prefetch {
					var err error
					if st, err = OpenForRun(ctx, filepath.Join(dir, "sub")); err != nil {
						t.Fatal(err)
					}
					defer st.Close()
				}

				snap, err := st.Snapshot(ctx, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if after, _ := os.ReadFile(filepath.Join(dir, ".git", "index")); !bytes.Equal(after, index) {
					t.Error("the user's index changed")
				}
				// git's own: a copy of the index, add -A (big files excluded), write-tree.
				tmp := filepath.Join(t.TempDir(), "index")
				os.WriteFile(tmp, index, 0o644)
				env := []string{"GIT_INDEX_FILE=" + tmp}
				args := []string{"add", "-A", "--", ":/"}
				for _, s := range tc.skip {
					args = append(args, ":(exclude)"+s)
				}
				gitT(t, dir, env, args...)
				want := gitT(t, dir, env, "write-tree")
				if snap.Tree != want {
					t.Errorf("snapshot tree %s, git add -A gives %s:\n%s", snap.Tree, want, gitT(t, dir, nil, "diff-tree", "-r", want, snap.Tree))
				}
				if snap.Info.Dirty != tc.dirty {
					t.Errorf("dirty = %v, want %v", snap.Info.Dirty, tc.dirty)
				}
				if strings.Join(snap.Skipped, ",") != strings.Join(tc.skip, ",") {
					t.Errorf("skipped %q, want %q", snap.Skipped, tc.skip)
				}
				if got := gitT(t, dir, nil, "rev-parse", snap.Commit+"^{tree}"); got != snap.Tree {
					t.Errorf("snapshot commit's tree %s, want %s", got, snap.Tree)
				}
			})
		}
	}
}

func TestParseStatusV2(t *testing.T) {
	out := "1 .M N... 100644 100644 100644 aaaa aaaa a b.txt\x00" +
		"1 M. N... 100644 100644 100644 aaaa bbbb staged.txt\x00" +
		"1 .D N... 100644 100644 000000 aaaa aaaa gone.txt\x00" +
		"u UU N... 100644 100644 100644 100644 aaaa bbbb cccc conflict.txt\x00" +
		"? new dir/u.txt\x00? nested/\x00? big.bin\x00! ignored.log\x00"
	update, staged, skipped, err := parseStatusV2([]byte(out), func(p string) bool { return p == "big.bin" })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := update.String(), "a b.txt\x00gone.txt\x00conflict.txt\x00new dir/u.txt\x00nested\x00"; got != want {
		t.Errorf("update %q, want %q", got, want)
	}
	if !staged {
		t.Error("a staged change was not seen")
	}
	if strings.Join(skipped, ",") != "big.bin" {
		t.Errorf("skipped %q", skipped)
	}
	for _, bad := range []string{"1 .M N...\x00", "? a", "2 R. N... 100644 100644 100644 a b R100 x\x00y\x00"} {
		if _, _, _, err := parseStatusV2([]byte(bad), func(string) bool { return false }); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseStatusV2(f *testing.F) {
	f.Add([]byte("1 .M N... 100644 100644 100644 aaaa aaaa a b.txt\x00? u\x00"))
	f.Add([]byte("u UU N... 100644 100644 100644 100644 aaaa bbbb cccc c\x00"))
	f.Fuzz(func(t *testing.T, out []byte) {
		update, _, _, err := parseStatusV2(out, func(p string) bool { return len(p)%2 == 0 })
		if err == nil && update.Len() > len(out) {
			t.Fatalf("more paths out (%d bytes) than status gave (%d)", update.Len(), len(out))
		}
	})
}
