package results

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/value"
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
	since, until string // stored-timestamp form (sortable as strings)
}

// Compile checks a filter once, before any experiment is read. Errors are *FilterError.
func (f Filter) Compile() (*Matcher, error) {
	m := &Matcher{f: f}
	for _, w := range f.Where {
		e, err := query.Parse(w)
		if err != nil {
			return nil, &FilterError{Field: "where", Value: w, Err: err}
		}
		m.exprs = append(m.exprs, e)
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
	return m, nil
}

// Match reports whether e passes every condition. Removed experiments never match.
func (m *Matcher) Match(e *gitstore.Experiment) bool {
	return m.pass(e) && m.eval(&source{e: e})
}

// pass tests the conditions that are not expressions.
func (m *Matcher) pass(e *gitstore.Experiment) bool {
	f := &m.f
	if e.Deleted || e.Archived && !f.Archived {
		return false
	}
	if len(f.Status) > 0 && !slices.Contains(f.Status, e.Status) {
		return false
	}
	for _, t := range f.Tags {
		if !slices.Contains(e.Tags, t) {
			return false
		}
	}
	if f.Name != "" {
		if ok, _ := path.Match(f.Name, e.Name); !ok {
			return false
		}
	}
	if f.Script != "" {
		if ok, _ := path.Match(f.Script, e.Script); !ok {
			return false
		}
	}
	if f.Batch != "" && !strings.HasPrefix(e.Batch, f.Batch) {
		return false
	}
	if m.since != "" && e.Created < m.since || m.until != "" && e.Created > m.until {
		return false
	}
	return true
}

// eval tests the expressions on the record of src's experiment.
func (m *Matcher) eval(src *source) bool {
	rec := query.Record{Source: src}
	for _, x := range m.exprs {
		if !x.Eval(rec) {
			return false
		}
	}
	return true
}

// Select returns the experiments of exps that match, in their order. Large sets are matched in parallel.
func (m *Matcher) Select(exps []*gitstore.Experiment) []*gitstore.Experiment {
	return selectSorted(m, exps, nil)
}

// SelectSorted returns the experiments of exps that match, sorted by keys (as SortExperiments; without keys they
// keep their order). Matching runs in parallel on large sets, and each experiment is decoded once for both.
func (m *Matcher) SelectSorted(exps []*gitstore.Experiment, keys []string) []*gitstore.Experiment {
	return selectSorted(m, exps, keys)
}

// parallelMin is the size above which matching and preparing sort keys is spread over the CPUs (decoding the
// parameters and results of each experiment is what costs).
const parallelMin = 2048

// sortItem is an experiment with its sort keys prepared.
type sortItem struct {
	e    *gitstore.Experiment
	keys []query.SortKey
}

// selectSorted keeps the experiments of exps that m matches (all of them when m is nil) and sorts them by keys.
// Expressions and sort keys look up only the values they name (see source); the sort then compares prepared keys
// only.
func selectSorted(m *Matcher, exps []*gitstore.Experiment, keys []string) []*gitstore.Experiment {
	names := trimDesc(keys)
	exprs := m != nil && len(m.exprs) > 0
	if !exprs && len(keys) == 0 {
		if m == nil {
			return exps
		}
		return m.passing(exps)
	}
	nk := len(keys)
	// collect matches exps[lo:hi] and prepares their keys, in order, in blocks (not one slice grown by copies: the
	// collector is off for readers, and growing by a quarter at a time left 4 times the matches behind).
	const block = 4096
	collect := func(lo, hi int) [][]sortItem {
		var src source
		var blocks [][]sortItem
		var items []sortItem
		var arena []query.SortKey
		for _, e := range exps[lo:hi] {
			if m != nil && !m.pass(e) {
				continue
			}
			src.reset(e)
			if m != nil && !m.eval(&src) {
				continue
			}
			it := sortItem{e: e}
			if nk > 0 {
				if len(arena)+nk > cap(arena) {
					arena = make([]query.SortKey, 0, 1024*nk)
				}
				rec := query.Record{Source: &src}
				for _, name := range names {
					v, _ := query.Lookup(rec, name)
					arena = append(arena, query.MakeSortKey(v))
				}
				it.keys = arena[len(arena)-nk : len(arena) : len(arena)]
			}
			if len(items) == cap(items) {
				items = make([]sortItem, 0, block)
				blocks = append(blocks, nil)
			}
			items = append(items, it)
			blocks[len(blocks)-1] = items
		}
		return blocks
	}
	var parts [][][]sortItem
	workers := runtime.GOMAXPROCS(0)
	if len(exps) < parallelMin || workers < 2 {
		parts = [][][]sortItem{collect(0, len(exps))}
	} else {
		chunk := (len(exps) + workers - 1) / workers
		parts = make([][][]sortItem, (len(exps)+chunk-1)/chunk)
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { parts[p] = collect(p*chunk, min((p+1)*chunk, len(exps))) })
		}
		wg.Wait()
	}
	blocks := slices.Concat(parts...)
	n := 0
	for _, b := range blocks {
		n += len(b)
	}
	out := make([]*gitstore.Experiment, 0, n)
	for _, b := range blocks {
		for _, it := range b {
			out = append(out, it.e)
		}
	}
	if nk > 0 {
		sortItems(blocks, out, keys)
	}
	return out
}

// passing is the experiments of exps that pass m's conditions that are not expressions, in order: a chunk per
// core when they are many (a pass over 1,000,000 experiments reads a field or two of each, mostly waiting for memory),
// each chunk's into its own range of the one slice returned, then moved together.
func (m *Matcher) passing(exps []*gitstore.Experiment) []*gitstore.Experiment {
	out := make([]*gitstore.Experiment, len(exps))
	filter := func(lo, hi int) int { // into out[lo:], returning how many pass
		n := lo
		for _, e := range exps[lo:hi] {
			if m.pass(e) {
				out[n] = e
				n++
			}
		}
		return n - lo
	}
	workers := runtime.GOMAXPROCS(0)
	if len(exps) < parallelMin || workers < 2 {
		return out[:filter(0, len(exps))]
	}
	chunk := (len(exps) + workers - 1) / workers
	counts := make([]int, (len(exps)+chunk-1)/chunk)
	var wg sync.WaitGroup
	for p := range counts {
		wg.Go(func() { counts[p] = filter(p*chunk, min((p+1)*chunk, len(exps))) })
	}
	wg.Wait()
	n := 0
	for p, c := range counts {
		n += copy(out[n:], out[p*chunk:p*chunk+c])
	}
	return out[:n]
}

// Record is what --where expressions and sort keys see of an experiment: its parameters, its results and its
// metadata (the names of Fields).
func Record(e *gitstore.Experiment) query.Record {
	return query.Record{Params: DecodeJSON(e.ParamsJSON), Results: DecodeJSON(e.ResultsJSON), Meta: metaOf(e)}
}

func metaOf(e *gitstore.Experiment) map[string]any {
	meta := make(map[string]any, len(Fields))
	for i := range Fields {
		if v, ok := Fields[i].Value(e); ok {
			meta[Fields[i].Name] = v
		}
	}
	if m := metricsOf(e); len(m) > 0 {
		meta["metrics"] = m
	}
	return meta
}

// metaValue is the metadata field k of e (see Fields).
func metaValue(e *gitstore.Experiment, k string) (any, bool) {
	if f := fieldByName[k]; f != nil {
		return f.Value(e)
	}
	if k == "metrics" {
		m := metricsOf(e)
		return m, len(m) > 0
	}
	if name, ok := strings.CutPrefix(k, "metrics."); ok {
		v, ok := metricsOf(e)[name]
		return v, ok
	}
	return nil, false
}

// metricsOf is what filters and sorts see of an experiment's metrics (metrics.summary.json): metrics.NAME is the
// last value of NAME, metrics.NAME.last too, metrics.NAME.min and metrics.NAME.max its extremes.
func metricsOf(e *gitstore.Experiment) map[string]any {
	if len(e.MetricsJSON) == 0 {
		return nil
	}
	out := map[string]any{}
	for name, v := range DecodeJSON(e.MetricsJSON) {
		agg, ok := v.(map[string]any)
		if !ok {
			continue
		}
		for part, x := range agg {
			out[name+"."+part] = x
		}
		if last, ok := agg["last"]; ok {
			out[name] = last
		}
	}
	return out
}

// source answers the lookups of expressions and sort keys from an experiment's params and results (scanned for the
// key without decoding the rest: gitstore.Experiment.LookupParam) and its fields, decoding only the values asked
// for: matching 100,000 experiments builds no maps. One source is reused for experiment after experiment (reset).
type source struct {
	e *gitstore.Experiment
	// params and results are decoded from JSON, once, when the experiment was not indexed (gitstore's Index).
	params, results map[string]any
}

func (s *source) reset(e *gitstore.Experiment) { *s = source{e: e} }

func (s *source) Top(p query.Part, key string) (any, bool) {
	switch p {
	case query.PartParams:
		return topOf(s.e.LookupParam, s.e.ParamsJSON, &s.params, key)
	case query.PartResults:
		return topOf(s.e.LookupResult, s.e.ResultsJSON, &s.results, key)
	}
	return metaValue(s.e, key)
}

func topOf(lookup func(string) (any, bool, bool), raw []byte, decoded *map[string]any, key string) (any, bool) {
	if *decoded == nil {
		if v, ok, valid := lookup(key); valid {
			return v, ok
		} else if len(bytes.TrimSpace(raw)) <= 2 { // {} (or nothing): no keys
			return nil, false
		}
		*decoded = DecodeJSON(raw)
	}
	v, ok := (*decoded)[key]
	return v, ok
}

// DecodeJSON decodes a stored params.json or results.json into a tree whose numbers keep their type (int for
// integers, float64 otherwise: see value.Unmarshal). Empty or unreadable input gives an empty map.
func DecodeJSON(raw []byte) map[string]any {
	if len(raw) == 0 {
		return map[string]any{}
	}
	v, err := value.Unmarshal(raw)
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

// sortItems sorts exps, the experiments of the items of blocks in their order, by the items' prepared keys
// (desc[k] when keys[k] starts with "-"): missing values last whatever the direction, then newest first. Large sets
// are sorted in two halves at once, then merged.
func sortItems(blocks [][]sortItem, exps []*gitstore.Experiment, keys []string) {
	desc := make([]bool, len(keys))
	for k, key := range keys {
		desc[k] = strings.HasPrefix(key, "-")
	}
	if order, ok := numericOrder(blocks, exps, desc); ok {
		permute(exps, order)
		return
	}
	items := slices.Concat(blocks...)
	sortGeneral(items, desc)
	for i, it := range items {
		exps[i] = it.e
	}
}

// sortGeneral is sortItems for keys of any kind.
func sortGeneral(items []sortItem, desc []bool) {
	cmp := func(a, b sortItem) int {
		for k := range desc {
			ka, kb := &a.keys[k], &b.keys[k]
			if ma, mb := ka.Missing(), kb.Missing(); ma || mb {
				if ma && mb {
					continue
				}
				if ma {
					return 1 // missing values last, whatever the direction
				}
				return -1
			}
			if na, nb := ka.IsNaN(), kb.IsNaN(); na || nb {
				if na && nb {
					continue
				}
				if na {
					return 1 // NaN after every number, whatever the direction (and before missing values)
				}
				return -1
			}
			c := query.CompareKeys(ka, kb)
			if c == 0 {
				continue
			}
			if desc[k] {
				return -c
			}
			return c
		}
		return gitstore.CompareNewest(a.e, b.e)
	}
	if len(items) < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(items, cmp)
		return
	}
	half := len(items) / 2
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(items[:half], cmp) })
	slices.SortFunc(items[half:], cmp)
	wg.Wait()
	merged := make([]sortItem, 0, len(items))
	a, b := items[:half], items[half:]
	for len(a) > 0 && len(b) > 0 {
		if cmp(b[0], a[0]) < 0 {
			merged = append(merged, b[0])
			b = b[1:]
		} else {
			merged = append(merged, a[0])
			a = a[1:]
		}
	}
	merged = append(append(merged, a...), b...)
	copy(items, merged)
}

// SortExperiments sorts by keys — names as in expressions (lr, results.acc, meta.created); "-key" sorts descending —
// with missing (and null) values last whatever the direction, then newest first (created, then id) as the last
// tie-breaker. Without keys it sorts newest first.
func SortExperiments(exps []*gitstore.Experiment, keys []string) {
	if len(keys) == 0 {
		gitstore.SortNewest(exps)
		return
	}
	copy(exps, selectSorted(nil, exps, keys))
}

func trimDesc(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, "-")
	}
	return out
}

// numericKeys is how many sort keys sortNumeric takes.
const numericKeys = 4

// numericItem is an item of sortNumeric: its keys as integers in sort order, and its place among the items.
type numericItem struct {
	k   [numericKeys]uint64
	pos uint32
}

// numericOrder orders the items of blocks (whose experiments are exps, in the same order) as sortItems does when
// every key is a number (exact as a float64), NaN or missing, which is what sorts by parameters and results mostly
// are: each key becomes one integer whose order is the listing's (numbers by value in the key's direction, then NaN,
// then missing), so that comparing two items compares a few integers. Ties are broken newest first: by the items'
// order when they came newest first (the cache's order, checked), else by CompareNewest. It returns the items'
// positions in sorted order, or false for keys of other kinds or too many keys. Sorting 250,000 of 1,000,000 by two
// keys with the general comparison took ~1 s of CPU, mostly on ties.
func numericOrder(blocks [][]sortItem, exps []*gitstore.Experiment, desc []bool) ([]uint32, bool) {
	nk := len(desc)
	if nk > numericKeys || len(exps) > 1<<32-1 {
		return nil, false
	}
	num := make([]numericItem, 0, len(exps))
	for _, b := range blocks {
		for i := range b {
			x := numericItem{pos: uint32(len(num))}
			for k := 0; k < nk; k++ {
				v, ok := numericKey(&b[i].keys[k], desc[k])
				if !ok {
					return nil, false
				}
				x.k[k] = v
			}
			num = append(num, x)
		}
	}
	newest := slices.IsSortedFunc(exps, gitstore.CompareNewest)
	cmp := func(a, b numericItem) int {
		for k := 0; k < nk; k++ {
			if a.k[k] != b.k[k] {
				if a.k[k] < b.k[k] {
					return -1
				}
				return 1
			}
		}
		if newest {
			return cmpOrdered(a.pos, b.pos)
		}
		if c := gitstore.CompareNewest(exps[a.pos], exps[b.pos]); c != 0 {
			return c
		}
		return cmpOrdered(a.pos, b.pos)
	}
	order := make([]uint32, 0, len(num))
	if len(num) < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(num, cmp)
		for _, n := range num {
			order = append(order, n.pos)
		}
		return order, true
	}
	half := len(num) / 2
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(num[:half], cmp) })
	slices.SortFunc(num[half:], cmp)
	wg.Wait()
	a, b := num[:half], num[half:]
	for len(a) > 0 && len(b) > 0 {
		if cmp(b[0], a[0]) < 0 {
			order, b = append(order, b[0].pos), b[1:]
		} else {
			order, a = append(order, a[0].pos), a[1:]
		}
	}
	for _, rest := range [][]numericItem{a, b} {
		for _, n := range rest {
			order = append(order, n.pos)
		}
	}
	return order, true
}

// permute puts exps in order: the one at order[i] goes to i, moved along the cycles of the permutation in place
// (the sorted copy of the items this replaced was 8 MB more of a listing's memory at 1M). order is consumed.
func permute(exps []*gitstore.Experiment, order []uint32) {
	const done = math.MaxUint32
	for i := range order {
		if order[i] == done {
			continue
		}
		first := exps[i]
		j := i
		for {
			k := int(order[j])
			order[j] = done
			if k == i {
				exps[j] = first
				break
			}
			exps[j] = exps[k]
			j = k
		}
	}
}

// numericKey is a sort key as an integer whose order is sortItems': numbers (as float64: -0 is 0) ascending, or
// descending when desc, then NaN, then a missing value. ok is false for a key of another kind.
func numericKey(k *query.SortKey, desc bool) (uint64, bool) {
	if k.Missing() {
		return math.MaxUint64, true
	}
	if k.IsNaN() {
		return math.MaxUint64 - 1, true
	}
	f, ok := k.Float()
	if !ok {
		return 0, false
	}
	if f == 0 {
		f = 0 // -0 sorts as 0
	}
	b := math.Float64bits(f)
	if b>>63 != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	if desc {
		b = ^b // from ^(+Inf) to ^(-Inf): below the codes of NaN and missing values
	}
	return b, true
}

func cmpOrdered[T uint32 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
