package gitstore

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// The git behind fetch, push, the hook path and branch creation, and the typed errors the CLI renders.
func TestRemoteMethods(t *testing.T) {
	ctx := context.Background()
	st, dir := testStore(t)
	st.Git.Env = append(st.Git.Env, "GIT_TERMINAL_PROMPT=0")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "one")
	one := gitIn(t, dir, "rev-parse", "HEAD")
	bare := filepath.Join(t.TempDir(), "remote.git")
	gitIn(t, dir, "init", "-q", "--bare", bare)

	if _, err := st.Fetch(ctx, filepath.Join(t.TempDir(), "nothing")); !errors.Is(err, ErrNotARemote) {
		t.Errorf("Fetch from a missing path: %v, want ErrNotARemote", err)
	}
	if _, err := st.Fetch(ctx, bare); !errors.Is(err, ErrNoRemoteStore) {
		t.Errorf("Fetch from a remote without experiments: %v, want ErrNoRemoteStore", err)
	}
	if err := st.CheckRemote(ctx, bare); err != nil {
		t.Errorf("CheckRemote of an empty bare repository: %v", err)
	}

	gitIn(t, dir, "update-ref", Ref, one)
	if err := st.Push(ctx, bare); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if got := gitIn(t, dir, "rev-parse", RemoteRef(bare)); got != one {
		t.Errorf("after Push, %s = %s, want %s", RemoteRef(bare), got, one)
	}
	if tip, err := st.Fetch(ctx, bare); err != nil || tip != one {
		t.Errorf("Fetch = %s, %v; want %s", tip, err, one)
	}

	// A teammate pushed first: the push is rejected (fetch, merge, push again).
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "two")
	two := gitIn(t, dir, "rev-parse", "HEAD")
	gitIn(t, dir, "push", "-q", "--force", bare, two+":"+Ref)
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "three")
	gitIn(t, dir, "update-ref", Ref, gitIn(t, dir, "commit-tree", "-p", one, "-m", "other", gitIn(t, dir, "rev-parse", "HEAD^{tree}")))
	var pe *PushError
	if err := st.Push(ctx, bare); !errors.As(err, &pe) || !pe.Rejected {
		t.Errorf("Push after the remote moved: %v, want a rejected *PushError", err)
	}

	// A hook refuses it: not rejected, and the reason is git's.
	hook := filepath.Join(bare, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "update-ref", Ref, two)
	gitIn(t, dir, "update-ref", Ref, gitIn(t, dir, "commit-tree", "-p", two, "-m", "four", gitIn(t, dir, "rev-parse", "HEAD^{tree}")))
	if err := st.Push(ctx, bare); !errors.As(err, &pe) || pe.Rejected || pe.Reason != "pre-receive hook declined" {
		t.Errorf("Push refused by a hook: %#v, want not rejected with reason %q", err, "pre-receive hook declined")
	}

	gitIn(t, dir, "config", "core.hooksPath", "myhooks")
	if p, err := st.HookPath(ctx, "pre-push"); err != nil || p != filepath.Join(dir, "myhooks", "pre-push") {
		t.Errorf("HookPath = %q, %v; want %q", p, err, filepath.Join(dir, "myhooks", "pre-push"))
	}

	if err := st.CreateBranch(ctx, "exp-one", one); err != nil {
		t.Fatalf("CreateBranch: %v", err)
	}
	if got := gitIn(t, dir, "rev-parse", "exp-one"); got != one {
		t.Errorf("branch exp-one at %s, want %s", got, one)
	}
	if err := st.CreateBranch(ctx, "exp-one", two); err == nil {
		t.Error("CreateBranch moved an existing branch")
	}
}
