package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// mergeFetched merges the experiments that plain git fetch brought from remotes set up with git exp remote setup
// (their fetch refspec carries refs/experiments/main): when such a remote-tracking tip moved since this clone last
// saw it, it is merged into refs/experiments/main as git exp pull would, without the network. Reading the remotes'
// tips costs a file read each; a merge happens only after a fetch brought something.
func mergeFetched(ctx context.Context, env *Env, st *gitstore.Store) {
	for _, remote := range st.Remotes() {
		ref := remoteRef(remote)
		if !slices.Contains(st.Config("remote."+remote+".fetch"), "+"+gitstore.Ref+":"+ref) {
			continue
		}
		tip, err := st.ReadRef(ref)
		if err != nil || tip == "" {
			continue
		}
		marker := filepath.Join(st.ExpDir(), "seen-"+strings.ReplaceAll(strings.TrimPrefix(ref, "refs/experiments/remotes/"), "/", "_"))
		if seen, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(seen)) == tip {
			continue
		}
		if ours, _ := st.Tip(); ours == tip { // what git exp push just pushed: nothing to merge
			os.MkdirAll(st.ExpDir(), 0o755)
			os.WriteFile(marker, []byte(tip+"\n"), 0o644)
			continue
		}
		before := countExps(st)
		what, err := st.Merge(context.WithoutCancel(ctx), tip, "from "+remote+" (fetched)")
		if err != nil {
			env.IO.Warnf("git exp: could not merge the experiments fetched from %s: %v (git exp pull %s merges them)", remote, err, remote)
			continue
		}
		if n := countExps(st) - before; n > 0 {
			env.IO.Warnf("merged %d experiment(s) fetched from %s (%s)", n, remote, what)
		}
		os.MkdirAll(st.ExpDir(), 0o755)
		os.WriteFile(marker, []byte(tip+"\n"), 0o644)
	}
}

// unfetchedHint explains an empty listing in a clone: experiments fetched but not merged, or a remote that may
// have some (nothing here asks the network: a hint, not a check).
func unfetchedHint(st *gitstore.Store) string {
	for _, remote := range st.Remotes() {
		if tip, _ := st.ReadRef(remoteRef(remote)); tip != "" {
			return fmt.Sprintf("no experiments here yet, but some were fetched from %s: git exp pull %s merges them", remote, remote)
		}
	}
	remotes := st.Remotes()
	if len(remotes) == 0 {
		return ""
	}
	remote := remoteName(st, "")
	if !slices.Contains(remotes, remote) {
		remote = remotes[0]
	}
	return fmt.Sprintf("no experiments here yet: record one with git exp run SCRIPT, or get your team's from %s with git exp pull %s", remote, remote)
}
