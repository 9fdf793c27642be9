package cli

import (
	"context"
	"fmt"

	"github.com/git-exp/git-exp/results"
)

// DiffCmd shows what differs between two experiments: parameters, results, and the code.
type DiffCmd struct {
	A     string `arg:"" help:"First experiment."`
	B     string `arg:"" help:"Second experiment."`
	Patch bool   `short:"p" xor:"diffmode" help:"Show the full code diff (default: a --stat summary)."`
	Stat  bool   `xor:"diffmode" help:"Show the code change as git diff --stat does (the default)."`
}

// Run implements git exp diff.
func (c *DiffCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	exps, err := resolveAll(ctx, env, st, []string{c.A, c.B})
	if err != nil {
		return err
	}
	if len(exps) < 2 {
		return usagef("%s and %s are the same experiment", c.A, c.B)
	}
	a, b := exps[0], exps[1]
	w := env.IO.Out
	fmt.Fprintf(w, "--- %s %s\n+++ %s %s\n", a.ID[:7], env.IO.Text(a.Name), b.ID[:7], env.IO.Text(b.Name))
	human := env.IO.OutTTY
	pa, pb := flat(a.ParamsJSON), flat(b.ParamsJSON)
	rows := [][]string{}
	for _, k := range results.Keys(pa, pb) {
		if cell(pa, k) != cell(pb, k) {
			rows = append(rows, []string{k, tableCell(pa, k, human), tableCell(pb, k, human)})
		}
	}
	fmt.Fprintln(w, "params:")
	if len(rows) == 0 {
		fmt.Fprintln(w, "  (identical)")
	} else {
		table(env.IO, []string{"PARAM", a.ID[:7], b.ID[:7]}, rows)
	}
	ra, rb := flat(a.ResultsJSON), flat(b.ResultsJSON)
	if keys := results.Keys(ra, rb); len(keys) > 0 {
		rows = rows[:0]
		for _, k := range keys {
			rows = append(rows, []string{k, tableCell(ra, k, human), tableCell(rb, k, human), delta(ra[k], rb[k], human)})
		}
		fmt.Fprintln(w, "results:")
		table(env.IO, []string{"RESULT", a.ID[:7], b.ID[:7], "DELTA"}, rows)
	}
	if a.Git.Snapshot == "" || b.Git.Snapshot == "" {
		return nil
	}
	fmt.Fprintln(w, "code:")
	if a.Git.Snapshot == b.Git.Snapshot {
		fmt.Fprintln(w, "  (same snapshot)")
		return nil
	}
	// Through git, so the user's diff configuration and pager apply.
	return st.DiffSnapshots(ctx, a.Git.Snapshot, b.Git.Snapshot, c.Patch, env.IO.In, env.IO.Out, env.IO.Err)
}
