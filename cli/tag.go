package cli

import (
	"context"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

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
