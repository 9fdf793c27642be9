package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// writeNotes records one edit per experiment as an append-only note (see gitstore.Store.WriteNotes).
func writeNotes(ctx context.Context, st *gitstore.Store, exps []*gitstore.Experiment, n gitstore.Note) error {
	ids := make([]string, len(exps))
	for i, e := range exps {
		ids[i] = e.ID
	}
	return st.WriteNotes(ctx, ids, n)
}

// resolveAll resolves several ids, reporting every unknown one at once.
func resolveAll(ctx context.Context, env *Env, st *gitstore.Store, ids []string) ([]*gitstore.Experiment, error) {
	all, err := experiments(ctx, env, st)
	if err != nil {
		return nil, err
	}
	var out []*gitstore.Experiment
	var bad []string
	seen := map[string]bool{}
	for _, q := range ids {
		e, err := gitstore.Resolve(all, q)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	if len(bad) > 0 {
		return nil, &usageError{strings.Join(bad, "; ")}
	}
	return out, nil
}

// TagCmd adds and removes tags: git exp tag ID... +tag -tag.
type TagCmd struct {
	Args []string `arg:"" passthrough:"" help:"Experiment ids, then +TAG to add and -TAG to remove."`
}

// Run implements git exp tag.
func (c *TagCmd) Run(ctx context.Context, env *Env) error {
	var ids, add, remove []string
	for _, a := range append(c.Args, env.Tail...) {
		switch {
		case a == "--":
		case strings.HasPrefix(a, "+") && len(a) > 1:
			add = append(add, a[1:])
		case strings.HasPrefix(a, "-") && len(a) > 1:
			remove = append(remove, a[1:])
		default:
			ids = append(ids, a)
		}
	}
	if len(ids) == 0 || len(add)+len(remove) == 0 {
		return usagef("usage: git exp tag ID... +TAG -TAG (at least one id and one +tag or -tag)")
	}
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	exps, err := resolveAll(ctx, env, st, ids)
	if err != nil {
		return err
	}
	if len(add) > 0 {
		if err := writeNotes(ctx, st, exps, gitstore.Note{Op: "tag", Tags: add}); err != nil {
			return err
		}
	}
	if len(remove) > 0 {
		if err := writeNotes(ctx, st, exps, gitstore.Note{Op: "untag", Tags: remove}); err != nil {
			return err
		}
	}
	return nil
}

// RenameCmd renames an experiment.
type RenameCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	Name string `arg:"" help:"The new name."`
}

// Run implements git exp rename.
func (c *RenameCmd) Run(ctx context.Context, env *Env) error {
	return edit1(ctx, env, c.ID, gitstore.Note{Op: "rename", Value: c.Name})
}

// DescribeCmd sets an experiment's description.
type DescribeCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	Text string `arg:"" help:"The description."`
}

// Run implements git exp describe.
func (c *DescribeCmd) Run(ctx context.Context, env *Env) error {
	return edit1(ctx, env, c.ID, gitstore.Note{Op: "describe", Value: c.Text})
}

func edit1(ctx context.Context, env *Env, id string, n gitstore.Note) error {
	st, e, err := env.openOne(ctx, id)
	if err != nil {
		return err
	}
	defer st.Close()
	return writeNotes(ctx, st, []*gitstore.Experiment{e}, n)
}

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

// RmCmd removes experiments from every listing (their data stays until git exp compact).
type RmCmd struct{ BulkCmd }

// Run implements git exp rm.
func (c *RmCmd) Run(ctx context.Context, env *Env) error { c.op = "delete"; return c.run(ctx, env) }

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
