package cli

import (
	"context"
	"fmt"

	"github.com/git-exp/git-exp/gitstore"
)

// CancelCmd cancels queued, staged or running experiments.
type CancelCmd struct {
	IDs   []string `arg:"" optional:"" help:"Experiment ids, id prefixes or names."`
	Batch string   `help:"Cancel every unfinished experiment of this batch."`
}

// Run implements git exp cancel.
func (c *CancelCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var exps []*gitstore.Experiment
	if c.Batch != "" {
		if len(c.IDs) > 0 {
			return usagef("give experiment ids or --batch, not both")
		}
		if exps, err = pick(ctx, env, st, "", c.Batch); err != nil {
			return err
		}
	} else if len(c.IDs) == 0 {
		return usagef("give the experiments to cancel (ids, or --batch ID)")
	} else if exps, err = resolveAll(ctx, env, st, c.IDs); err != nil {
		return err
	}
	n, err := env.runner(st).Cancel(ctx, exps)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(env.IO.Err, "nothing to cancel: every experiment given has ended")
		return nil
	}
	fmt.Fprintf(env.IO.Err, "cancelled %d experiment(s)\n", n)
	return nil
}
