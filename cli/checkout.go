package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/git-exp/git-exp/gitstore"
)

// CheckoutCmd restores an experiment's snapshot.
type CheckoutCmd struct {
	ID    string `arg:"" help:"Experiment id, id prefix or name."`
	To    string `placeholder:"DIR" help:"Write a separate copy into DIR instead of the worktree."`
	Force bool   `short:"f" help:"Overwrite uncommitted changes (or a non-empty DIR)."`
}

// Run implements git exp checkout.
func (c *CheckoutCmd) Run(ctx context.Context, env *Env) error {
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	snap := e.Git.Snapshot
	if snap == "" {
		return noSnapshot(e, "to restore")
	}
	if err := st.MissingObjects(ctx, snap); err != nil {
		return err
	}
	if c.To != "" {
		if ents, err := os.ReadDir(c.To); err == nil && len(ents) > 0 && !c.Force {
			return usagef("%s is not empty: choose another directory or pass --force", c.To)
		}
		dir, err := st.Checkout(ctx, snap, c.To)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.IO.Err, "wrote the snapshot of %s (%s) into %s\n", e.ID[:7], snap[:10], dir)
		warnSubmodules(env, st, e.ID, dir, false)
		return nil
	}
	if st.Bare {
		return gitstore.ErrBare
	}
	changes, err := st.RestoreSnapshot(ctx, snap, c.Force)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.IO.Err, "restored the files of %s (snapshot %s): %d changed; HEAD and the index are unchanged (see git status)\n", e.ID[:7], snap[:10], changes)
	warnSubmodules(env, st, e.ID, st.Root, true)
	return nil
}

// warnSubmodules says what a checkout did not restore: submodules are recorded as commits, not as files, and
// their uncommitted changes not at all.
func warnSubmodules(env *Env, st *gitstore.Store, id, dir string, worktree bool) {
	e, err := st.Load(id)
	if err != nil {
		return
	}
	for _, sm := range e.Git.Submodules {
		msg := fmt.Sprintf("note: submodule %s is not restored: the experiment ran with it at %s", sm.Path, sm.Commit)
		if sm.Dirty {
			msg += " with uncommitted changes, which were not recorded and cannot be restored"
		}
		path := filepath.Join(dir, filepath.FromSlash(sm.Path))
		if worktree {
			msg += fmt.Sprintf("; to check that commit out: git -C %s checkout %s", path, sm.Commit)
		} else {
			msg += fmt.Sprintf("; to get it: clone its URL (see .gitmodules) into %s and check out %s", path, sm.Commit)
		}
		env.IO.Warnf("%s", msg)
	}
}
