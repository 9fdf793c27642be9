package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
