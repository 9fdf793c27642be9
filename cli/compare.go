package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/value"
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
	return st.DiffSnapshots(ctx, a.Git.Snapshot, b.Git.Snapshot, c.Patch, os.Stdin, env.IO.Out, env.IO.Err)
}

// ExportCmd writes experiments with their parameters and results flattened to dotted columns.
type ExportCmd struct {
	Filters
	Sort   []string `sep:"," help:"Sort by these keys; --sort=-KEY sorts descending." placeholder:"KEY"`
	Format string   `default:"csv" enum:"csv,json,jsonl" help:"csv, json or jsonl."`
}

// Run implements git exp export.
func (c *ExportCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	exps, err := c.selectExps(ctx, env, st)
	if err != nil {
		return err
	}
	sortBy(exps, c.Sort)
	// Every row is garbage once written: collecting it beats holding 100,000 rows' worth (shortReader turned the
	// collector off for reading the store).
	debug.SetGCPercent(100)
	meta := []string{"id", "name", "status", "created", "started", "ended", "duration_s", "exit_code", "tags", "script", "batch", "parent", "user", "host", "git.head", "git.branch", "git.snapshot"}
	// Rows are built and written one at a time (100,000 of them fit in a stream, not in maps held at once).
	metaOf := func(e *gitstore.Experiment) []any { // in the order of meta
		var exit any
		if e.ExitCode != nil {
			exit = *e.ExitCode
		}
		return []any{e.ID, e.Name, e.Status, e.Created, e.Started, e.Ended, e.DurationS, exit, strings.Join(e.Tags, ","),
			e.Script, e.Batch, e.Parent, e.User, e.Host, e.Git.Head, e.Git.Branch, e.Git.Snapshot}
	}
	rowOf := func(e *gitstore.Experiment, p, r map[string]any) map[string]any {
		row := make(map[string]any, len(meta)+len(p)+len(r))
		for i, v := range metaOf(e) {
			row[meta[i]] = v
		}
		for k, v := range p {
			row["params."+k] = v
		}
		for k, v := range r {
			row["results."+k] = v
		}
		return row
	}
	out := bufio.NewWriterSize(env.IO.Out, 256<<10)
	if c.Format == "json" || c.Format == "jsonl" {
		// value.Marshal keeps the types as params.json has them (1.0 stays a float), keys sorted.
		if c.Format == "json" {
			out.WriteString("[")
		}
		for i, e := range exps {
			b, err := value.Marshal(rowOf(e, flat(e.ParamsJSON), flat(e.ResultsJSON)))
			if err != nil {
				return err
			}
			if c.Format == "json" {
				if i > 0 {
					out.WriteString(",")
				}
				out.WriteString("\n  ")
			}
			out.Write(b)
			if c.Format == "jsonl" {
				out.WriteString("\n")
			}
		}
		if c.Format == "json" {
			if len(exps) > 0 {
				out.WriteString("\n")
			}
			out.WriteString("]\n")
		}
		return out.Flush()
	}
	// CSV: the columns are the union of every experiment's keys, so each experiment's flattened values are kept
	// (as short slices) between the two passes.
	type kv struct {
		k string
		v any
	}
	flats := make([][]kv, len(exps))
	keys := map[string]bool{}
	for i, e := range exps {
		for _, part := range []struct {
			prefix string
			raw    []byte
		}{{"params.", e.ParamsJSON}, {"results.", e.ResultsJSON}} {
			for k, v := range flat(part.raw) {
				flats[i] = append(flats[i], kv{part.prefix + k, v})
				keys[part.prefix+k] = true
			}
		}
	}
	extra := make([]string, 0, len(keys))
	for k := range keys {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	cols := append(meta, extra...)
	w := csv.NewWriter(out)
	w.Write(cols)
	col := make(map[string]int, len(extra))
	for j, k := range extra {
		col[k] = len(meta) + j
	}
	rec := make([]string, len(cols))
	for i, e := range exps {
		clear(rec)
		for j, v := range metaOf(e) {
			if v != nil {
				rec[j] = formatValue(v)
			}
		}
		for _, x := range flats[i] {
			if x.v != nil {
				rec[col[x.k]] = formatValue(x.v)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return out.Flush()
}
