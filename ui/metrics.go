package ui

import (
	"bytes"
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
)

// extreme is one point of a metric: its rank among the metric's points (to put a bucket's points in order), its
// step, its value and its time as logged (parsed only for the points shown).
type extreme struct {
	rank      int64
	step, val float64
	timeStr   string
}

// seconds is the point's time in seconds since the epoch, NaN when none was logged.
func (x *extreme) seconds() float64 {
	if x.timeStr != "" {
		if t, err := time.Parse(time.RFC3339Nano, x.timeStr); err == nil {
			return float64(t.UnixMilli()) / 1000
		}
	}
	return math.NaN()
}

// bucket is a run of consecutive points of one metric: its first and last points, and its minimum and maximum
// (NaN left out; finite says whether there are any).
type bucket struct {
	n                   int64
	first, last, lo, hi extreme
	finite              bool
}

func (b *bucket) add(x extreme) {
	if b.n == 0 {
		b.first = x
	}
	b.n++
	b.last = x
	if math.IsNaN(x.val) {
		return
	}
	if !b.finite {
		b.lo, b.hi, b.finite = x, x, true
		return
	}
	if x.val < b.lo.val {
		b.lo = x
	}
	if x.val > b.hi.val {
		b.hi = x
	}
}

// replaceLast gives the bucket's last point a later value logged for the same step (a spool read on after part of
// that step's lines). Where the old value was the bucket's minimum or maximum, the new one stands in its place.
func (b *bucket) replaceLast(x extreme) {
	x.rank = b.last.rank
	if b.n == 1 {
		*b = bucket{}
		b.add(x)
		return
	}
	if b.first.rank == x.rank {
		b.first = x
	}
	b.last = x
	if math.IsNaN(x.val) {
		return
	}
	switch {
	case !b.finite:
		b.lo, b.hi, b.finite = x, x, true
	case b.lo.rank == x.rank || x.val < b.lo.val:
		b.lo = x
	case b.hi.rank == x.rank || x.val > b.hi.val:
		b.hi = x
	}
}

// merge adds o, the bucket that follows b.
func (b *bucket) merge(o *bucket) {
	if o.n == 0 {
		return
	}
	if b.n == 0 {
		*b = *o
		return
	}
	b.n += o.n
	b.last = o.last
	if !o.finite {
		return
	}
	if !b.finite {
		b.lo, b.hi, b.finite = o.lo, o.hi, true
		return
	}
	if o.lo.val < b.lo.val {
		b.lo = o.lo
	}
	if o.hi.val > b.hi.val {
		b.hi = o.hi
	}
}

// thinner thins one metric's points as they stream by, in memory that depends on the resolution asked for only:
// the points go into at most 2*half buckets of `width` consecutive points, and when those are full, pairs of
// buckets merge and the width doubles. While there are no more than 2*half points, every bucket is one point.
type thinner struct {
	half    int
	width   int64
	buckets []bucket
	total   int64
}

func newThinner(half int) *thinner {
	return &thinner{half: max(1, half), width: 1}
}

func (t *thinner) add(x extreme) {
	if n := len(t.buckets); n > 0 && t.buckets[n-1].last.step == x.step {
		t.buckets[n-1].replaceLast(x)
		return
	}
	x.rank = t.total
	t.total++
	if n := len(t.buckets); n > 0 && t.buckets[n-1].n < t.width {
		t.buckets[n-1].add(x)
		return
	}
	if len(t.buckets) == 2*t.half {
		for i := range t.half {
			a := t.buckets[2*i]
			a.merge(&t.buckets[2*i+1])
			t.buckets[i] = a
		}
		clear(t.buckets[t.half:])
		t.buckets = t.buckets[:t.half]
		t.width *= 2
	}
	t.buckets = append(t.buckets, bucket{})
	t.buckets[len(t.buckets)-1].add(x)
}

// exact reports whether every bucket is a single point (nothing was thinned yet).
func (t *thinner) exact() bool { return t.width == 1 }

// inRange returns the buckets whose points all lie between the steps from and to.
func (t *thinner) inRange(from, to float64) []bucket {
	lo, _ := slices.BinarySearchFunc(t.buckets, from, func(b bucket, s float64) int {
		if b.first.step < s {
			return -1
		}
		return 1
	})
	hi, _ := slices.BinarySearchFunc(t.buckets, to, func(b bucket, s float64) int {
		if b.last.step <= s {
			return -1
		}
		return 1
	})
	if hi < lo {
		return nil
	}
	return t.buckets[lo:hi]
}

// pick chooses the points that stand for the buckets bs (consecutive) in about 2*half points: the buckets are
// merged into at most half groups, and each gives its minimum and maximum, in order (a group of NaN only gives its
// first point, to show the gap); the first and the last points are kept. Spikes survive; with no more points than
// asked for, every point is shown.
func pick(bs []bucket, half int) []extreme {
	if len(bs) == 0 {
		return nil
	}
	group := (len(bs) + half - 1) / half
	out := make([]extreme, 0, 2*min(len(bs), half)+2)
	push := func(x extreme) {
		if len(out) == 0 || x.rank > out[len(out)-1].rank {
			out = append(out, x)
		}
	}
	push(bs[0].first)
	for i := 0; i < len(bs); i += group {
		g := bs[i]
		for j := i + 1; j < min(i+group, len(bs)); j++ {
			g.merge(&bs[j])
		}
		if !g.finite {
			push(g.first)
			continue
		}
		a, c := g.lo, g.hi
		if c.rank < a.rank {
			a, c = c, a
		}
		push(a)
		push(c)
	}
	push(bs[len(bs)-1].last)
	return out
}

// summaryHalf is the resolution of the summary kept of a metric series: up to 2*summaryHalf buckets (~200 bytes
// each) per metric, whatever the series' length. A chart up to summaryHalf points wide is drawn from it, and so is a
// zoom while it still covers that many buckets; a deeper zoom reads the file again. A series of many metrics gets a
// coarser summary, so that one summary stays within summaryBytes.
const (
	summaryHalf  = 2048
	summaryBytes = 16 << 20
)

// summaryHalfFor is the summary's resolution for n metrics.
func summaryHalfFor(n int) int {
	return max(256, min(summaryHalf, summaryBytes/(400*max(1, n))))
}

// summary is one pass over an experiment's metrics file: every metric name, and the thinners of the metrics asked
// for (all: every metric, those that appear later too). A running experiment's spool is read on from off as it
// grows, as long as its steps do not go back (a later line of the last step replaces that step's value; where the
// value was a bucket's minimum or maximum, that stays until the bucket merges).
type summary struct {
	mu       sync.Mutex // held while the summary is read on or drawn from
	names    []string
	metrics  map[string]*thinner
	order    []named // the thinners, to look each metric up in a point
	all      bool
	half     int // the resolution of the thinners
	spool    string
	off      int64
	lastStep int64
}

func (sm *summary) size() int {
	n := 64
	for _, t := range sm.metrics {
		n += 200 * cap(t.buckets)
	}
	return n
}

// add adds one point of the series to the thinners.
func (sm *summary) add(p exp.Point, from, to float64) {
	step := float64(p.Step)
	if step < from || step > to {
		return
	}
	found := 0
	for _, w := range sm.order {
		if v, ok := p.Values[w.name]; ok {
			found++
			w.add(step, v, p.Time)
		}
	}
	if !sm.all || found == len(p.Values) {
		return
	}
	for k, v := range p.Values { // a metric that appears only now, in a spool read on
		if sm.metrics[k] != nil {
			continue
		}
		if i, found := slices.BinarySearch(sm.names, k); !found {
			sm.names = slices.Insert(sm.names, i, k)
		}
		w := sm.track(k, sm.half)
		w.add(step, v, p.Time)
	}
}

// named is a metric's thinner.
type named struct {
	name string
	*thinner
}

// add adds a numeric value (strings, booleans and nested values are not charted).
func (w named) add(step float64, v any, tm string) {
	if f, ok := exp.Float(v); ok {
		w.thinner.add(extreme{step: step, val: f, timeStr: tm})
	}
}

// track starts a thinner for a metric.
func (sm *summary) track(name string, half int) named {
	w := named{name, newThinner(half)}
	sm.metrics[name] = w.thinner
	sm.order = append(sm.order, w)
	return w
}

// errPastRange stops a reading once the steps have passed the range asked for.
var errPastRange = errors.New("past the range")

// scanSeries reads a metrics series once (exp.Series: in memory independent of its length, merged by step as
// everywhere else) into a thinner of resolution half for each metric wanted (nil: all), keeping the points between
// the steps from and to. half 0: a summary's resolution (summaryHalfFor).
func scanSeries(sr *exp.Series, want []string, half int, from, to float64) (*summary, error) {
	sm := &summary{names: slices.Clone(sr.Names()), metrics: map[string]*thinner{}, all: want == nil, half: half}
	if want == nil {
		want = sm.names
	}
	if half <= 0 {
		sm.half = summaryHalfFor(len(want))
	}
	half = sm.half
	for _, name := range want {
		if slices.Contains(sm.names, name) && sm.metrics[name] == nil {
			sm.track(name, half)
		}
	}
	all := sm.all
	sm.all = false // the names are known: only a spool read on adds new ones
	ordered := sr.Ordered()
	err := sr.Each(func(p exp.Point) error {
		if float64(p.Step) > to && ordered {
			return errPastRange
		}
		sm.add(p, from, to)
		sm.lastStep = p.Step
		return nil
	})
	if err != nil && !errors.Is(err, errPastRange) {
		return nil, err
	}
	sm.all = all
	return sm, nil
}

// completeLines returns the length of f's complete lines (up to its last newline) among its first size bytes.
func completeLines(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// readSpool reads the spool file of a running experiment: the whole of it (its complete lines) when sm is nil, else
// what was appended since sm read it. It returns nil (and no error) when the steps went back: read it whole again.
func readSpool(path string, sm *summary, want []string) (*summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	end, err := completeLines(f, fi.Size())
	if err != nil {
		return nil, err
	}
	if sm == nil {
		sr, err := exp.ScanMetrics(func() (io.ReadCloser, error) {
			return io.NopCloser(io.NewSectionReader(f, 0, end)), nil
		})
		if err != nil {
			return nil, err
		}
		if sm, err = scanSeries(sr, want, 0, math.Inf(-1), math.Inf(1)); err != nil {
			return nil, err
		}
		sm.spool, sm.off = path, end
		return sm, nil
	}
	if end <= sm.off {
		return sm, nil
	}
	sc := exp.NewMetricsScanner(io.NewSectionReader(f, sm.off, end-sm.off))
	for sc.Scan() {
		p := sc.Point()
		if p.Step < sm.lastStep {
			return nil, nil
		}
		sm.add(p, math.Inf(-1), math.Inf(1))
		sm.lastStep = p.Step
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sm.off = end
	return sm, nil
}

// seriesJSON is one metric in the API's answer.
func seriesJSON(pts []extreme, total int64) map[string]any {
	steps, times, vals := make([]any, len(pts)), make([]any, len(pts)), make([]any, len(pts))
	for j := range pts {
		x := &pts[j]
		steps[j], vals[j] = x.step, num(x.val)
		if sec := x.seconds(); !math.IsNaN(sec) {
			times[j] = sec
		}
	}
	return map[string]any{"total": total, "shown": len(pts), "step": steps, "time": times, "value": vals}
}

// lru keeps values by key up to a budget of bytes, the least recently used going first.
type lru struct {
	mu     sync.Mutex
	budget int
	used   int
	order  *list.List // of *lruEntry, most recent first
	byKey  map[string]*list.Element
}

type lruEntry struct {
	key  string
	val  any
	size int
}

func newLRU(budget int) *lru {
	return &lru{budget: budget, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *lru) get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.byKey[key]
	if el == nil {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry).val
}

func (c *lru) put(key string, val any, size int) {
	size += len(key)
	if size > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byKey[key]; el != nil {
		c.order.Remove(el)
		c.used -= el.Value.(*lruEntry).size
	}
	c.byKey[key] = c.order.PushFront(&lruEntry{key, val, size})
	c.used += size
	for c.used > c.budget {
		el := c.order.Back()
		old := el.Value.(*lruEntry)
		c.order.Remove(el)
		delete(c.byKey, old.key)
		c.used -= old.size
	}
}

// metricsCache is what the server keeps of the metrics it charted: summaries of the series (bounded per metric) and
// the answers given, each within a budget of bytes.
type metricsCache struct {
	summaries *lru
	answers   *lru
	building  sync.Map // summary key → *sync.Mutex: one reading of a file at a time
}

func newMetricsCache() *metricsCache {
	return &metricsCache{summaries: newLRU(48 << 20), answers: newLRU(8 << 20)}
}

// metricSource names what an experiment's metrics are read from now: its stored file (by the experiment's tree,
// which changes with it), or, while it runs on this machine, its spool file (by size and time, which change as it
// grows).
func (s *Server) metricSource(e *gitstore.Experiment) string {
	if e.Status == gitstore.StatusRunning {
		if fi, err := os.Stat(s.st.SpoolFor(e.ID).Metrics); err == nil {
			return fmt.Sprintf("spool:%d:%d", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return "tree:" + e.TreeOID
}

// metricsAnswer is the series part of /api/experiments/{id}/metrics: each metric wanted (nil: all) thinned to about
// n points between the steps from and to, and every metric's name. The first request for a file reads it once into
// a summary (summaryHalfFor); later ones, other widths and moderate zooms are drawn from it; a zoom deeper than the
// summary reads the file again for that range only. The same request again is answered from the answers kept.
func (s *Server) metricsAnswer(x *results.Experiment, e *gitstore.Experiment, want []string, n int, from, to float64) (names []string, series json.RawMessage, err error) {
	type answer struct {
		names  []string
		series json.RawMessage
	}
	key := fmt.Sprint(e.ID, "\x00", s.metricSource(e), "\x00", strings.Join(want, ","), "\x00", n, "\x00", from, "\x00", to)
	if a, ok := s.metricsCache.answers.get(key).(*answer); ok {
		return a.names, a.series, nil
	}
	sm, err := s.summaryOf(x, e, want)
	if err != nil {
		return nil, nil, err
	}
	sm.mu.Lock()
	names = slices.Clone(sm.names)
	half := max(1, n/2)
	out := map[string]any{}
	var deep []string // metrics whose zoomed range the summary does not hold in enough detail
	for name, t := range sm.metrics {
		if want != nil && !slices.Contains(want, name) {
			continue
		}
		bs := t.buckets
		if !math.IsInf(from, -1) || !math.IsInf(to, 1) {
			bs = t.inRange(from, to)
		}
		if !t.exact() && len(bs) < half {
			deep = append(deep, name)
			continue
		}
		var total int64
		for i := range bs {
			total += bs[i].n
		}
		if total > 0 {
			out[name] = seriesJSON(pick(bs, half), total)
		}
	}
	sm.mu.Unlock()
	if len(deep) > 0 {
		sr, err := x.Series() // the spool while it runs here, else the stored file
		if err != nil {
			return nil, nil, err
		}
		zoom, err := scanSeries(sr, deep, half, from, to)
		if err != nil {
			return nil, nil, err
		}
		for name, t := range zoom.metrics {
			if t.total > 0 {
				out[name] = seriesJSON(pick(t.buckets, half), t.total)
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, nil, err
	}
	s.metricsCache.answers.put(key, &answer{names, b}, len(b)+16*len(names))
	return names, b, nil
}

// summaryOf returns the summary of the experiment's metrics (want: the metrics asked for, nil for all), reading its
// file if it is not kept, or reading on what a running experiment appended to its spool since. One reading of a file
// at a time: requests for it meanwhile wait for that one.
func (s *Server) summaryOf(x *results.Experiment, e *gitstore.Experiment, want []string) (*summary, error) {
	c := s.metricsCache
	spool := ""
	if e.Status == gitstore.StatusRunning {
		if p := s.st.SpoolFor(e.ID).Metrics; fileExists(p) {
			spool = p
		}
	}
	key := e.ID + "\x00" + strings.Join(want, ",") + "\x00"
	if spool != "" {
		key += "spool"
	} else {
		key += "tree:" + e.TreeOID
	}
	mu, _ := c.building.LoadOrStore(key, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	defer c.building.Delete(key)
	sm, _ := c.summaries.get(key).(*summary)
	if sm != nil && spool == "" {
		return sm, nil
	}
	var err error
	if spool != "" {
		if old := sm; old != nil {
			old.mu.Lock()
			sm, err = readSpool(spool, old, want)
			old.mu.Unlock()
		}
		if sm == nil && err == nil {
			sm, err = readSpool(spool, nil, want)
		}
		if errors.Is(err, os.ErrNotExist) { // the run ended meanwhile: its stored file
			sm, err = nil, nil
			spool = ""
		}
	}
	if sm == nil && err == nil {
		var sr *exp.Series
		if sr, err = x.Series(); err == nil {
			sm, err = scanSeries(sr, want, 0, math.Inf(-1), math.Inf(1))
		}
	}
	if err != nil {
		return nil, err
	}
	sm.mu.Lock() // another request may be reading it on already
	size := sm.size()
	sm.mu.Unlock()
	c.summaries.put(key, sm, size)
	return sm, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// num is a number in the API's JSON: non-finite ones as strings.
func num(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return safe(f)
	}
	return f
}
