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
	"sync/atomic"
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

// Match reports whether e passes every condition. Removed experiments never match. It may be called on several
// cores at once.
func (m *Matcher) Match(e *gitstore.Experiment) bool {
	if !m.pass(e) {
		return false
	}
	if len(m.exprs) == 0 {
		return true
	}
	// A source given to eval escapes: one allocated per experiment was a tenth of matching 1,000,000 of them.
	src, _ := sources.Get().(*source)
	if src == nil {
		src = new(source)
	}
	src.reset(e)
	ok := m.eval(src)
	src.reset(nil)
	sources.Put(src)
	return ok
}

// sources are the sources of Match, reused.
var sources sync.Pool

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
	pos  uint32 // place among the items to sort, when they come newest first (sortGeneral)
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
	desc := make([]bool, nk)
	for k, key := range keys {
		desc[k] = strings.HasPrefix(key, "-")
	}
	numeric := nk > 0 && nk <= numericKeys && len(exps) <= math.MaxUint32
	// collect matches exps[lo:hi] and prepares their keys, in order: as integers (numericItem) while every key it
	// meets is a number, NaN or missing, else as sort keys of any kind (sortItem).
	collect := func(lo, hi int) *matches {
		c := &matches{numeric: numeric}
		var src source
		for i := lo; i < hi; i++ {
			e := exps[i]
			if m != nil && !m.pass(e) {
				continue
			}
			src.reset(e)
			if m != nil && !m.eval(&src) {
				continue
			}
			if c.numeric {
				if x, ok := numericItemOf(&src, names, desc, i); ok {
					c.addNumeric(x)
					continue
				}
				c.toGeneral(exps, names)
			}
			c.addItem(&src, e, names)
		}
		return c
	}
	var parts []*matches
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(exps) < parallelMin || workers < 2 {
		parts = []*matches{collect(0, len(exps))}
	} else {
		chunk := (len(exps) + workers - 1) / workers
		parts = make([]*matches, (len(exps)+chunk-1)/chunk)
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { parts[p] = collect(p*chunk, min((p+1)*chunk, len(exps))) })
		}
		wg.Wait()
	}
	return sortMatches(parts, !numeric, exps, names, desc)
}

// sortMatches sorts the experiments that parts (in the order of exps) matched by their prepared keys: as integers
// when every part's are (and general is false), else by the keys of any kind.
func sortMatches(parts []*matches, general bool, exps []*gitstore.Experiment, names []string, desc []bool) []*gitstore.Experiment {
	for _, c := range parts {
		general = general || !c.numeric
	}
	if !general {
		return sortNumeric(parts, exps, desc)
	}
	var blocks [][]sortItem
	for _, c := range parts {
		c.toGeneral(exps, names) // a part that met only numbers
		blocks = append(blocks, c.items...)
	}
	items := slices.Concat(blocks...)
	if len(desc) > 0 {
		sortGeneral(items, desc)
	}
	out := make([]*gitstore.Experiment, len(items))
	for i, it := range items {
		out[i] = it.e
	}
	return out
}

// Sorter sorts experiments by keys as SortExperiments does, taking them a few at a time (Add): a listing that
// streams prepares the keys of the experiments it keeps right after it matched them, while what the lookups read
// is still in the processor's caches (looked up again once every experiment was read, the values of 250,000 out
// of 1,000,000 cost a third of a second more).
//
// With a limit, only the first limit experiments are wanted: the others are dropped as they are added, and Admits
// tells which experiments cannot be among the first (the listing need not keep them at all).
type Sorter struct {
	names []string
	desc  []bool
	c     *matches
	exps  []*gitstore.Experiment // in the order added
	src   source
	limit int
	// bound is the last of the first limit experiments so far (once there are that many): those after it in the
	// sort cannot be among the first.
	bound   atomic.Pointer[sortBound]
	dropped int
	parts   []sorterPart // per core, reused
}

// sortBound is the place of an experiment in a sort: its numeric keys (nk of them), or its keys of any kind.
type sortBound struct {
	k    [numericKeys]uint64
	keys []query.SortKey
	e    *gitstore.Experiment
	nk   int
}

// NewSorter returns a Sorter by keys (at least one; names as in expressions, "-key" descending) that keeps the
// first limit experiments in that order, or all of them when limit is 0.
func NewSorter(keys []string, limit int) *Sorter {
	s := &Sorter{names: trimDesc(keys), desc: make([]bool, len(keys)), limit: limit}
	for k, key := range keys {
		s.desc[k] = strings.HasPrefix(key, "-")
	}
	s.c = &matches{numeric: len(keys) > 0 && len(keys) <= numericKeys}
	return s
}

// Grow makes room for n experiments (Add) where they are kept, beside the n added before: a sort of 1,000,000
// grew its lists by copies that were 56 MB more.
func (s *Sorter) Grow(n int) {
	s.exps = slices.Grow(s.exps, n)
	if c := s.c; c.numeric && s.limit == 0 && len(c.nums) == 0 {
		c.nums = [][]numericItem{make([]numericItem, 0, n)}
	}
}

// Add adds exps, after those added before, preparing their keys (on every core when they are many). The
// experiments must stay as they are until Sorted.
func (s *Sorter) Add(exps []*gitstore.Experiment) {
	offset := len(s.exps)
	s.exps = append(s.exps, exps...)
	numeric := s.c.numeric && len(s.exps) <= math.MaxUint32
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(exps) < 1024 || workers < 2 {
		workers = 1
	}
	for len(s.parts) < workers {
		s.parts = append(s.parts, sorterPart{})
	}
	prepare := func(p *sorterPart, lo, hi int) {
		p.numeric, p.nums, p.items = numeric, p.nums[:0], p.items[:0]
		for i := lo; i < hi; i++ {
			e := exps[i]
			p.src.reset(e)
			if p.numeric {
				if x, ok := numericItemOf(&p.src, s.names, s.desc, offset+i); ok {
					p.nums = append(p.nums, x)
					continue
				}
				p.numeric = false
				for _, x := range p.nums { // keys of any kind for those before
					var src source
					src.reset(s.exps[x.pos])
					p.items = append(p.items, prepareItem(&p.keys, &src, s.exps[x.pos], s.names))
				}
			}
			p.items = append(p.items, prepareItem(&p.keys, &p.src, e, s.names))
		}
		p.src.reset(nil)
	}
	if workers == 1 {
		prepare(&s.parts[0], 0, len(exps))
	} else {
		var wg sync.WaitGroup
		for k := range workers {
			wg.Go(func() { prepare(&s.parts[k], len(exps)*k/workers, len(exps)*(k+1)/workers) })
		}
		wg.Wait()
	}
	c := s.c
	for k := range workers {
		p := &s.parts[k]
		if c.numeric && !p.numeric || !numeric {
			c.toGeneral(s.exps, s.names) // those before
		}
		switch {
		case c.numeric:
			for _, x := range p.nums {
				c.addNumeric(x)
			}
		case p.numeric: // numbers in this part only: keys of any kind
			for _, x := range p.nums {
				s.src.reset(s.exps[x.pos])
				c.addItem(&s.src, s.exps[x.pos], s.names)
			}
			s.src.reset(nil)
		default:
			for _, it := range p.items {
				c.addSorted(it)
			}
		}
	}
	if s.limit > 0 {
		n := 0
		if c.numeric {
			for _, b := range c.nums {
				n += len(b)
			}
		} else {
			for _, b := range c.items {
				n += len(b)
			}
		}
		if n >= max(2*s.limit, 512) {
			s.drop()
		}
	}
}

// sorterPart is what one core prepared of what Sorter.Add was given.
type sorterPart struct {
	src     source
	numeric bool
	nums    []numericItem
	items   []sortItem
	keys    []query.SortKey // the arena of items' keys, kept
}

// drop keeps the first limit of the experiments added (all numeric), and makes the last of them the bound.
func (s *Sorter) drop() {
	if !s.c.numeric {
		all := slices.Concat(s.c.items...)
		slices.SortFunc(all, func(a, b sortItem) int {
			if c := compareKeys(a.keys, b.keys, s.desc); c != 0 {
				return c
			}
			return gitstore.CompareNewest(a.e, b.e)
		})
		s.dropped += len(all) - s.limit
		all = all[:s.limit:s.limit]
		last := all[len(all)-1]
		s.bound.Store(&sortBound{keys: last.keys, e: last.e})
		s.c.items = [][]sortItem{all}
		return
	}
	all := slices.Concat(s.c.nums...)
	nk := len(s.names)
	cmp := func(a, b numericItem) int {
		for k := range nk {
			if a.k[k] != b.k[k] {
				return cmpOrdered(a.k[k], b.k[k])
			}
		}
		return gitstore.CompareNewest(s.exps[a.pos], s.exps[b.pos])
	}
	slices.SortFunc(all, cmp)
	s.dropped += len(all) - s.limit
	all = all[:s.limit:s.limit]
	last := all[len(all)-1]
	s.bound.Store(&sortBound{k: last.k, e: s.exps[last.pos], nk: nk})
	// Back in the order added, as sortNumeric takes them (it breaks ties by that order when it is newest first).
	slices.SortFunc(all, func(a, b numericItem) int { return cmpOrdered(a.pos, b.pos) })
	s.c.nums = [][]numericItem{all}
}

// Admits reports whether e may be among the first limit experiments, by the experiments added so far: false when
// it sorts after the last of the first limit of them. It may be called on several cores at once, and while Add
// runs.
func (s *Sorter) Admits(e *gitstore.Experiment) bool {
	b := s.bound.Load()
	if b == nil {
		return true
	}
	if b.keys != nil {
		a, _ := admitArenas.Get().(*admitArena)
		if a == nil {
			a = new(admitArena)
		}
		a.src.reset(e)
		a.keys = a.keys[:0]
		it := prepareItem(&a.keys, &a.src, e, s.names)
		a.src.reset(nil)
		c := compareKeys(it.keys, b.keys, s.desc)
		admitArenas.Put(a)
		if c != 0 {
			return c < 0
		}
		return gitstore.CompareNewest(e, b.e) < 0
	}
	src, _ := sources.Get().(*source)
	if src == nil {
		src = new(source)
	}
	src.reset(e)
	x, ok := numericItemOf(src, s.names, s.desc, 0)
	src.reset(nil)
	sources.Put(src)
	if !ok {
		return true // not a number: the Sorter compares keys of any kind from now on
	}
	for k := range b.nk {
		if x.k[k] != b.k[k] {
			return x.k[k] < b.k[k]
		}
	}
	return gitstore.CompareNewest(e, b.e) < 0
}

// admitArena is what Admits prepares an experiment's keys of any kind with, reused.
type admitArena struct {
	src  source
	keys []query.SortKey
}

var admitArenas sync.Pool

// Dropped is how many of the experiments added were dropped, as they were not among the first limit.
func (s *Sorter) Dropped() int { return s.dropped }

// Sorted returns the experiments added, sorted. Integer keys are sorted a part per core, then merged.
func (s *Sorter) Sorted() []*gitstore.Experiment {
	parts := []*matches{s.c}
	if workers := min(runtime.GOMAXPROCS(0), 8); s.c.numeric && len(s.exps) >= parallelMin && workers > 1 {
		parts = parts[:0]
		if nums := s.c.nums; len(nums) == 1 { // one list (Grow): a part of it per core
			for k := range workers {
				parts = append(parts, &matches{numeric: true, nums: [][]numericItem{nums[0][len(nums[0])*k/workers : len(nums[0])*(k+1)/workers]}})
			}
		} else {
			per := (len(nums) + workers - 1) / workers
			for lo := 0; lo < len(nums); lo += per {
				parts = append(parts, &matches{numeric: true, nums: nums[lo:min(lo+per, len(nums))]})
			}
		}
	}
	return sortMatches(parts, false, s.exps, s.names, s.desc)
}

// matches are the experiments one core matched, with their sort keys, in blocks (not slices grown by copies: the
// collector is off for readers, and growing by a quarter at a time left 4 times the matches behind).
type matches struct {
	numeric bool
	nums    [][]numericItem // while numeric
	items   [][]sortItem    // once not
	arena   []query.SortKey // of items' keys
}

const matchBlock = 4096

func (c *matches) addNumeric(x numericItem) {
	if len(c.nums) == 0 || len(c.nums[len(c.nums)-1]) == cap(c.nums[len(c.nums)-1]) {
		c.nums = append(c.nums, make([]numericItem, 0, matchBlock))
	}
	c.nums[len(c.nums)-1] = append(c.nums[len(c.nums)-1], x)
}

// addItem adds e (the experiment of src) with its keys prepared for any kind of comparison.
func (c *matches) addItem(src *source, e *gitstore.Experiment, names []string) {
	c.addSorted(prepareItem(&c.arena, src, e, names))
}

// addSorted adds it, whose keys are prepared.
func (c *matches) addSorted(it sortItem) {
	if len(c.items) == 0 || len(c.items[len(c.items)-1]) == matchBlock {
		c.items = append(c.items, make([]sortItem, 0, matchBlock))
	}
	c.items[len(c.items)-1] = append(c.items[len(c.items)-1], it)
}

// prepareItem is e (the experiment of src) with its keys prepared, into *arena.
func prepareItem(arena *[]query.SortKey, src *source, e *gitstore.Experiment, names []string) sortItem {
	it := sortItem{e: e}
	if nk := len(names); nk > 0 {
		if len(*arena)+nk > cap(*arena) {
			*arena = make([]query.SortKey, 0, 1024*nk)
		}
		rec := query.Record{Source: src}
		for _, name := range names {
			v, _ := query.Lookup(rec, name)
			*arena = append(*arena, query.MakeSortKey(v))
		}
		a := *arena
		it.keys = a[len(a)-nk : len(a) : len(a)]
	}
	return it
}

// toGeneral prepares the keys of the numeric items so far for any kind of comparison (a key that is not a number
// came, here or on another core), looking them up again.
func (c *matches) toGeneral(exps []*gitstore.Experiment, names []string) {
	if !c.numeric {
		return
	}
	c.numeric = false
	var src source
	for _, b := range c.nums {
		for _, x := range b {
			e := exps[x.pos]
			src.reset(e)
			c.addItem(&src, e, names)
		}
	}
	c.nums = nil
}

// numericItemOf is the numericItem of the experiment of src, at position pos of the listing; false when one of its
// keys is not a number, NaN or missing.
func numericItemOf(src *source, names []string, desc []bool, pos int) (numericItem, bool) {
	x := numericItem{pos: uint32(pos)}
	rec := query.Record{Source: src}
	for k, name := range names {
		v, _ := query.Lookup(rec, name)
		sk := query.MakeSortKey(v)
		key, ok := numericKey(&sk, desc[k])
		if !ok {
			return x, false
		}
		x.k[k] = key
	}
	return x, true
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

// compareKeys compares prepared sort keys (desc[k] when key k is descending): missing values last whatever the
// direction, then NaN. 0 is a tie.
func compareKeys(a, b []query.SortKey, desc []bool) int {
	for k := range desc {
		ka, kb := &a[k], &b[k]
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
	return 0
}

// sortGeneral sorts items by their prepared keys (desc[k] when the key is descending): missing values last whatever
// the direction, then NaN, then newest first. Large sets are sorted in two halves at once, then merged. When the
// items come newest first (a listing's order, checked), ties are broken by their places: a sort by a key many share
// (a name, a string parameter) compared the creation times and ids of two experiments far apart in memory at almost
// every step.
func sortGeneral(items []sortItem, desc []bool) {
	newest := len(items) <= math.MaxUint32 && slices.IsSortedFunc(items, func(a, b sortItem) int { return gitstore.CompareNewest(a.e, b.e) })
	if newest {
		for i := range items {
			items[i].pos = uint32(i)
		}
	}
	cmp := func(a, b sortItem) int {
		if c := compareKeys(a.keys, b.keys, desc); c != 0 {
			return c
		}
		if newest {
			return cmpOrdered(a.pos, b.pos)
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

// sortNumeric returns the experiments of parts (matches whose keys are all numeric, in the order of exps) sorted
// as sortGeneral sorts them: each key is one integer whose order is the listing's (numbers by value in the key's
// direction, then NaN, then missing; numericKey), so that comparing two items compares a few integers; which is what
// sorts by parameters and results mostly are. Ties are broken newest first: by the items' place in exps when the
// matches come newest first (the cache's order, checked), else by CompareNewest. Each part is sorted on its core,
// then they are merged. Sorting 250,000 of 1,000,000 by two keys with the general comparison took ~1 s of CPU,
// mostly on ties.
func sortNumeric(parts []*matches, exps []*gitstore.Experiment, desc []bool) []*gitstore.Experiment {
	nk := len(desc)
	runs := make([][]numericItem, len(parts))
	n := 0
	for p, c := range parts {
		if len(c.nums) == 1 {
			runs[p] = c.nums[0] // sorted in place
		} else {
			runs[p] = slices.Concat(c.nums...)
		}
		n += len(runs[p])
	}
	out := make([]*gitstore.Experiment, 0, n) // the matches in the order of exps, then sorted
	for _, r := range runs {
		for _, x := range r {
			out = append(out, exps[x.pos])
		}
	}
	newest := slices.IsSortedFunc(out, gitstore.CompareNewest)
	cmp := func(a, b numericItem) int {
		for k := 0; k < nk; k++ {
			if a.k[k] != b.k[k] {
				if a.k[k] < b.k[k] {
					return -1
				}
				return 1
			}
		}
		if !newest {
			if c := gitstore.CompareNewest(exps[a.pos], exps[b.pos]); c != 0 {
				return c
			}
		}
		return cmpOrdered(a.pos, b.pos)
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() { slices.SortFunc(r, cmp) })
	}
	wg.Wait()
	out = out[:0]
	for { // merge the runs: a few, one per core
		best := -1
		for p, r := range runs {
			if len(r) > 0 && (best < 0 || cmp(r[0], runs[best][0]) < 0) {
				best = p
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, exps[runs[best][0].pos])
		runs[best] = runs[best][1:]
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
