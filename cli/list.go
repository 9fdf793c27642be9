package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/value"
)

// ListCmd lists experiments.
type ListCmd struct {
	Filters
	Sort    []string `sep:"," help:"Sort by these keys (params, results or metadata); --sort=-KEY sorts descending." placeholder:"KEY"`
	Limit   int      `short:"n" name:"max-count" aliases:"limit" placeholder:"N" help:"Show at most N experiments (as git log -n/--max-count; --limit too)."`
	All     bool     `short:"a" help:"Show all of them (a terminal shows the newest 20 by default)."`
	Columns []string `sep:"," help:"Columns to show: id,name,status,created,duration,tags,params,results or any key (lr, results.acc, meta.host)." placeholder:"COL"`
	JSON    bool     `name:"json" help:"Print a JSON array (fields: see README)."`
	Format  string   `enum:",csv,tsv,md" default:"" help:"Print as csv, tsv or md (Markdown) instead of a table."`
}

// Run implements git exp list.
func (c *ListCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := c.compile(ctx, st); err != nil {
		return err
	}
	mergeFetched(ctx, env, st)
	all, err := env.runner(st).RecordEndsAndList(ctx)
	if err != nil {
		return err
	}
	gitstore.Tracef("phase read %d experiments (%s since start)", len(all), sinceStart())
	warnUnknownKeys(env, all, c.Where, c.Sort)
	short := shortIDs(all)
	exps := c.matcher.SelectSorted(all, c.Sort) // in parallel, each experiment decoded once for both
	gitstore.Tracef("phase select and sort %d (%s since start)", len(exps), sinceStart())
	if len(c.Sort) == 0 {
		gitstore.SortNewest(exps)
		gridOrder(exps)
	}
	limit := c.Limit
	if limit == 0 && env.IO.OutTTY && !c.JSON && !c.All && c.Format == "" {
		limit = 20
	}
	more := 0
	if limit > 0 && len(exps) > limit {
		more = len(exps) - limit
		exps = exps[:limit]
	}
	if c.JSON {
		// The documents are precomputed in the cache: this writes them, it encodes nothing.
		w := bufio.NewWriterSize(env.IO.Out, 256<<10)
		w.WriteString("[")
		for i, e := range exps {
			if i > 0 {
				w.WriteString(",")
			}
			w.WriteString("\n{\"short_id\":\"")
			w.WriteString(short(e))
			w.WriteString("\",")
			w.Write(e.Doc[1:])
		}
		if len(exps) > 0 {
			w.WriteString("\n")
		}
		w.WriteString("]\n")
		return w.Flush()
	}
	if len(exps) == 0 {
		if env.IO.OutTTY {
			if len(all) == 0 {
				if hint := unfetchedHint(st); hint != "" {
					fmt.Fprintln(env.IO.Err, hint)
				} else {
					fmt.Fprintln(env.IO.Err, "no experiments yet: record one with git exp run SCRIPT")
				}
			} else {
				fmt.Fprintln(env.IO.Err, "no experiments match")
			}
		}
		return nil
	}
	cols := c.Columns
	if len(cols) == 0 {
		if cfg := strings.TrimSpace(st.ConfigString("exp.list.columns", "")); cfg != "" {
			for _, col := range strings.Split(cfg, ",") {
				if col = strings.TrimSpace(col); col != "" {
					cols = append(cols, col)
				}
			}
		}
	}
	human := env.IO.OutTTY && c.Format == ""
	var header []string
	constants := ""
	if len(cols) == 0 && human {
		cols, header, constants = terminalColumns(exps)
	}
	if len(cols) == 0 {
		cols = []string{"id", "name", "status", "created", "duration", "tags", "params", "results"}
	}
	if header == nil {
		header = make([]string, len(cols))
		for i, col := range cols {
			header[i] = strings.ToUpper(col)
		}
	}
	rows := make([][]string, 0, len(exps))
	for _, e := range exps {
		row := make([]string, len(cols))
		var rec *query.Record
		for i, col := range cols {
			row[i] = column(env.IO, e, col, short, human, &rec)
		}
		rows = append(rows, row)
	}
	if constants != "" || len(c.Columns) == 0 && human {
		// The terminal default drops its least telling columns before the table cuts the others (a result above all).
		header, rows = dropToFit(env.IO.Width, header, rows, "TAGS", "DURATION", "CREATED")
	}
	if err := render(env.IO, c.Format, header, rows); err != nil {
		return err
	}
	if constants != "" {
		env.IO.Warnf("same in every row: %s", constants) // escaped on a terminal, like every message
	}
	if more > 0 && env.IO.OutTTY {
		fmt.Fprintf(env.IO.Err, "... and %d more (--all to show them, -n N for N)\n", more)
	}
	return nil
}

// column renders one cell of a listing.
func column(io *IO, e *gitstore.Experiment, col string, short func(*gitstore.Experiment) string, human bool, rec **query.Record) string {
	switch col {
	case "id":
		if human {
			return short(e)
		}
		return e.ID
	case "name":
		return e.Name
	case "status":
		return e.Status // coloured by table()
	case "created":
		if human {
			return relTime(e.Created)
		}
		return e.Created
	case "duration":
		if human {
			return durationCell(e)
		}
		return strconv.FormatFloat(e.DurationS, 'f', 3, 64)
	case "tags":
		return strings.Join(e.Tags, ",")
	case "params":
		if human {
			return humanKV(e.ParamsJSON)
		}
		return e.ParamsKV
	case "results":
		if human {
			return humanKV(e.ResultsJSON)
		}
		return e.ResultsKV
	}
	if *rec == nil {
		r := record(e)
		*rec = &r
	}
	if v, ok := query.Lookup(**rec, col); ok {
		return tableValue(v, human)
	}
	return ""
}

// render prints rows as a table/TSV (by terminal), or csv, tsv or md.
func render(io *IO, format string, header []string, rows [][]string) error {
	switch format {
	case "csv":
		w := csv.NewWriter(io.Out)
		w.Write(header)
		w.WriteAll(rows)
		return w.Error()
	case "tsv":
		plain := *io
		plain.OutTTY = false
		fmt.Fprintln(io.Out, strings.Join(header, "\t"))
		return table(&plain, header, rows)
	case "md":
		esc := strings.NewReplacer("|", "\\|", "\n", " ")
		fmt.Fprintf(io.Out, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
		for _, r := range rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = esc.Replace(c)
			}
			fmt.Fprintf(io.Out, "| %s |\n", strings.Join(cells, " | "))
		}
		return nil
	}
	return table(io, header, rows)
}

func durationCell(e *gitstore.Experiment) string {
	if e.DurationS == 0 && !gitstore.Finished(e.Status) {
		return ""
	}
	return humanDuration(e.DurationS)
}

// terminalColumns is the default listing on a terminal: what tells the experiments apart comes first — name, status,
// each result, then the parameters that vary among the rows — then created, duration and tags. Parameters with the
// same value in every row are not columns (they would take the room the results need): they are returned as
// "k=v k=v" for one line under the table.
func terminalColumns(exps []*gitstore.Experiment) (cols, header []string, constants string) {
	params := make([]map[string]any, len(exps))
	resultKeys := map[string]bool{}
	for i, e := range exps {
		params[i] = flat(e.ParamsJSON)
		for k := range flat(e.ResultsJSON) {
			resultKeys[k] = true
		}
	}
	var varying []string
	same := map[string]any{}
	paramKeys := map[string]bool{}
	for _, p := range params {
		for k := range p {
			paramKeys[k] = true
		}
	}
	for _, k := range sortedKeys(paramKeys) {
		first, ok := params[0][k]
		vary := !ok || len(exps) < 2
		for _, p := range params[1:] {
			if v, ok := p[k]; !ok || formatValue(v) != formatValue(first) {
				vary = true
				break
			}
		}
		if vary {
			varying = append(varying, k)
		} else {
			same[k] = first
		}
	}
	cols = []string{"id", "name", "status"}
	header = []string{"ID", "NAME", "STATUS"}
	for _, k := range sortedKeys(resultKeys) {
		cols = append(cols, "results."+k)
		h := k
		if _, clash := params[0][k]; clash || metaName(k) {
			h = "results." + k
		}
		header = append(header, h)
	}
	for _, k := range varying {
		cols = append(cols, "params."+k)
		header = append(header, k)
	}
	cols = append(cols, "created", "duration", "tags")
	header = append(header, "CREATED", "DURATION", "TAGS")
	if len(same) > 0 {
		constants = value.CompactKVWith(same, func(v any) string { return tableValue(v, true) })
	}
	return cols, header, constants
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// metaName reports whether a results key would read as one of the listing's own columns.
func metaName(k string) bool {
	switch strings.ToLower(k) {
	case "id", "name", "status", "created", "duration", "tags":
		return true
	}
	return false
}

// gridOrder puts the members of each batch that were recorded together (a sweep: same batch, same creation time,
// next to each other in a newest-first list) in the order of their grid, as they were staged and run.
func gridOrder(exps []*gitstore.Experiment) {
	for i := 0; i < len(exps); {
		j := i + 1
		for j < len(exps) && exps[i].Batch != "" && exps[j].Batch == exps[i].Batch && exps[j].Created == exps[i].Created {
			j++
		}
		if j-i > 1 {
			sort.SliceStable(exps[i:j], func(a, b int) bool { return exps[i+a].Seq < exps[i+b].Seq })
		}
		i = j
	}
}

// dropToFit removes the columns named in drop (in that order) while the table is wider than width.
func dropToFit(width int, header []string, rows [][]string, drop ...string) ([]string, [][]string) {
	fits := func() bool {
		total := 0
		for i, h := range header {
			w := twwidth.Width(h)
			for _, r := range rows {
				w = max(w, twwidth.Width(r[i]))
			}
			total += w + 2
		}
		return total <= width
	}
	for _, name := range drop {
		if fits() {
			break
		}
		i := slices.Index(header, name)
		if i < 0 {
			continue
		}
		header = slices.Delete(slices.Clone(header), i, i+1)
		for k, r := range rows {
			rows[k] = slices.Delete(r, i, i+1)
		}
	}
	return header, rows
}
