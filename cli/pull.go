package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/git-exp/git-exp/gitstore"
)

// PullCmd fetches and merges a remote's experiments.
type PullCmd struct {
	Remote string `arg:"" optional:"" help:"Remote (default: exp.remote, the upstream remote, else origin)."`
	Quiet  bool   `short:"q" help:"Print nothing but errors."`
}

// Run implements git exp pull.
func (c *PullCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	remote := remoteName(st, c.Remote)
	before := countExps(st)
	what, err := pull(ctx, st, remote)
	if errors.Is(err, gitstore.ErrNoRemoteStore) {
		if !c.Quiet {
			fmt.Fprintf(env.IO.Err, "%s has no experiments yet (git exp push %s shares yours)\n", remote, remote)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if c.Quiet {
		return nil
	}
	after := countExps(st)
	fmt.Fprintf(env.IO.Err, "pulled from %s: %s, %d new experiment(s)\n", remote, what, after-before)
	return nil
}

func pull(ctx context.Context, st *gitstore.Store, remote string) (string, error) {
	tip, err := fetch(ctx, st, remote)
	if err != nil {
		return "", err
	}
	return st.Merge(context.WithoutCancel(ctx), tip, "from "+remote)
}

func countExps(st *gitstore.Store) int {
	n, _ := st.CountExperiments()
	return n
}
