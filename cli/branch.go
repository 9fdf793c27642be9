package cli

import (
	"context"
	"fmt"
)

// BranchCmd creates a branch at an experiment's snapshot.
type BranchCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	Name string `arg:"" help:"Name of the new branch."`
}

// Run implements git exp branch.
func (c *BranchCmd) Run(ctx context.Context, env *Env) error {
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	if e.Git.Snapshot == "" {
		return noSnapshot(e, "to branch from")
	}
	if err := st.CreateBranch(ctx, c.Name, e.Git.Snapshot); err != nil {
		return &usageError{err.Error()}
	}
	fmt.Fprintf(env.IO.Err, "branch %s at the snapshot of %s (%s)\n", c.Name, e.ID[:7], e.Git.Snapshot[:10])
	return nil
}
