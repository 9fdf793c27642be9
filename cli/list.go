package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// ListCmd lists experiments.
type ListCmd struct {
	Status   []string `sep:"none" help:"Only experiments with any of these statuses." placeholder:"STATUS"`
	Tag      []string `sep:"none" help:"Only experiments with all of these tags." placeholder:"TAG"`
	Batch    string   `help:"Only the experiments of this batch (id or prefix)."`
	Limit    int      `short:"n" help:"Show at most N experiments."`
	All      bool     `short:"a" help:"Show all of them (a terminal shows the newest 20 by default)."`
	Archived bool     `help:"Include archived experiments."`
	JSON     bool     `name:"json" help:"Print a JSON array (fields: see README)."`
}

// Run implements git exp list.
func (c *ListCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	all, err := experiments(ctx, env, st)
	if err != nil {
		return err
	}
	ids := make([]string, len(all))
	for i, e := range all {
		ids[i] = e.ID
	}
	short := gitstore.ShortIDs(ids)
	exps := all[:0:0]
	for _, e := range all {
		if c.keep(e) {
			exps = append(exps, e)
		}
	}
	sortNewest(exps)
	limit := c.Limit
	if limit == 0 && env.IO.OutTTY && !c.JSON && !c.All {
		limit = 20
	}
	more := 0
	if limit > 0 && len(exps) > limit {
		more = len(exps) - limit
		exps = exps[:limit]
	}
	if c.JSON {
		out := make([]jsonExperiment, len(exps))
		for i, e := range exps {
			out[i] = toJSON(e, short[e.ID])
		}
		return writeJSON(env.IO.Out, out)
	}
	if len(exps) == 0 {
		if env.IO.OutTTY {
			if len(all) == 0 {
				fmt.Fprintln(env.IO.Err, "no experiments yet: record one with git exp run SCRIPT")
			} else {
				fmt.Fprintln(env.IO.Err, "no experiments match")
			}
		}
		return nil
	}
	rows := make([][]string, 0, len(exps))
	for _, e := range exps {
		if env.IO.OutTTY {
			rows = append(rows, []string{short[e.ID], e.Name, colorStatus(env.IO, e.Status), relTime(e.Created),
				durationCell(e), strings.Join(e.Tags, ","), flatKV(e.ParamsJSON), flatKV(e.ResultsJSON)})
		} else {
			rows = append(rows, []string{e.ID, e.Name, e.Status, e.Created, fmt.Sprintf("%.3f", e.DurationS),
				strings.Join(e.Tags, ","), flatKV(e.ParamsJSON), flatKV(e.ResultsJSON)})
		}
	}
	if err := table(env.IO, []string{"ID", "NAME", "STATUS", "CREATED", "DURATION", "TAGS", "PARAMS", "RESULTS"}, rows); err != nil {
		return err
	}
	if more > 0 && env.IO.OutTTY {
		fmt.Fprintf(env.IO.Err, "... and %d more (--all to show them, --limit N)\n", more)
	}
	return nil
}

func (c *ListCmd) keep(e *gitstore.Experiment) bool {
	if e.Archived && !c.Archived {
		return false
	}
	if len(c.Status) > 0 && !contains(c.Status, e.Status) {
		return false
	}
	for _, t := range c.Tag {
		if !contains(e.Tags, t) {
			return false
		}
	}
	if c.Batch != "" && !strings.HasPrefix(e.Batch, c.Batch) {
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func durationCell(e *gitstore.Experiment) string {
	if e.DurationS == 0 && !gitstore.Finished(e.Status) {
		return ""
	}
	return humanDuration(e.DurationS)
}

func flatKV(raw []byte) string {
	flat := map[string]any{}
	flatten("", decodeTree(raw), flat)
	return compactKV(flat)
}
