package cli

import (
	"context"
	"fmt"

	"github.com/git-exp/git-exp/gitstore"
)

// FsckCmd checks the store and, with --repair, moves the ref back to its newest complete state and records again
// what survived of the newer ones.
type FsckCmd struct {
	Repair bool `help:"Move refs/experiments/main back to the newest complete state in its reflog and record again what can be recovered."`
}

// Run implements git exp fsck.
func (c *FsckCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Fsck(ctx)
	if err != nil {
		return err
	}
	w := env.IO.Out
	if rep.Tip == "" {
		fmt.Fprintf(w, "%s does not exist: nothing to check\n", gitstore.Ref)
		return nil
	}
	if rep.OK() {
		fmt.Fprintf(w, "%s at %s is complete: %d experiment(s), format %s, %d reflog entries\n",
			gitstore.Ref, rep.Tip[:10], rep.Manifests, rep.Version, rep.ReflogSize)
		return nil
	}
	fmt.Fprintf(w, "%s at %s is damaged:\n", gitstore.Ref, rep.Tip[:10])
	if rep.WalkError != "" {
		fmt.Fprintf(w, "  %s\n", rep.WalkError)
	}
	if n := len(rep.Missing); n > 0 {
		fmt.Fprintf(w, "  %d object(s) missing: %s\n", n, listSome(rep.Missing, 10))
	}
	if rep.WalkError == "" && rep.Version != fmt.Sprint(gitstore.FormatVersion) {
		fmt.Fprintf(w, "  VERSION is %q, this git-exp reads format %d\n", rep.Version, gitstore.FormatVersion)
	}
	for _, b := range rep.BadFiles {
		fmt.Fprintf(w, "  %s\n", b)
	}
	if !c.Repair {
		return fmt.Errorf("the store is damaged: 'git exp fsck --repair' moves %s back to its newest complete state (%d reflog entries) and records again what survived", gitstore.Ref, rep.ReflogSize)
	}
	if rep.WalkError == "" && len(rep.Missing) == 0 {
		return fmt.Errorf("nothing that --repair can fix: the objects are all there; the files above need fixing by hand")
	}
	rr, err := st.Repair(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "moved %s from %s back to %s, the newest complete state (%d step(s) back in its reflog)\n",
		gitstore.Ref, rr.From[:10], rr.To[:10], rr.Steps)
	for _, r := range rr.Recovered {
		fmt.Fprintf(w, "recovered %s\n", r)
	}
	for _, l := range rr.Lost {
		fmt.Fprintf(w, "could not recover %s\n", l)
	}
	if len(rr.Lost) == 0 {
		fmt.Fprintln(w, "nothing was lost")
	}
	return nil
}

func listSome(items []string, n int) string {
	if len(items) <= n {
		return fmt.Sprint(items)
	}
	return fmt.Sprintf("%v and %d more", items[:n], len(items)-n)
}
