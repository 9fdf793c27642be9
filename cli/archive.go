package cli

import (
	"context"
	"fmt"

	"github.com/git-exp/git-exp/gitstore"
)

// BulkCmd is archive, unarchive and rm: by ids, or by filters with --force.
type BulkCmd struct {
	IDs []string `arg:"" optional:"" help:"Experiment ids, id prefixes or names."`
	Filters
	Force bool `short:"f" help:"Apply to every experiment the filters select, without asking."`
	op    string
}

// ArchiveCmd hides experiments from listings (list --archived shows them).
type ArchiveCmd struct{ BulkCmd }

// Run implements git exp archive.
func (c *ArchiveCmd) Run(ctx context.Context, env *Env) error {
	c.op = "archive"
	return c.run(ctx, env)
}

// UnarchiveCmd shows archived experiments again.
type UnarchiveCmd struct{ BulkCmd }

// Run implements git exp unarchive.
func (c *UnarchiveCmd) Run(ctx context.Context, env *Env) error {
	c.op = "unarchive"
	c.Archived = true
	return c.run(ctx, env)
}

func (c *BulkCmd) run(ctx context.Context, env *Env) error {
	if len(c.IDs) > 0 == c.active() {
		return usagef("give experiment ids, or filters (--where, --tag, --status, ...) with --force")
	}
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	exps, err := c.choose(ctx, env, st, c.IDs)
	if err != nil {
		return err
	}
	if len(c.IDs) == 0 {
		if len(exps) == 0 {
			fmt.Fprintln(env.IO.Err, "no experiment matches: nothing done")
			return nil
		}
		if !c.Force {
			if !env.IO.ErrTTY {
				return usagef("this would %s %d experiments: pass --force to do it", c.op, len(exps))
			}
			if !confirm(env.IO, fmt.Sprintf("%s %d experiments?", c.op, len(exps))) {
				return usagef("nothing done")
			}
		}
	}
	if err := writeNotes(ctx, st, exps, gitstore.Note{Op: c.op}); err != nil {
		return err
	}
	verb := map[string]string{"archive": "archived", "unarchive": "unarchived", "delete": "removed"}[c.op]
	fmt.Fprintf(env.IO.Err, "%s %d experiment(s)\n", verb, len(exps))
	return nil
}
