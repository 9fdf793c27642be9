package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/git-exp/git-exp/gitstore"
)

// fetch copies the remote's experiments to refs/experiments/remotes/<remote>/main and returns that commit.
func fetch(ctx context.Context, st *gitstore.Store, remote string) (string, error) {
	tip, err := st.Fetch(ctx, remote)
	if errors.Is(err, gitstore.ErrNotARemote) {
		return "", usagef("%s is not a remote of this repository or not a git repository (see git remote -v)", remote)
	}
	return tip, err
}

// FetchCmd fetches a remote's experiments without merging them.
type FetchCmd struct {
	Remote string `arg:"" optional:"" help:"Remote (default: exp.remote, the upstream remote, else origin)."`
}

// Run implements git exp fetch.
func (c *FetchCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	remote := remoteName(st, c.Remote)
	tip, err := fetch(ctx, st, remote)
	if errors.Is(err, gitstore.ErrNoRemoteStore) {
		fmt.Fprintf(env.IO.Err, "%s has no experiments yet (git exp push %s shares yours)\n", remote, remote)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.IO.Err, "fetched %s's experiments into %s (%s); git exp pull merges them\n", remote, remoteRef(remote), tip[:10])
	return nil
}
