package cli

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// PushCmd shares experiments: fetch, merge, push, a bounded number of times; never a force push.
type PushCmd struct {
	Remote string `arg:"" optional:"" help:"Remote (default: exp.remote, the upstream remote, else origin)."`
	Quiet  bool   `short:"q" help:"Print nothing but errors."`
}

// Run implements git exp push.
func (c *PushCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	remote := remoteName(st, c.Remote)
	tip, err := st.Tip()
	if err != nil {
		return err
	}
	if tip == "" {
		return usagef("there are no experiments to push yet (record one with git exp run)")
	}
	if err := st.CheckRemote(ctx, remote); err != nil {
		return usagef("cannot reach remote %s: %s (see git remote -v)", remote, err)
	}
	if !c.Quiet {
		advise(ctx, env, st, remote, tip)
	}
	const tries = 10
	for attempt := 1; ; attempt++ {
		tip, _ = st.Tip()
		err := st.Push(ctx, remote)
		if err == nil {
			if !c.Quiet {
				fmt.Fprintf(env.IO.Err, "pushed experiments to %s (%s)\n", remote, tip[:10])
			}
			return nil
		}
		var pe *gitstore.PushError
		if !errors.As(err, &pe) {
			return err
		}
		if !pe.Rejected || attempt == tries {
			msg := pe.Detail
			if pe.Rejected {
				return fmt.Errorf("push to %s kept being rejected while others pushed (%d tries): run git exp push again", remote, tries)
			}
			if reason := pe.Reason; reason != "" {
				msg = "the remote refused it (" + reason + ")"
				if strings.Contains(reason, "shallow update not allowed") {
					msg += ": this clone is shallow, and the history the experiments' snapshots need is not on " + remote +
						"; run 'git fetch --unshallow' and push again (or allow it on the remote: git config receive.shallowUpdate true)"
				}
			}
			return fmt.Errorf("push to %s failed: %s", remote, msg)
		}
		// The remote moved: merge its experiments and try again.
		if _, err := pull(ctx, st, remote); err != nil && !errors.Is(err, gitstore.ErrNoRemoteStore) {
			return err
		}
		time.Sleep(time.Duration(rand.IntN(50*attempt)) * time.Millisecond)
	}
}

// advise says once per remote that snapshot commits (and their history) travel with the experiments.
func advise(ctx context.Context, env *Env, st *gitstore.Store, remote, tip string) {
	if v := st.ConfigString("exp.pushAdvice", "true"); v == "false" || v == "0" || v == "no" {
		return
	}
	marker := filepath.Join(st.ExpDir(), "advised-"+strings.ReplaceAll(remote, "/", "_"))
	if _, err := os.Stat(marker); err == nil {
		return
	}
	n, err := st.UnsharedSnapshots(ctx, remote, tip)
	if err != nil {
		return
	}
	if n > 0 {
		fmt.Fprintf(env.IO.Err, "note: pushing experiments also pushes their snapshots: %d commit(s) of code that are on no branch of %s will be sent (silence with: git config exp.pushAdvice false)\n", n, remote)
	}
	os.MkdirAll(st.ExpDir(), 0o755)
	os.WriteFile(marker, nil, 0o644)
}
