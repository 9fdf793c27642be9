package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/git-exp/git-exp/results"
)

// CompareCmd puts experiments side by side: one row each, a column for each parameter that differs and each result.
type CompareCmd struct {
	IDs []string `arg:"" optional:"" help:"Experiment ids, id prefixes or names (or use filters)."`
	Filters
	Sort   []string `sep:"," help:"Sort by these keys; --sort=-KEY sorts descending." placeholder:"KEY"`
	All    bool     `help:"Show every parameter, not only those that differ."`
	JSON   bool     `name:"json" help:"Print a JSON array of {id, name, status, params, results} (params flattened to dotted keys)."`
	Format string   `enum:",csv,tsv,md" default:"" help:"Print as csv, tsv or md."`
}

// Run implements git exp compare.
func (c *CompareCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	exps, err := c.choose(ctx, env, st, c.IDs)
	if err != nil {
		return err
	}
	if len(c.IDs) == 0 || len(c.Sort) > 0 { // ids without --sort keep the order given
		sortBy(exps, c.Sort)
	}
	params := make([]map[string]any, len(exps))
	res := make([]map[string]any, len(exps))
	pkeys, rkeys := map[string]bool{}, map[string]bool{}
	for i, e := range exps {
		params[i], res[i] = flat(e.ParamsJSON), flat(e.ResultsJSON)
		for k := range params[i] {
			pkeys[k] = true
		}
		for k := range res[i] {
			rkeys[k] = true
		}
	}
	var pcols []string
	for k := range pkeys {
		if c.All || results.Differs(params, k) {
			pcols = append(pcols, k)
		}
	}
	sort.Strings(pcols)
	rcols := make([]string, 0, len(rkeys))
	for k := range rkeys {
		rcols = append(rcols, k)
	}
	sort.Strings(rcols)
	if c.JSON {
		type row struct {
			ID      string         `json:"id"`
			Name    string         `json:"name"`
			Status  string         `json:"status"`
			Params  map[string]any `json:"params"`
			Results map[string]any `json:"results"`
		}
		out := make([]row, len(exps))
		for i, e := range exps {
			p := map[string]any{}
			for _, k := range pcols {
				if v, ok := params[i][k]; ok {
					p[k] = v
				}
			}
			out[i] = row{e.ID, e.Name, e.Status, p, res[i]}
		}
		return writeJSON(env.IO.Out, out)
	}
	if len(exps) == 0 {
		fmt.Fprintln(env.IO.Err, "no experiments to compare")
		return nil
	}
	header := []string{"ID", "NAME", "STATUS"}
	for _, k := range pcols {
		header = append(header, k)
	}
	for _, k := range rcols {
		header = append(header, "results."+k)
	}
	human := env.IO.OutTTY && c.Format == ""
	rows := make([][]string, len(exps))
	for i, e := range exps {
		id := e.ID
		if human {
			id = e.ID[:7]
		}
		row := []string{id, e.Name, e.Status}
		for _, k := range pcols {
			row = append(row, tableCell(params[i], k, human))
		}
		for _, k := range rcols {
			row = append(row, tableCell(res[i], k, human))
		}
		rows[i] = row
	}
	format := c.Format
	if format == "" && !env.IO.OutTTY {
		format = "tsv" // its columns depend on the experiments: a pipe gets them named too
	}
	return render(env.IO, format, header, rows)
}
