package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/internal/gitcmd"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/value"
)

// safe returns v with the numbers JSON cannot hold (NaN, ±Inf) as the strings "NaN", "Infinity", "-Infinity", so
// the API's answers are strict JSON that every browser parses.
func safe(v any) any {
	switch x := v.(type) {
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
	case float32:
		return safe(float64(x))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = safe(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = safe(e)
		}
		return out
	}
	return v
}

// flatSafe decodes stored params or results into dotted keys, strict-JSON safe.
func flatSafe(raw []byte) map[string]any {
	m := value.Flatten(results.DecodeJSON(raw))
	for k, v := range m {
		m[k] = safe(v)
	}
	return m
}

func (s *Server) apiConfig(w http.ResponseWriter, r *http.Request) error {
	root := s.st.Root
	filters := s.opts.Filters
	if filters == nil {
		filters = map[string][]string{}
	}
	writeJSON(w, map[string]any{"read_only": s.opts.ReadOnly, "repository": root, "filters": filters, "version": s.opts.Version})
	return nil
}

// filterOf reads the filters of a request: where (repeatable), status, tag (repeatable), name, script, batch, since,
// until, archived — the command line's FILTERS.
func (s *Server) filterOf(ctx context.Context, q map[string][]string) (results.Filter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	f := results.Filter{Name: get("name"), Script: get("script"), Batch: get("batch")}
	for _, w := range q["where"] {
		if strings.TrimSpace(w) != "" {
			f.Where = append(f.Where, w)
		}
	}
	for _, st := range q["status"] {
		for _, x := range strings.Split(st, ",") {
			if x = strings.TrimSpace(x); x != "" {
				f.Status = append(f.Status, x)
			}
		}
	}
	for _, t := range q["tag"] {
		if t != "" {
			f.Tags = append(f.Tags, t)
		}
	}
	switch a := get("archived"); a {
	case "", "0", "false":
	case "1", "true":
		f.Archived = true
	default:
		return f, errf(http.StatusBadRequest, "archived=%q: use archived=1 or archived=0", a)
	}
	var err error
	if f.Since, err = s.st.ParseDate(ctx, get("since")); err != nil {
		return f, errf(http.StatusBadRequest, "since: %v", err)
	}
	if f.Until, err = s.st.ParseDate(ctx, get("until")); err != nil {
		return f, errf(http.StatusBadRequest, "until: %v", err)
	}
	if _, err := f.Compile(); err != nil {
		return f, filterError(err)
	}
	return f, nil
}

// filterError turns a filter that cannot be used into a 400 whose JSON says where: for --where, the expression's
// index, its column and the expression, so a page can put a caret under the place.
func filterError(err error) error {
	var fe *results.FilterError
	if !errors.As(err, &fe) {
		return errf(http.StatusBadRequest, "%v", err)
	}
	ae := errf(http.StatusBadRequest, "%s: %v", fe.Field, fe.Err)
	var qe *query.Error
	if errors.As(fe.Err, &qe) {
		ae.msg = "where: " + qe.ShortError()
		ae.extra = map[string]any{"field": "where", "expr": fe.Value, "column": qe.Column(), "message": qe.Message}
	} else {
		ae.extra = map[string]any{"field": fe.Field}
	}
	return ae
}

// selection is the experiments one listing request selects, sorted, at one tip of the store; kept so that paging
// through them (and the live table's refreshes) costs no new selection.
type selection struct {
	key  string
	exps []*gitstore.Experiment
	cols *columnSet // shared by the selections that differ only in their sort
}

// columnSet is the parameter keys (all, and those whose value varies) and result keys of a set of experiments.
type columnSet struct {
	key                  string
	filter               string // the filter part of key (without the tip)
	once                 sync.Once
	done                 atomic.Bool
	varying, all, result []string
}

// valueKey is a value as a comparable string: numbers, strings and booleans without decoding more, the rest as git
// exp prints it.
func valueKey(v any) string {
	switch x := v.(type) {
	case string:
		return "s" + x
	case int:
		return "i" + strconv.Itoa(x)
	case float64:
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "b" + strconv.FormatBool(x)
	case nil:
		return "n"
	}
	return "j" + value.Cell(v)
}

// view is b as a string without copying it: for the store's records, whose bytes never change (results.DB.Select).
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// unview is the bytes of a string made by view, to be read only.
func unview(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// compute finds the columns of exps in one pass: experiments with byte-identical params (a sweep's repeats, or a
// store of few configurations) share one decoding, weighted by how many they are.
func (c *columnSet) compute(exps []*gitstore.Experiment) {
	c.once.Do(func() {
		type keyState struct {
			first  string
			have   int
			varies bool
		}
		n := len(exps)
		workers := max(1, min(runtime.GOMAXPROCS(0), n/4096))
		chunk := (n + workers - 1) / workers
		var mu sync.Mutex
		params := map[string]*keyState{}
		rkeys := map[string]bool{}
		var wg sync.WaitGroup
		for lo := 0; lo < n; lo += chunk {
			part := exps[lo:min(lo+chunk, n)]
			wg.Go(func() {
				// Keyed by the records' own bytes (view): copies of every experiment's params and results would
				// be the largest thing the server holds while it computes the columns.
				pcount := map[string]int{}
				rseen := map[string]bool{}
				for _, e := range part {
					pcount[view(e.ParamsJSON)]++
					rseen[view(e.ResultsJSON)] = true
				}
				local := map[string]*keyState{}
				for raw, count := range pcount {
					for k, v := range value.Flatten(results.DecodeJSON(unview(raw))) {
						vk := valueKey(v)
						if st := local[k]; st == nil {
							local[k] = &keyState{first: vk, have: count}
						} else {
							st.have += count
							st.varies = st.varies || st.first != vk
						}
					}
				}
				lres := map[string]bool{}
				for raw := range rseen {
					for k := range value.Flatten(results.DecodeJSON(unview(raw))) {
						lres[k] = true
					}
				}
				mu.Lock()
				defer mu.Unlock()
				for k, st := range local {
					if g := params[k]; g == nil {
						params[k] = st
					} else {
						g.have += st.have
						g.varies = g.varies || st.varies || g.first != st.first
					}
				}
				for k := range lres {
					rkeys[k] = true
				}
			})
		}
		wg.Wait()
		for k, st := range params {
			c.all = append(c.all, k)
			// A key that some experiments lack varies too; with one experiment, every key is shown.
			if st.varies || st.have < n || n < 2 {
				c.varying = append(c.varying, k)
			}
		}
		for k := range rkeys {
			c.result = append(c.result, k)
		}
		slices.Sort(c.all)
		slices.Sort(c.varying)
		slices.Sort(c.result)
		c.done.Store(true)
	})
}

// columns returns the columns of the selection. After the store moved, computing them anew means decoding every
// selected experiment's parameters (seconds for 100,000): rather than keep the page waiting, the columns of the same
// filter at the previous tip are returned (pending is then true) while the new ones are computed.
func (s *Server) columns(sel *selection) (varying, all, result []string, pending bool) {
	c := sel.cols
	if !c.done.Load() {
		s.mu.Lock()
		prev := s.lastCols[c.filter]
		s.mu.Unlock()
		if prev != nil && prev != c && prev.done.Load() {
			go func() {
				c.compute(sel.exps)
				s.mu.Lock()
				s.lastCols[c.filter] = c
				s.mu.Unlock()
			}()
			return prev.varying, prev.all, prev.result, true
		}
	}
	c.compute(sel.exps)
	s.mu.Lock()
	s.lastCols[c.filter] = c
	s.mu.Unlock()
	return c.varying, c.all, c.result, false
}

// selectFor returns the (cached) selection of a filter, sort and id list at the store's current tip.
func (s *Server) selectFor(ctx context.Context, f results.Filter, sortKeys, ids []string, filterKey string) (*selection, error) {
	tip, err := s.st.Tip()
	if err != nil {
		return nil, err
	}
	colKey := tip + "\x00" + filterKey + "\x00" + strings.Join(ids, ",")
	key := colKey + "\x00" + strings.Join(sortKeys, ",")
	s.mu.Lock()
	for i, sel := range s.sels {
		if sel.key == key {
			s.sels = append([]*selection{sel}, slices.Delete(s.sels, i, i+1)...)
			s.mu.Unlock()
			return sel, nil
		}
	}
	s.mu.Unlock()
	var exps []*gitstore.Experiment
	if len(ids) > 0 {
		all, err := s.db.Select(ctx, results.Filter{Archived: true}, nil)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			e, err := gitstore.Resolve(all, id)
			if err != nil {
				return nil, errf(http.StatusNotFound, "%v", err)
			}
			exps = append(exps, e)
		}
		if len(sortKeys) > 0 {
			exps = slices.Clone(exps)
			results.SortExperiments(exps, sortKeys)
		}
	} else {
		exps, err = s.db.Select(ctx, f, sortKeys)
		if err != nil {
			if errors.Is(err, results.ErrBadSortKey) {
				return nil, errf(http.StatusBadRequest, "sort: %v", err)
			}
			var fe *results.FilterError
			if errors.As(err, &fe) {
				return nil, filterError(err)
			}
			return nil, err
		}
	}
	sel := &selection{key: key, exps: exps}
	s.mu.Lock()
	for _, o := range s.sels {
		if o.cols.key == colKey && len(ids) == 0 { // the same experiments in another order: the same columns
			sel.cols = o.cols
			break
		}
	}
	if sel.cols == nil {
		sel.cols = &columnSet{key: colKey, filter: filterKey + "\x00" + strings.Join(ids, ",")}
	}
	s.sels = append([]*selection{sel}, s.sels...)
	if len(s.sels) > 4 {
		s.sels = s.sels[:4]
	}
	s.mu.Unlock()
	return sel, nil
}

// intParam reads a non-negative integer query parameter.
func intParam(r *http.Request, name string, def, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errf(http.StatusBadRequest, "%s=%q: give a whole number ≥ 0", name, v)
	}
	if max > 0 && n > max {
		n = max
	}
	return n, nil
}

// row is one experiment of a listing.
type row struct {
	ID          string         `json:"id"`
	ShortID     string         `json:"short_id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Status      string         `json:"status"`
	Created     string         `json:"created"`
	Started     string         `json:"started"`
	Ended       string         `json:"ended"`
	DurationS   float64        `json:"duration_s"`
	ExitCode    *int           `json:"exit_code"`
	Tags        []string       `json:"tags"`
	Archived    bool           `json:"archived"`
	Batch       string         `json:"batch"`
	Parent      string         `json:"parent"`
	Script      string         `json:"script"`
	Params      map[string]any `json:"params"`
	Results     map[string]any `json:"results"`
}

func rowOf(e *gitstore.Experiment, short string) row {
	tags := e.Tags
	if tags == nil {
		tags = []string{}
	}
	return row{ID: e.ID, ShortID: short, Name: e.Name, Description: e.Description, Status: e.Status,
		Created: e.Created, Started: e.Started, Ended: e.Ended, DurationS: e.DurationS, ExitCode: e.ExitCode,
		Tags: tags, Archived: e.Archived, Batch: e.Batch, Parent: e.Parent, Script: e.Script,
		Params: flatSafe(e.ParamsJSON), Results: flatSafe(e.ResultsJSON)}
}

func shortOf(e *gitstore.Experiment) string {
	if e.ShortID != "" {
		return e.ShortID
	}
	return e.ID[:7]
}

// apiExperiments lists experiments: filters as the command line's, sort=KEY[,-KEY], offset and limit (a page of the
// virtual table), ids=A,B,... for a chosen set (in that order). The answer carries the total and the columns: the
// parameters that vary across the whole selection, every parameter, and every result.
func (s *Server) apiExperiments(w http.ResponseWriter, r *http.Request) error {
	s.recordEnded(r.Context())
	q := r.URL.Query()
	f, err := s.filterOf(r.Context(), q)
	if err != nil {
		return err
	}
	var sortKeys, ids []string
	for _, v := range q["sort"] {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				sortKeys = append(sortKeys, k)
			}
		}
	}
	for _, v := range q["ids"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) > 1000 {
		return errf(http.StatusBadRequest, "ids: at most 1000 experiments at once")
	}
	for _, k := range sortKeys {
		if strings.TrimPrefix(k, "-") == "" {
			return errf(http.StatusBadRequest, "sort: empty key: give a name such as results.acc, or -results.acc for descending")
		}
	}
	offset, err := intParam(r, "offset", 0, 0)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 5000)
	if err != nil {
		return err
	}
	key := strings.Join([]string{strings.Join(f.Where, "\x01"), strings.Join(f.Status, ","), strings.Join(f.Tags, "\x01"),
		f.Name, f.Script, f.Batch, f.Since.String(), f.Until.String(), strconv.FormatBool(f.Archived)}, "\x01\x00")
	sel, err := s.selectFor(r.Context(), f, sortKeys, ids, key)
	if err != nil {
		return err
	}
	varying, all, res, pending := s.columns(sel)
	page := sel.exps[min(offset, len(sel.exps)):min(offset+limit, len(sel.exps))]
	items := make([]row, len(page))
	for i, e := range page {
		items[i] = rowOf(e, shortOf(e))
	}
	writeJSON(w, map[string]any{
		"total": len(sel.exps), "offset": offset, "items": items,
		"columns":         map[string]any{"params": nonNil(varying), "all_params": nonNil(all), "results": nonNil(res)},
		"columns_pending": pending,
	})
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// get resolves the experiment a request names; an unknown or ambiguous one is a 404.
func (s *Server) get(r *http.Request, id string) (*results.Experiment, *gitstore.Experiment, error) {
	s.recordEnded(r.Context())
	e, err := s.db.Lookup(id)
	var ge *gitcmd.Error
	if errors.As(err, &ge) {
		return nil, nil, err // git failed: not the request's fault
	}
	if err != nil {
		return nil, nil, errf(http.StatusNotFound, "%v", err)
	}
	return s.db.Wrap(e), e, nil
}

// apiExperiment is one experiment: the --json document's fields (params and results as trees, and flattened), its
// attempts, and the experiments that rerun or continue it.
func (s *Server) apiExperiment(w http.ResponseWriter, r *http.Request) error {
	x, e, err := s.get(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		gitstore.Manifest
		ShortID       string         `json:"short_id"`
		Archived      bool           `json:"archived"`
		Params        any            `json:"params"`
		Results       any            `json:"results"`
		ParamsFlat    map[string]any `json:"params_flat"`
		ResultsFlat   map[string]any `json:"results_flat"`
		Attempts      []int          `json:"attempts"`
		Children      []row          `json:"children"`
		RunnerAlive   *bool          `json:"runner_alive,omitempty"`
		ParentSummary *row           `json:"parent_summary,omitempty"`
	}{Manifest: x.Manifest, ShortID: shortOf(e), Archived: e.Archived, Params: safe(x.Params), Results: safe(x.Results),
		ParamsFlat: flatSafe(e.ParamsJSON), ResultsFlat: flatSafe(e.ResultsJSON), Attempts: []int{}, Children: []row{}}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if e.Runner != nil && e.Status == gitstore.StatusRunning {
		alive := e.Runner.Alive()
		out.RunnerAlive = &alive
	}
	if _, tree, err := s.st.TipTree(); err == nil && tree != "" {
		if obj, err := s.st.Cat().Get(tree + ":" + gitstore.ExpPath(e.ID) + "/attempts"); err == nil && obj.Type == "tree" {
			if ents, err := s.st.ReadTree(obj.OID); err == nil {
				for _, en := range ents {
					if n, err := strconv.Atoi(en.Name); err == nil {
						out.Attempts = append(out.Attempts, n)
					}
				}
				slices.Sort(out.Attempts)
			}
		}
	}
	all, err := s.db.Select(r.Context(), results.Filter{Archived: true}, nil)
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Parent == e.ID && c.ID != e.ID {
			out.Children = append(out.Children, rowOf(c, shortOf(c)))
		}
		if e.Parent != "" && c.ID == e.Parent {
			p := rowOf(c, shortOf(c))
			out.ParentSummary = &p
		}
	}
	writeJSON(w, out)
	return nil
}

// apiMetrics is an experiment's metric series, each thinned to about points=N points (default 1000) that keep
// every bucket's minimum and maximum; from= and to= (steps) zoom in. names=a,b picks metrics (default: all). The
// file is read in one pass, in memory independent of its length (metricsAnswer).
func (s *Server) apiMetrics(w http.ResponseWriter, r *http.Request) error {
	x, e, err := s.get(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	points, err := intParam(r, "points", 1000, 100000)
	if err != nil {
		return err
	}
	if points < 2 {
		return errf(http.StatusBadRequest, "points=%d: give at least 2", points)
	}
	q := r.URL.Query()
	from, to := math.Inf(-1), math.Inf(1)
	for _, b := range []struct {
		name string
		v    *float64
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(b.name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) {
				return errf(http.StatusBadRequest, "%s=%q: give a step number", b.name, v)
			}
			*b.v = f
		}
	}
	if from > to {
		return errf(http.StatusBadRequest, "from=%s is after to=%s: give from <= to", q.Get("from"), q.Get("to"))
	}
	var want []string
	if v := q.Get("names"); v != "" {
		want = strings.Split(v, ",")
	}
	names, series, err := s.metricsAnswer(x, e, want, points, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, struct {
		Names   []string        `json:"names"`
		Series  json.RawMessage `json:"series"`
		Running bool            `json:"running"`
	}{nonNil(names), series, x.Status == gitstore.StatusRunning})
	return nil
}

// apiLogs is a piece of an experiment's stdout (stream=stderr: its stderr) from byte offset=N, at most max=N bytes
// (default 256 KiB); next is the offset to ask for next. While the experiment runs, asking again from next follows
// the output.
func (s *Server) apiLogs(w http.ResponseWriter, r *http.Request) error {
	x, _, err := s.get(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	stream := r.URL.Query().Get("stream")
	if stream == "" {
		stream = "stdout"
	}
	if stream != "stdout" && stream != "stderr" {
		return errf(http.StatusBadRequest, "stream=%q: use stdout or stderr", stream)
	}
	offset, err := intParam(r, "offset", 0, 0)
	if err != nil {
		return err
	}
	maxN, err := intParam(r, "max", 256<<10, 4<<20)
	if err != nil {
		return err
	}
	running := x.Status == gitstore.StatusRunning
	rc, err := x.Log(stream == "stderr")
	if errors.Is(err, os.ErrNotExist) {
		writeJSON(w, map[string]any{"text": "", "offset": offset, "next": offset, "running": running, "eof": true, "missing": true})
		return nil
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	if sk, ok := rc.(io.Seeker); ok {
		if _, err := sk.Seek(int64(offset), io.SeekStart); err != nil {
			return err
		}
	} else if _, err := io.CopyN(io.Discard, rc, int64(offset)); err != nil && err != io.EOF {
		return err
	}
	buf := make([]byte, maxN+1)
	n, err := io.ReadFull(rc, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	eof := n <= maxN
	buf = buf[:min(n, maxN)]
	// End on a character boundary, so no character is cut in two across pieces.
	if !eof || running {
		for cut := 0; cut < 4 && len(buf) > 0 && !utf8.Valid(buf); cut++ {
			i := len(buf) - 1
			for i > 0 && !utf8.RuneStart(buf[i]) {
				i--
			}
			buf = buf[:i]
		}
	}
	writeJSON(w, map[string]any{"text": string(buf), "offset": offset, "next": offset + len(buf), "running": running, "eof": eof})
	return nil
}

// artifactKind is how the page previews an artifact.
func artifactKind(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp":
		return "image"
	case ".json":
		return "json"
	case ".txt", ".log", ".csv", ".tsv", ".md", ".yaml", ".yml", ".toml", ".py", ".go", ".sh", ".cfg", ".ini", ".out", ".err", ".jsonl", ".html", ".xml", ".js":
		return "text"
	}
	return "binary"
}

func (s *Server) apiArtifacts(w http.ResponseWriter, r *http.Request) error {
	_, e, err := s.get(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	arts, err := s.st.Artifacts(r.Context(), e.ID)
	if err != nil {
		return err
	}
	type item struct {
		gitstore.Artifact
		Kind string `json:"kind"`
	}
	out := make([]item, len(arts))
	for i, a := range arts {
		out[i] = item{a, artifactKind(a.Path)}
		if a.Mode == gitstore.ModeSymlink {
			out[i].Kind = "symlink"
		}
	}
	writeJSON(w, out)
	return nil
}

// apiArtifact sends one artifact, found by its exact path in the experiment's artifact list (so no path can leave
// the experiment). Images are sent as images, text-like files as plain text, anything else as a download; the
// answer is sandboxed, so even an SVG or HTML artifact opened directly runs no script in the UI's origin.
func (s *Server) apiArtifact(w http.ResponseWriter, r *http.Request) error {
	_, e, err := s.get(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := r.PathValue("path")
	clean := path.Clean("/" + p)[1:]
	if p == "" || clean != p || strings.Contains(p, "\\") || strings.HasPrefix(p, "../") || p == ".." {
		return errf(http.StatusBadRequest, "artifact path %q: give a path inside the experiment's artifacts, as listed", p)
	}
	arts, err := s.st.Artifacts(r.Context(), e.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(arts, func(a gitstore.Artifact) bool { return a.Path == p })
	if i < 0 {
		return errf(http.StatusNotFound, "experiment %s has no artifact %s", e.ID[:7], p)
	}
	a := arts[i]
	rc, err := s.st.StreamBlob(r.Context(), a.OID)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'")
	size := a.Size
	if v := r.URL.Query().Get("max"); v != "" { // the first bytes only, for a preview
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return errf(http.StatusBadRequest, "max=%q: give a number of bytes", v)
		}
		size = min(size, n)
	}
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	ctype := "application/octet-stream"
	kind := artifactKind(a.Path)
	if a.Mode == gitstore.ModeSymlink {
		kind = "text"
	}
	switch kind {
	case "image":
		ctype = map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
			".webp": "image/webp", ".svg": "image/svg+xml", ".bmp": "image/bmp"}[strings.ToLower(path.Ext(a.Path))]
	case "text", "json":
		ctype = "text/plain; charset=utf-8"
	}
	h.Set("Content-Type", ctype)
	if r.URL.Query().Get("download") == "1" || kind == "binary" {
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.Map(func(c rune) rune {
			if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
				return '_'
			}
			return c
		}, path.Base(a.Path))))
	}
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return nil
	}
	io.CopyN(w, rc, size)
	return nil
}

// apiDiff compares two experiments: a=ID b=ID, or b=head (the code against the commit the run was made from) or
// b=parent. It gives the parameters that differ, the results with deltas, and the code: a --stat and the patch
// (through git diff, without external diff drivers; cut at 2 MiB).
func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	aq, bq := q.Get("a"), q.Get("b")
	if aq == "" || bq == "" {
		return errf(http.StatusBadRequest, "give two experiments: /api/diff?a=ID&b=ID (b may be head or parent)")
	}
	_, a, err := s.get(r, aq)
	if err != nil {
		return err
	}
	fromSnap, toSnap := a.Git.Snapshot, ""
	out := map[string]any{"a": rowOf(a, shortOf(a))}
	var b *gitstore.Experiment
	switch bq {
	case "head":
		// The run's own changes: from the commit it was made from to its snapshot.
		fromSnap, toSnap = a.Git.Head, a.Git.Snapshot
		out["b"] = nil
	case "parent":
		if a.Parent == "" {
			return errf(http.StatusBadRequest, "%s has no parent experiment", a.ID[:7])
		}
		bq = a.Parent
		fallthrough
	default:
		if _, b, err = s.get(r, bq); err != nil {
			return err
		}
		toSnap = b.Git.Snapshot
		out["b"] = rowOf(b, shortOf(b))
		pa, pb := flatSafe(a.ParamsJSON), flatSafe(b.ParamsJSON)
		type drow struct {
			Key   string `json:"key"`
			A     any    `json:"a"`
			B     any    `json:"b"`
			Delta any    `json:"delta,omitempty"`
		}
		params := []drow{}
		for _, k := range results.Keys(pa, pb) {
			if results.Differs([]map[string]any{pa, pb}, k) {
				params = append(params, drow{Key: k, A: pa[k], B: pb[k]})
			}
		}
		ra, rb := flatSafe(a.ResultsJSON), flatSafe(b.ResultsJSON)
		res := []drow{}
		for _, k := range results.Keys(ra, rb) {
			d := drow{Key: k, A: ra[k], B: rb[k]}
			x, xok := exp.Float(ra[k])
			y, yok := exp.Float(rb[k])
			if xok && yok {
				d.Delta = safe(y - x)
			}
			res = append(res, d)
		}
		out["params"], out["results"] = params, res
	}
	code := map[string]any{"from": fromSnap, "to": toSnap}
	switch {
	case fromSnap == "" || toSnap == "":
		code["missing"] = true
	case fromSnap == toSnap:
		code["same"] = true
	default:
		stat, err := s.st.Git.Run(r.Context(), "diff", "--no-ext-diff", "--no-color", "--stat=200", fromSnap, toSnap)
		if err != nil {
			return errf(http.StatusConflict, "git diff %s %s failed (are the snapshots in this repository? git exp fetch)", fromSnap[:min(7, len(fromSnap))], toSnap[:min(7, len(toSnap))])
		}
		patch, _ := s.st.Git.Run(r.Context(), "diff", "--no-ext-diff", "--no-color", "--no-textconv", fromSnap, toSnap)
		const maxPatch = 2 << 20
		if len(patch) > maxPatch {
			patch = patch[:maxPatch]
			code["truncated"] = true
		}
		code["stat"], code["patch"] = string(stat), string(bytes.ToValidUTF8(patch, []byte("\uFFFD")))
	}
	out["code"] = code
	writeJSON(w, out)
	return nil
}

// apiBatches lists the batches, newest first, as git exp batches --json does.
func (s *Server) apiBatches(w http.ResponseWriter, r *http.Request) error {
	s.recordEnded(r.Context())
	bs, err := s.st.Batches()
	if err != nil {
		return err
	}
	exps, err := s.db.Select(r.Context(), results.Filter{Archived: true}, nil)
	if err != nil {
		return err
	}
	counts := gitstore.BatchCounts(exps)
	slices.SortFunc(bs, func(a, b *gitstore.Batch) int { return strings.Compare(b.Created, a.Created) })
	type out struct {
		*gitstore.Batch
		Counts map[string]int `json:"counts"`
	}
	res := make([]out, len(bs))
	for i, b := range bs {
		res[i] = out{b, counts[b.ID]}
		if res[i].Counts == nil {
			res[i].Counts = map[string]int{}
		}
	}
	writeJSON(w, res)
	return nil
}

// editRequest is the body of POST /api/edit.
type editRequest struct {
	IDs   []string `json:"ids"`
	Op    string   `json:"op"` // tag, untag, rename, describe, archive, unarchive
	Tags  []string `json:"tags"`
	Value string   `json:"value"`
}

// apiEdit records an edit as the command line's tag, rename, describe, archive and unarchive do: one append-only
// note per experiment, in one commit.
func (s *Server) apiEdit(w http.ResponseWriter, r *http.Request) error {
	if s.opts.ReadOnly {
		return errf(http.StatusForbidden, "this server is read-only (git exp ui --read-only)")
	}
	var req editRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return errf(http.StatusBadRequest, "body: %v (send {\"ids\": [...], \"op\": \"tag\", \"tags\": [...]})", err)
	}
	if len(req.IDs) == 0 {
		return errf(http.StatusBadRequest, "ids: name at least one experiment")
	}
	n := gitstore.Note{Op: req.Op}
	switch req.Op {
	case "tag", "untag":
		for _, t := range req.Tags {
			if strings.TrimSpace(t) == "" || strings.ContainsAny(t, ",\n") {
				return errf(http.StatusBadRequest, "tag %q: a tag is a non-empty word without commas", t)
			}
		}
		if len(req.Tags) == 0 {
			return errf(http.StatusBadRequest, "tags: give at least one tag to %s", req.Op)
		}
		n.Tags = req.Tags
	case "rename":
		if strings.TrimSpace(req.Value) == "" {
			return errf(http.StatusBadRequest, "value: give the new name")
		}
		n.Value = req.Value
	case "describe":
		n.Value = req.Value
	case "archive", "unarchive":
	default:
		return errf(http.StatusBadRequest, "op %q: use tag, untag, rename, describe, archive or unarchive", req.Op)
	}
	if (req.Op == "rename" || req.Op == "describe") && len(req.IDs) != 1 {
		return errf(http.StatusBadRequest, "%s takes one experiment", req.Op)
	}
	var ids []string
	for _, q := range req.IDs {
		_, e, err := s.get(r, q)
		if err != nil {
			return err
		}
		if !slices.Contains(ids, e.ID) {
			ids = append(ids, e.ID)
		}
	}
	if err := s.st.WriteNotes(r.Context(), ids, n); err != nil {
		return err
	}
	tip, _ := s.st.Tip()
	writeJSON(w, map[string]any{"ok": true, "ids": ids, "tip": tip})
	return nil
}
