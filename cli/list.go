package cli

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/results"
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
func (c *ListCmd) Run(ctx context.Context, env *Env) (err error) {
	shortReader()
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	defer func() { // what could not be read was said on stderr (gitstore.Damage); the listing is not whole
		if err == nil && st.Damage() != nil {
			err = &exitError{1}
		}
	}()
	if err := c.compile(ctx, st); err != nil {
		return err
	}
	mergeFetched(ctx, env, st)
	// The listing is read a round at a time (rows), in the order of the cache (newest first, sweeps in grid order),
	// keeping what the filters keep as it is decoded, on every core, while the keys named by --where and --sort are
	// looked for (the warning about a key no experiment has). Sorted, the experiments kept are copied out of the
	// rounds as they are kept (Stream.Select), then sorted (results.Sorter).
	stream, err := env.runner(st).RecordEndsAndStream(ctx)
	if err != nil {
		return err
	}
	watch := newKeyWatch(c.Where, c.Sort)
	keep := c.matcher.Match
	if watch != nil {
		keep = func(e *gitstore.Experiment) bool {
			watch.see(e)
			return c.matcher.Match(e)
		}
	}
	complete := false // the stream went to its end: every experiment was seen
	rows := source(func(fn func([]*gitstore.Experiment) error) (int, error) {
		total, err := stream.Each(keep, fn)
		complete = err == nil
		return total, err
	})
	short := func(e *gitstore.Experiment) string { return e.ShortID } // the cache keeps every one
	// warn warns about the keys of --where and --sort no experiment has, once the listing has seen them all (a
	// listing that stopped early sees the rest first): before a table or a sorted listing, after a streamed one.
	warn := func(total int) error {
		if watch.unseen() && !complete {
			see := func(e *gitstore.Experiment) bool { watch.see(e); return false }
			if _, err := stream.Each(see, func([]*gitstore.Experiment) error { return nil }); err != nil {
				return err
			}
		}
		watch.warn(env, total, func() []*gitstore.Experiment {
			first, _, _ := collect(limited(func(fn func([]*gitstore.Experiment) error) (int, error) {
				return stream.Each(nil, fn)
			}, 1000, new(int), false))
			return first
		})
		watch = nil
		return nil
	}
	limit := c.Limit
	if limit == 0 && env.IO.OutTTY && !c.JSON && !c.All && c.Format == "" {
		limit = 20
	}
	more := 0 // how many matches were left out: counted where it is said, a table, csv or md on a terminal
	if len(c.Sort) > 0 {
		// The matches are copied out of the rounds as they are kept, and their sort keys prepared round by round.
		// A limited listing keeps no match that sorts after the first limit ones so far (Sorter.Admits).
		sorter := results.NewSorter(c.Sort, limit)
		if limit == 0 {
			sorter.Grow(stream.Len()) // room for every experiment: only the pages of what matches are touched
		}
		var matched atomic.Int64
		admit := func(e *gitstore.Experiment) bool {
			if !keep(e) {
				return false
			}
			matched.Add(1)
			return sorter.Admits(e)
		}
		total, err := stream.Select(admit, func(exps []*gitstore.Experiment) error { sorter.Add(exps); return nil })
		if err != nil {
			return err
		}
		complete = true
		gitstore.Tracef("phase read and select %d of %d experiments (%s since start)", matched.Load(), total, sinceStart())
		if err := warn(total); err != nil {
			return err
		}
		exps := sorter.Sorted() // in parallel
		gitstore.Tracef("phase sort %d (%s since start)", len(exps), sinceStart())
		more = int(matched.Load()) - len(exps)
		rows = sliceSource(exps, total)
	}
	human := env.IO.OutTTY && c.Format == ""
	tsv := !human && (c.Format == "" || c.Format == "tsv")
	if limit > 0 {
		rows = limited(rows, limit, &more, env.IO.OutTTY && !c.JSON && !tsv)
	}
	if c.JSON {
		total, err := writeJSONList(env, st, rows, short, len(c.Sort) > 0)
		if err != nil {
			return err
		}
		return warn(total)
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
	if tsv {
		// Tab-separated lines need no widths: written a round at a time, never every row at once.
		if len(cols) == 0 {
			cols = defaultColumns
		}
		head := ""
		if c.Format == "tsv" {
			head = strings.Join(upperAll(cols), "\t") + "\n"
		}
		n, total, err := writeTSV(env, st, rows, cols, short, head, len(c.Sort) > 0)
		if err != nil {
			return err
		}
		if err := warn(total); err != nil {
			return err
		}
		if n == 0 {
			noRows(env, st, total)
		}
		return nil
	}
	exps, total, err := collect(rows)
	if err != nil {
		return err
	}
	if err := warn(total); err != nil {
		return err
	}
	if len(exps) == 0 {
		noRows(env, st, total)
		return nil
	}
	if !human { // machine output prints every value whole; a terminal shows the cut ones cut ("…")
		if exps, err = whole(st, exps); err != nil {
			return err
		}
	}
	var header []string
	constants := ""
	if len(cols) == 0 && human {
		cols, header, constants = terminalColumns(exps)
	}
	if len(cols) == 0 {
		cols = defaultColumns
	}
	if header == nil {
		header = upperAll(cols)
	}
	var table [][]string
	eachRows(env.IO, exps, cols, short, human, func(r [][]string) error { table = append(table, r...); return nil })
	if constants != "" || len(c.Columns) == 0 && human {
		// The terminal default drops its least telling columns before the table cuts the others (a result above all).
		header, table = dropToFit(env.IO.Width, header, table, "TAGS", "DURATION", "CREATED")
	}
	if err := render(env.IO, c.Format, header, table); err != nil {
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

// defaultColumns are the columns of a listing on a pipe, and of a table when none are given there.
var defaultColumns = []string{"id", "name", "status", "created", "duration", "tags", "params", "results"}

func upperAll(cols []string) []string {
	h := make([]string, len(cols))
	for i, col := range cols {
		h[i] = strings.ToUpper(col)
	}
	return h
}

// noRows says on a terminal why a listing printed no row: there is no experiment at all (total is how many there
// are), or none matches.
func noRows(env *Env, st *gitstore.Store, total int) {
	if !env.IO.OutTTY {
		return
	}
	if total > 0 {
		fmt.Fprintln(env.IO.Err, "no experiments match")
	} else if hint := unfetchedHint(st); hint != "" {
		fmt.Fprintln(env.IO.Err, hint)
	} else {
		fmt.Fprintln(env.IO.Err, "no experiments yet: record one with git exp run SCRIPT")
	}
}

// source hands fn the experiments of a listing in order, a round at a time (each valid until fn returns: fn copies
// what it keeps), and returns how many experiments the store has (listed or not); an error of fn stops it.
type source func(fn func([]*gitstore.Experiment) error) (int, error)

// sliceSource is exps as a source; total is how many experiments the store has.
func sliceSource(exps []*gitstore.Experiment, total int) source {
	return func(fn func([]*gitstore.Experiment) error) (int, error) {
		const round = 4096
		for lo := 0; lo < len(exps); lo += round {
			if err := fn(exps[lo:min(lo+round, len(exps))]); err != nil {
				return total, err
			}
		}
		return total, nil
	}
}

// errEnough stops a source once a limited listing has its rows.
var errEnough = errors.New("enough rows")

// limited is the first limit experiments of src; with count, the others are counted into *more (a terminal says
// how many it left out), else src is stopped once it has them.
func limited(src source, limit int, more *int, count bool) source {
	return func(fn func([]*gitstore.Experiment) error) (int, error) {
		n := 0
		total, err := src(func(exps []*gitstore.Experiment) error {
			k := min(len(exps), limit-n)
			n += k
			*more += len(exps) - k
			if k > 0 {
				if err := fn(exps[:k]); err != nil {
					return err
				}
			}
			if n == limit && !count {
				return errEnough
			}
			return nil
		})
		if err == errEnough {
			err = nil
		}
		return total, err
	}
}

// collect copies the experiments of src into a list of their own.
func collect(src source) ([]*gitstore.Experiment, int, error) {
	var out []*gitstore.Experiment
	total, err := src(func(exps []*gitstore.Experiment) error {
		copies := make([]gitstore.Experiment, len(exps))
		for i, e := range exps {
			copies[i] = *e
			out = append(out, &copies[i])
		}
		return nil
	})
	return out, total, err
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
		return e.ParamsKV()
	case "results":
		if human {
			return humanKV(e.ResultsJSON)
		}
		return e.ResultsKV()
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

// dropToFit removes the columns named in drop (in that order) while the table is wider than width.
func dropToFit(width int, header []string, rows [][]string, drop ...string) ([]string, [][]string) {
	fits := func() bool {
		total := 0
		for _, w := range columnWidths(header, rows) {
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

// writeJSONList prints the documented objects of the experiments of rows as a JSON array. The cache keeps no
// rendering: the objects of the rows printed are encoded here, a chunk per core at a time, and written in order
// (writeChunks). An experiment whose values the cache cut (gitstore.CapValue) is read whole from the store first.
// Scattered says the experiments of rows are far apart in memory (sorted: touch). It returns rows' total.
func writeJSONList(env *Env, st *gitstore.Store, rows source, short func(*gitstore.Experiment) string, scattered bool) (int, error) {
	w := bufio.NewWriterSize(env.IO.Out, 256<<10)
	w.WriteString("[")
	n, total, err := writeChunks(w, rows, func(buf []byte, exps []*gitstore.Experiment, first int) ([]byte, error) {
		if scattered {
			touch(exps)
		}
		var dw gitstore.DocWriter
		for i, x := range exps {
			e, err := st.Full(x)
			if err != nil {
				return buf, err
			}
			if first+i > 0 {
				buf = append(buf, ',')
			}
			buf = appendDocJSON(append(buf, '\n'), e, short(x), &dw)
		}
		return buf, nil
	})
	if err != nil {
		return total, err
	}
	if n > 0 {
		w.WriteString("\n")
	}
	w.WriteString("]\n")
	return total, w.Flush()
}

// writeChunks writes the output of the experiments of rows rendered by render (exps appended to buf; first is the
// position of exps[0] in the listing) to w in order: a chunk of them per core at a time, and while one round of
// chunks is written (to a pipe, waiting for its reader) the next is rendered. The buffers of two rounds are reused
// throughout: a listing of 1,000,000 holds no more (and their growth, which the collector, off for readers, does not
// take back: chunks of 512 items keep the two rounds' buffers at the size of the one round of 1,024 there was before
// the rounds overlapped). It returns how many experiments were rendered, and rows' total.
func writeChunks(w io.Writer, rows source, render func(buf []byte, exps []*gitstore.Experiment, first int) ([]byte, error)) (int, int, error) {
	const chunk = 512
	workers := max(1, min(runtime.GOMAXPROCS(0), 8))
	var sets [2][][]byte
	for i := range sets {
		sets[i] = make([][]byte, workers)
	}
	free := make(chan int, len(sets)) // sets not being written
	for i := range sets {
		free <- i
	}
	full := make(chan int, len(sets)) // sets rendered, in order
	writeErr := make(chan error, 1)
	var failed atomic.Bool // writing failed: no use rendering more
	go func() {
		var err error
		for i := range full {
			for _, b := range sets[i] {
				if err == nil && len(b) > 0 {
					_, err = w.Write(b)
				}
			}
			failed.Store(err != nil)
			free <- i
		}
		writeErr <- err
	}()
	errs := make([]error, workers)
	n := 0
	total, err := rows(func(exps []*gitstore.Experiment) error {
		for lo := 0; lo < len(exps); lo += chunk * workers {
			if failed.Load() {
				return errEnough // the writer's error is returned
			}
			si := <-free
			set := sets[si]
			var wg sync.WaitGroup
			for k := range workers {
				a, b := min(lo+k*chunk, len(exps)), min(lo+(k+1)*chunk, len(exps))
				if a == b {
					set[k] = set[k][:0]
					continue
				}
				wg.Go(func() { set[k], errs[k] = render(set[k][:0], exps[a:b], n+a) })
			}
			wg.Wait()
			for k := range workers {
				if errs[k] != nil {
					free <- si
					return errs[k]
				}
			}
			full <- si
		}
		n += len(exps)
		return nil
	})
	close(full)
	if werr := <-writeErr; werr != nil {
		err = werr
	} else if err == errEnough {
		err = nil
	}
	return n, total, err
}

// eachRows renders the rows of exps (columns cols) a chunk at a time, the rows of a chunk on every core, and hands
// each chunk to emit in order.
func eachRows(io *IO, exps []*gitstore.Experiment, cols []string, short func(*gitstore.Experiment) string, human bool, emit func([][]string) error) error {
	const chunk = 1024
	workers := max(1, min(runtime.GOMAXPROCS(0), 8, (len(exps)+chunk-1)/chunk))
	parts := make([][][]string, workers)
	for lo := 0; lo < len(exps); lo += chunk * workers {
		var wg sync.WaitGroup
		for k := range workers {
			a, b := min(lo+k*chunk, len(exps)), min(lo+(k+1)*chunk, len(exps))
			wg.Go(func() {
				rows := make([][]string, 0, b-a)
				for _, e := range exps[a:b] {
					row := make([]string, len(cols))
					var rec *query.Record
					for i, col := range cols {
						row[i] = column(io, e, col, short, human, &rec)
					}
					rows = append(rows, row)
				}
				parts[k] = rows
			})
		}
		wg.Wait()
		for k := range workers {
			if err := emit(parts[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeTSV prints the experiments of rows as tab-separated lines (as table does on a pipe), head (the header line
// of --format tsv, or "") first when there is a line, a chunk per core at a time (writeChunks), each line appended
// to the chunk's buffer: the common columns allocate nothing, so a listing of 1,000,000 holds no garbage (the
// collector is off for readers, see shortReader). An experiment whose values the cache cut (gitstore.CapValue) is
// read whole from the store first; scattered is writeJSONList's. It returns how many lines it wrote, and rows' total.
func writeTSV(env *Env, st *gitstore.Store, rows source, cols []string, short func(*gitstore.Experiment) string, head string, scattered bool) (int, int, error) {
	kinds := make([]cellKind, len(cols))
	for i, col := range cols {
		kinds[i] = cellKindOf(col)
	}
	w := bufio.NewWriterSize(env.IO.Out, 256<<10)
	n, total, err := writeChunks(w, rows, func(buf []byte, exps []*gitstore.Experiment, first int) ([]byte, error) {
		if first == 0 {
			buf = append(buf, head...)
		}
		if scattered {
			touch(exps)
		}
		var seps []int // where the tabs between the cells of a line are, for blankTabs
		for _, e := range exps {
			e, err := st.Full(e)
			if err != nil {
				return buf, err
			}
			var rec *query.Record
			line := len(buf)
			seps = seps[:0]
			for i, col := range cols {
				if i > 0 {
					seps = append(seps, len(buf)-line)
					buf = append(buf, '\t')
				}
				buf = appendCell(env.IO, buf, e, col, kinds[i], short, &rec)
			}
			blankTabs(buf[line:], seps)
			buf = append(buf, '\n')
		}
		return buf, nil
	})
	if err != nil {
		return n, total, err
	}
	return n, total, w.Flush()
}

// touchSink keeps touch's reads from being optimised away.
var touchSink atomic.Int64

// touch reads a byte of each of the parts of exps that a line of a listing shows, before the lines are written:
// sorted, the experiments are far apart in memory, and reads of many of them issued together wait for memory
// together, where writing line after line waits for each in turn.
func touch(exps []*gitstore.Experiment) {
	n := 0
	for _, e := range exps {
		n += int(e.ID[len(e.ID)-1]) + len(e.Name) + len(e.Created) + len(e.ParamsJSON) + len(e.ResultsJSON)
		if e.Capped {
			n++
		}
	}
	for _, e := range exps {
		if len(e.Name) > 0 {
			n += int(e.Name[0])
		}
		if len(e.ParamsJSON) > 0 {
			n += int(e.ParamsJSON[0]) + int(e.ParamsJSON[len(e.ParamsJSON)-1])
		}
		if len(e.ResultsJSON) > 0 {
			n += int(e.ResultsJSON[0]) + int(e.ResultsJSON[len(e.ResultsJSON)-1])
		}
	}
	touchSink.Add(int64(n))
}

// cellKind is a column of appendCell, told once per listing rather than by its name in every row.
type cellKind uint8

const (
	cellOther cellKind = iota
	cellID
	cellName
	cellStatus
	cellCreated
	cellDuration
	cellTags
	cellParams
	cellResults
)

func cellKindOf(col string) cellKind {
	switch col {
	case "id":
		return cellID
	case "name":
		return cellName
	case "status":
		return cellStatus
	case "created":
		return cellCreated
	case "duration":
		return cellDuration
	case "tags":
		return cellTags
	case "params":
		return cellParams
	case "results":
		return cellResults
	}
	return cellOther
}

// appendCell appends column col's cell of e as a pipe shows it (column with human false); kind is cellKindOf(col).
func appendCell(io *IO, b []byte, e *gitstore.Experiment, col string, kind cellKind, short func(*gitstore.Experiment) string, rec **query.Record) []byte {
	switch kind {
	case cellID:
		return append(b, e.ID...)
	case cellName:
		return append(b, e.Name...)
	case cellStatus:
		return append(b, e.Status...)
	case cellCreated:
		return append(b, e.Created...)
	case cellDuration:
		return appendSeconds(b, e.DurationS)
	case cellTags:
		for i, t := range e.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, t...)
		}
		return b
	case cellParams:
		return e.AppendParamsKV(b)
	case cellResults:
		return e.AppendResultsKV(b)
	}
	return append(b, column(io, e, col, short, false, rec)...)
}

// blankTabs turns the tabs and newlines of a line into spaces (as tsvCell does to each cell), but for the tabs at
// seps (the ones between cells). Cells rarely hold one: the line's bytes below 0x0b ('\t' is 0x09, '\n' 0x0a) are
// counted 8 bytes at a time first, and when they are the separators only, nothing is to change.
func blankTabs(line []byte, seps []int) {
	const lo, low7 = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	low := 0
	j := 0
	for j+8 <= len(line) {
		var lanes uint64 // bytes below 0x0b seen in each byte lane, 31 words at a time: their sum fits a byte
		for end := min(len(line)&^7, j+8*31); j < end; j += 8 {
			x := binary.LittleEndian.Uint64(line[j:])
			// per byte b: (b&0x7f)+0x75 has its high bit set when b&0x7f >= 0x0b, and carries into no other byte
			lanes += (^(x&low7 + 0x75*lo) &^ x) >> 7 & lo
		}
		low += int(lanes * lo >> 56) // the sum of the lanes
	}
	for _, c := range line[j:] {
		if c < 0x0b {
			low++
		}
	}
	if low != len(seps) {
		blankTabsSlow(line, seps)
	}
}

func blankTabsSlow(line []byte, seps []int) {
	for j := range line {
		if c := line[j]; c == '\n' || c == '\t' && !slices.Contains(seps, j) {
			line[j] = ' '
		}
	}
}

// appendSeconds appends d with 3 decimals as strconv.AppendFloat(b, d, 'f', 3, 64) does, without its general
// algorithm when d*1000 is clearly nearest one integer: |fl(1000d) - 1000d| is below 2^-13 up to 1e9, so when the
// product is within 1/4 of an integer that integer is 1000d correctly rounded (no tie to break).
func appendSeconds(b []byte, d float64) []byte {
	if d > 0 && d < 1e9 {
		m := d * 1000
		r := math.Round(m)
		if m-r > -0.25 && m-r < 0.25 {
			n := int64(r)
			f := n % 1000
			b = strconv.AppendInt(b, n/1000, 10)
			return append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
		}
	}
	return strconv.AppendFloat(b, d, 'f', 3, 64)
}
