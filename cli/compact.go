package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// CompactCmd rewrites refs/experiments/main locally without the data of removed experiments (see gitstore/compact.go
// for the design: a new history from the store's root, tombstones so removals survive merges).
type CompactCmd struct {
	Yes    bool `short:"y" help:"Do not ask for confirmation (required when not on a terminal)."`
	DryRun bool `short:"n" name:"dry-run" help:"Only say what would be done."`
}

// Run implements git exp compact.
func (c *CompactCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.PlanCompact(ctx)
	if err != nil {
		return err
	}
	w := env.IO.Err
	if len(p.Removed) == 0 {
		fmt.Fprintln(w, "nothing to compact: no removed experiment has data left here (git exp rm removes experiments)")
		return nil
	}
	short := make([]string, len(p.Removed))
	for i, id := range p.Removed {
		short[i] = id[:7]
	}
	list := strings.Join(short, " ")
	if len(short) > 10 {
		list = strings.Join(short[:10], " ") + fmt.Sprintf(" and %d more", len(short)-10)
	}
	fmt.Fprintf(w, "git exp compact rewrites %s in this repository (a new history of %d commit(s) replaces %d):\n",
		gitstore.Ref, 1+max(0, (len(p.Snapshots)-1)/500), p.Commits)
	fmt.Fprintf(w, "  - drops the data (parameters, results, logs, metrics, artifacts) of %d removed experiment(s): %s;\n", len(p.Removed), list)
	fmt.Fprintln(w, "    each keeps a tombstone (its notes) so it stays removed when merged with a clone that still has it;")
	fmt.Fprintf(w, "  - keeps %d experiment(s) and %d snapshot commit(s) of their code", p.Kept, len(p.Snapshots))
	if p.Missing > 0 {
		fmt.Fprintf(w, " (%d snapshot(s) are not in this repository and stay absent)", p.Missing)
	}
	fmt.Fprintln(w, ";")
	for _, r := range p.RemoteRefs {
		fmt.Fprintf(w, "  - deletes %s, a fetched copy that still holds the data (git exp fetch recreates it);\n", r)
	}
	fmt.Fprintln(w, "Remotes keep their copy until they compact too (a pull from one that has not brings the data back, still removed).")
	fmt.Fprintln(w, "Afterwards, git gc --prune=now frees the space.")
	if c.DryRun {
		return nil
	}
	if !c.Yes {
		if !env.IO.ErrTTY {
			return usagef("not on a terminal: pass --yes to compact")
		}
		if !confirm(env.IO, "Compact?") {
			return usagef("nothing done")
		}
	}
	tip, err := st.Compact(context.WithoutCancel(ctx), p)
	if errors.Is(err, gitstore.ErrStoreMoved) {
		return fmt.Errorf("%v", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "compacted %s: now %s; %d removed experiment(s) dropped, %d kept\n", gitstore.Ref, tip[:10], len(p.Removed), p.Kept)
	return nil
}
