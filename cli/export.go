package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/value"
)

// ExportCmd writes experiments with their parameters and results flattened to dotted columns.
type ExportCmd struct {
	Filters
	Sort   []string `sep:"," help:"Sort by these keys; --sort=-KEY sorts descending." placeholder:"KEY"`
	Format string   `default:"csv" enum:"csv,json,jsonl" help:"csv, json or jsonl."`
}

// Run implements git exp export.
func (c *ExportCmd) Run(ctx context.Context, env *Env) (err error) {
	shortReader()
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	defer func() { // as list: what could not be read was said on stderr, and the export is not whole
		if err == nil && st.Damage() != nil {
			err = &exitError{1}
		}
	}()
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
