package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// remoteName picks the remote: the argument, else git config exp.remote, else the current branch's upstream
// remote, else origin.
func remoteName(st *gitstore.Store, arg string) string {
	if arg != "" {
		return arg
	}
	if r := st.ConfigString("exp.remote", ""); r != "" {
		return r
	}
	if data, err := os.ReadFile(filepath.Join(st.GitDir, "HEAD")); err == nil {
		if b, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "ref: refs/heads/"); ok {
			if r := st.ConfigString("branch."+b+".remote", ""); r != "" && r != "." {
				return r
			}
		}
	}
	return "origin"
}

// remoteRef is where a remote's experiments are fetched to (gitstore.RemoteRef).
func remoteRef(remote string) string { return gitstore.RemoteRef(remote) }

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

// PullCmd fetches and merges a remote's experiments.
type PullCmd struct {
	Remote string `arg:"" optional:"" help:"Remote (default: exp.remote, the upstream remote, else origin)."`
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
		fmt.Fprintf(env.IO.Err, "%s has no experiments yet (git exp push %s shares yours)\n", remote, remote)
		return nil
	}
	if err != nil {
		return err
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

// PushCmd shares experiments: fetch, merge, push, a bounded number of times; never a force push.
type PushCmd struct {
	Remote string `arg:"" optional:"" help:"Remote (default: exp.remote, the upstream remote, else origin)."`
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
	advise(ctx, env, st, remote, tip)
	const tries = 10
	for attempt := 1; ; attempt++ {
		tip, _ = st.Tip()
		err := st.Push(ctx, remote)
		if err == nil {
			fmt.Fprintf(env.IO.Err, "pushed experiments to %s (%s)\n", remote, tip[:10])
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

// RemoteCmd groups remote helpers.
type RemoteCmd struct {
	Setup RemoteSetupCmd `cmd:"" help:"Add refspecs so plain git fetch and git push carry experiments too."`
}

// RemoteSetupCmd adds fetch and push refspecs for the experiments.
type RemoteSetupCmd struct {
	Remote string `arg:"" optional:"" help:"Remote (default: exp.remote, the upstream remote, else origin)."`
}

// Run implements git exp remote setup.
func (c *RemoteSetupCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	remote := remoteName(st, c.Remote)
	if st.ConfigString("remote."+remote+".url", "") == "" {
		return usagef("%s is not a remote of this repository (see git remote -v)", remote)
	}
	if err := st.AddRemoteRefspecs(ctx, remote); err != nil {
		return err
	}
	fmt.Fprintf(env.IO.Err, "git fetch %s now fetches its experiments into %s, and the next git exp list merges them in.\n"+
		"git push %s now pushes the current branch and refs/experiments/main; when a teammate pushed experiments first, git rejects\n"+
		"refs/experiments/main and suggests git pull, which does not merge experiments: run git exp push %s (it merges and pushes).\n",
		remote, remoteRef(remote), remote, remote)
	hook, err := st.HookPath(ctx, "pre-push")
	if err != nil {
		return err
	}
	switch installed, err := installPushHint(hook); {
	case err != nil:
		fmt.Fprintf(env.IO.Err, "warning: the hint for a rejected git push was not installed: %v\n", err)
	case !installed:
		fmt.Fprintf(env.IO.Err, "note: %s is not git-exp's, so a rejected git push will not name git exp push\n", hook)
	}
	return nil
}

// pushHintMarker identifies the pre-push hook that git exp remote setup installs.
const pushHintMarker = "# git-exp: push hint"

// pushHint is that hook: when refs/experiments/main is pushed and the remote's tip is not contained in ours (a teammate
// pushed experiments first), it says before git's own rejection that git exp push merges and pushes. It never stops
// a push and runs nothing but git.
const pushHint = `#!/bin/sh
` + pushHintMarker + ` (installed by git exp remote setup; delete this file to remove it)
zero=$(git hash-object --stdin </dev/null | tr 0-9a-f 0)
while read -r lref lsha rref rsha; do
	[ "$rref" = refs/experiments/main ] || continue
	[ "$rsha" = "$zero" ] && continue
	git merge-base --is-ancestor "$rsha" "$lsha" 2>/dev/null && continue
	echo "hint: $1 has experiments that are not in yours: run 'git exp push $1' (it fetches, merges and pushes)" >&2
done
exit 0
`

// installPushHint writes the pre-push hook unless another hook is there; it reports whether git-exp's hook is in place.
func installPushHint(path string) (bool, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.Contains(string(b), pushHintMarker), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return false, err
	}
	if _, err := f.WriteString(pushHint); err != nil {
		f.Close()
		os.Remove(path)
		return false, err
	}
	return true, f.Close()
}
