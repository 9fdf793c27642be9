package results

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-exp/git-exp/config"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
)

// Filter selects experiments. The zero Filter selects every experiment that is neither archived nor removed. All the
// conditions that are set must hold.
type Filter struct {
	// Status keeps experiments in any of these statuses (completed, failed, running, ...).
	Status []string
	// Tags keeps experiments that carry all of these tags.
	Tags []string
	// Name and Script are globs (path.Match syntax) over the name and the script.
	Name, Script string
	// Batch keeps the members of the batch with this id or id prefix.
	Batch string
	// Since and Until bound the creation time (inclusive); zero means unbounded.
	Since, Until time.Time
	// Where are expressions of the query language (see package query and the README), e.g.
	// `lr > 0.01 and results.acc >= 0.9`; all of them must hold.
	Where []string
	// Archived includes archived experiments (they are left out by default).
	Archived bool
}

// IsZero reports whether the filter selects everything (Archived aside).
func (f *Filter) IsZero() bool {
	return len(f.Status) == 0 && len(f.Tags) == 0 && f.Name == "" && f.Script == "" && f.Batch == "" &&
		f.Since.IsZero() && f.Until.IsZero() && len(f.Where) == 0
}

// FilterError is a filter that cannot be used: an expression that does not parse (Err is then a *query.Error, which
// points at the column), or a bad glob. Field names the filter ("where", "name", "script").
type FilterError struct {
	Field string
	Value string
	Err   error
}

func (e *FilterError) Error() string {
	if e.Field == "where" {
		return e.Err.Error()
	}
	return fmt.Sprintf("bad glob %q: %v", e.Value, e.Err)
}

func (e *FilterError) Unwrap() error { return e.Err }

// Matcher is a compiled Filter: expressions parsed and globs checked once, so that matching is cheap.
type Matcher struct {
	f            Filter
	exprs        []*query.Expr
	since, until string   // stored-timestamp form (sortable as strings)
	keys         []string // the names the expressions refer to
	need         needs
}

// Compile checks a filter once, before any experiment is read. Errors are *FilterError.
func (f Filter) Compile() (*Matcher, error) {
	m := &Matcher{f: f}
	var keys []string
	for _, w := range f.Where {
		e, err := query.Parse(w)
		if err != nil {
			return nil, &FilterError{Field: "where", Value: w, Err: err}
		}
		m.exprs = append(m.exprs, e)
		keys = append(keys, e.Keys()...)
	}
	for _, g := range [][2]string{{"name", f.Name}, {"script", f.Script}} {
		if _, err := path.Match(g[1], ""); err != nil {
			return nil, &FilterError{Field: g[0], Value: g[1], Err: err}
		}
	}
	if !f.Since.IsZero() {
		m.since = gitstore.FormatTime(f.Since)
	}
	if !f.Until.IsZero() {
		m.until = gitstore.FormatTime(f.Until)
	}
	m.keys = keys
	m.need = needsFor(keys)
	return m, nil
}

// Match reports whether e passes every condition. Removed experiments never match.
func (m *Matcher) Match(e *gitstore.Experiment) bool {
	ok, _ := m.match(e, m.need, false, nil)
	return ok
}

// scratch holds the maps one goroutine reuses for the records of experiments that do not match.
type scratch struct{ params, results map[string]any }

// match tests e; the record built for the expressions (if any, with what need asks) is returned for reuse.
func (m *Matcher) match(e *gitstore.Experiment, need needs, keep bool, sc *scratch) (bool, *query.Record) {
	f := &m.f
	if e.Deleted || e.Archived && !f.Archived {
		return false, nil
	}
	if len(f.Status) > 0 && !slices.Contains(f.Status, e.Status) {
		return false, nil
	}
	for _, t := range f.Tags {
		if !slices.Contains(e.Tags, t) {
			return false, nil
		}
	}
	if f.Name != "" {
		if ok, _ := path.Match(f.Name, e.Name); !ok {
			return false, nil
		}
	}
	if f.Script != "" {
		if ok, _ := path.Match(f.Script, e.Script); !ok {
			return false, nil
		}
	}
	if f.Batch != "" && !strings.HasPrefix(e.Batch, f.Batch) {
		return false, nil
	}
	if m.since != "" && e.Created < m.since || m.until != "" && e.Created > m.until {
		return false, nil
	}
	if len(m.exprs) == 0 {
		return true, nil
	}
	var rec query.Record
	if sc != nil && need.top != nil {
		sc.params = decodeTopInto(e.ParamsTop, e.ParamsJSON, need.top, sc.params)
		sc.results = decodeTopInto(e.ResultsTop, e.ResultsJSON, need.top, sc.results)
		rec = query.Record{Params: sc.params, Results: sc.results, Meta: metaOf(e, need.meta)}
	} else {
		rec = need.record(e)
	}
	for _, x := range m.exprs {
		if !x.Eval(rec) {
			return false, nil
		}
	}
	if keep {
		if sc != nil && need.top != nil {
			rec.Params, rec.Results = maps.Clone(rec.Params), maps.Clone(rec.Results)
		}
		return true, &rec
	}
	return true, nil
}

// Select returns the experiments of exps that match, in their order. Large sets are matched in parallel.
func (m *Matcher) Select(exps []*gitstore.Experiment) []*gitstore.Experiment {
	out, _ := m.selectRecords(exps, m.need, false)
	return out
}

// SelectSorted returns the experiments of exps that match, sorted by keys (as SortExperiments; without keys they
// keep their order). Matching runs in parallel on large sets, and each experiment is decoded once for both.
func (m *Matcher) SelectSorted(exps []*gitstore.Experiment, keys []string) []*gitstore.Experiment {
	if len(keys) == 0 {
		return m.Select(exps)
	}
	out, recs := m.selectRecords(exps, needsFor(append(slices.Clone(m.keys), trimDesc(keys)...)), true)
	sortRecords(out, recs, keys)
	return out
}

// parallelMin is the size above which matching with expressions is spread over the CPUs (decoding the parameters and
// results of each experiment is what costs).
const parallelMin = 2048

func (m *Matcher) selectRecords(exps []*gitstore.Experiment, need needs, keep bool) ([]*gitstore.Experiment, []*query.Record) {
	workers := runtime.GOMAXPROCS(0)
	if len(m.exprs) == 0 || len(exps) < parallelMin || workers < 2 {
		var out []*gitstore.Experiment
		var recs []*query.Record
		var sc scratch
		for _, e := range exps {
			if ok, r := m.match(e, need, keep, &sc); ok {
				out = append(out, e)
				recs = append(recs, r)
			}
		}
		return out, recs
	}
	ok := make([]bool, len(exps))
	recs := make([]*query.Record, len(exps))
	chunk := (len(exps) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(exps); lo += chunk {
		hi := min(lo+chunk, len(exps))
		wg.Go(func() {
			var sc scratch
			for i := lo; i < hi; i++ {
				ok[i], recs[i] = m.match(exps[i], need, keep, &sc)
			}
		})
	}
	wg.Wait()
	var out []*gitstore.Experiment
	var kept []*query.Record
	for i, e := range exps {
		if ok[i] {
			out = append(out, e)
			kept = append(kept, recs[i])
		}
	}
	return out, kept
}

// metaFields are the names of the metadata an expression sees (meta.x, or x when no parameter or result is named x).
var metaFields = []string{"id", "name", "status", "tags", "created", "started", "ended", "duration_s", "script",
	"batch", "user", "host", "parent", "executor", "description", "attempt", "archived", "branch", "dirty", "exit_code"}

// metaNeed is the set of metadata fields a set of names can reach; nil means all of them.
type metaNeed map[string]bool

// needs says which parts of an experiment a set of names (expression names, sort keys) can reach: the top-level
// keys of params.json and results.json, and the metadata fields. A name reaches a key when the key is the name or one
// of its dotted prefixes, with or without a leading params., results. or meta.; the names in backticks that contain
// dots only add candidates. Decoding only those keeps matching 100,000 experiments cheap, and gives the same answers
// as the whole record, since no other key can be looked at.
type needs struct {
	top  map[string]bool // nil: decode everything
	meta metaNeed
}

func needsFor(names []string) needs {
	n := needs{top: map[string]bool{}, meta: metaNeed{}}
	for _, name := range names {
		cands := []string{name}
		if q, rest, ok := strings.Cut(name, "."); ok && (q == "params" || q == "results" || q == "meta") {
			cands = append(cands, rest)
		}
		for _, cand := range cands {
			for p := cand; ; {
				n.top[p] = true
				if slices.Contains(metaFields, p) {
					n.meta[p] = true
				}
				i := strings.LastIndexByte(p, '.')
				if i < 0 {
					break
				}
				p = p[:i]
			}
		}
	}
	return n
}

func (n needs) record(e *gitstore.Experiment) query.Record {
	if n.top == nil {
		return record(e, n.meta)
	}
	return query.Record{Params: decodeKeys(e.ParamsJSON, n.top), Results: decodeKeys(e.ResultsJSON, n.top), Meta: metaOf(e, n.meta)}
}

// Record is what --where expressions and sort keys see of an experiment: its parameters, its results and its
// metadata (id, name, status, tags, created, started, ended, duration_s, exit_code, script, batch, user, host, parent,
// executor, description, attempt, archived, branch, dirty).
func Record(e *gitstore.Experiment) query.Record { return record(e, nil) }

func record(e *gitstore.Experiment, need metaNeed) query.Record {
	return query.Record{Params: DecodeJSON(e.ParamsJSON), Results: DecodeJSON(e.ResultsJSON), Meta: metaOf(e, need)}
}

func metaOf(e *gitstore.Experiment, need metaNeed) map[string]any {
	if need != nil && len(need) == 0 {
		return nil
	}
	meta := make(map[string]any, len(metaFields))
	add := func(k string, v func() any) {
		if need == nil || need[k] {
			meta[k] = v()
		}
	}
	add("id", func() any { return e.ID })
	add("name", func() any { return e.Name })
	add("status", func() any { return e.Status })
	add("tags", func() any {
		tags := make([]any, len(e.Tags))
		for i, t := range e.Tags {
			tags[i] = t
		}
		return tags
	})
	add("created", func() any { return e.Created })
	add("started", func() any { return e.Started })
	add("ended", func() any { return e.Ended })
	add("duration_s", func() any { return e.DurationS })
	add("script", func() any { return e.Script })
	add("batch", func() any { return e.Batch })
	add("user", func() any { return e.User })
	add("host", func() any { return e.Host })
	add("parent", func() any { return e.Parent })
	add("executor", func() any { return e.Executor })
	add("description", func() any { return e.Description })
	add("attempt", func() any { return e.Attempt })
	add("archived", func() any { return e.Archived })
	add("branch", func() any { return e.Git.Branch })
	add("dirty", func() any { return e.Git.Dirty })
	if e.ExitCode != nil && (need == nil || need["exit_code"]) {
		meta["exit_code"] = *e.ExitCode
	}
	return meta
}

// DecodeJSON decodes a stored params.json or results.json into a tree whose numbers keep their type (int for
// integers, float64 otherwise: see config.UnmarshalJSON). Empty or unreadable input gives an empty map.
func DecodeJSON(raw []byte) map[string]any {
	if len(raw) == 0 {
		return map[string]any{}
	}
	if m, ok := decodeFast(raw); ok {
		return m
	}
	v, err := config.UnmarshalJSON(raw)
	if m, ok := v.(map[string]any); ok && err == nil {
		return m
	}
	return map[string]any{}
}

// ErrBadSortKey is wrapped by the error of a sort key that cannot be used (an empty one).
var ErrBadSortKey = errors.New("bad sort key")

func checkKeys(keys []string) error {
	for _, k := range keys {
		if strings.TrimPrefix(k, "-") == "" {
			return fmt.Errorf("%w %q: give a name such as results.acc, or -results.acc for descending", ErrBadSortKey, k)
		}
	}
	return nil
}

// SortExperiments sorts by keys — names as in expressions (lr, results.acc, meta.created); "-key" sorts descending —
// with missing values last whatever the direction, then newest first (created, then id) as the last tie-breaker.
// Without keys it sorts newest first.
func SortExperiments(exps []*gitstore.Experiment, keys []string) {
	sortRecords(exps, nil, keys)
}

// sortRecords sorts exps (and recs with them, when given: records already built for exps, nil entries allowed).
func sortRecords(exps []*gitstore.Experiment, recs []*query.Record, keys []string) {
	type item struct {
		e    *gitstore.Experiment
		r    *query.Record
		vals []any
		has  []bool
	}
	items := make([]item, len(exps))
	need := needsFor(trimDesc(keys))
	// One backing array each for every item's values and flags, not two allocations per item.
	allVals := make([]any, len(exps)*len(keys))
	allHas := make([]bool, len(exps)*len(keys))
	for i, e := range exps {
		it := item{e: e}
		if recs != nil {
			it.r = recs[i]
		}
		if len(keys) > 0 {
			var rec query.Record
			if it.r != nil {
				rec = *it.r // built with needs that include the sort keys'
			} else {
				rec = need.record(e)
			}
			it.vals = allVals[i*len(keys) : (i+1)*len(keys) : (i+1)*len(keys)]
			it.has = allHas[i*len(keys) : (i+1)*len(keys) : (i+1)*len(keys)]
			for k, key := range keys {
				it.vals[k], it.has[k] = query.Lookup(rec, strings.TrimPrefix(key, "-"))
			}
		}
		items[i] = it
	}
	slices.SortFunc(items, func(a, b item) int {
		for k, key := range keys {
			if !a.has[k] && !b.has[k] {
				continue
			}
			if a.has[k] != b.has[k] {
				if a.has[k] {
					return -1 // missing values last, whatever the direction
				}
				return 1
			}
			c := query.Compare(a.vals[k], b.vals[k])
			if c == 0 {
				continue
			}
			if strings.HasPrefix(key, "-") {
				return -c
			}
			return c
		}
		if c := strings.Compare(b.e.Created, a.e.Created); c != 0 {
			return c
		}
		return strings.Compare(b.e.ID, a.e.ID)
	})
	for i, it := range items {
		exps[i] = it.e
		if recs != nil {
			recs[i] = it.r
		}
	}
}

func trimDesc(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, "-")
	}
	return out
}
