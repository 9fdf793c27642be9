package ui

import (
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
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

// extreme is one point of a series: its step, its time (as logged; seconds since the epoch once parsed, NaN when
// not logged) and its value, with its rank among the points of its metric (to put a bucket's points in order).
type extreme struct {
	rank            int64
	step, time, val float64
	timeStr         string
	parsed          bool
}

// seconds is the point's time in seconds, parsed once and only for the points that are shown.
func (x *extreme) seconds() float64 {
	if !x.parsed {
		x.parsed, x.time = true, math.NaN()
		if x.timeStr != "" {
			if t, err := time.Parse(time.RFC3339Nano, x.timeStr); err == nil {
				x.time = float64(t.UnixMilli()) / 1000
			}
		}
	}
	return x.time
}

// bucket is a run of consecutive points of one metric: its first point, and its minimum and maximum (NaN left out).
type bucket struct {
	n             int64
	first, lo, hi extreme
	finite        bool // lo and hi are set
}

func (b *bucket) add(x extreme) {
	if b.n == 0 {
		b.first = x
	}
	b.n++
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

func (b *bucket) merge(o *bucket) {
	if o.n == 0 {
		return
	}
	if b.n == 0 {
		*b = *o
		return
	}
	b.n += o.n
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

// thinner thins one metric's points as they stream by, in memory that depends on the number of points asked for
// only: the points are cut into at most 2*half buckets of `width` consecutive points, and when those are full, pairs
// of buckets merge and the width doubles. At the end every bucket gives its minimum and its maximum, in order (a
// bucket of NaN only gives its first point, to show the gap), and the first and last points are kept: the shape of
// the series, spikes included, in about 2*half points.
type thinner struct {
	half    int
	width   int64
	buckets []bucket
	total   int64
	last    extreme
}

func newThinner(points int) *thinner {
	return &thinner{half: max(1, points/2), width: 1}
}

func (t *thinner) add(x extreme) {
	x.rank = t.total
	t.total++
	t.last = x
	if n := len(t.buckets); n > 0 && t.buckets[n-1].n < t.width {
		t.buckets[n-1].add(x)
		return
	}
	if len(t.buckets) == 2*t.half {
		for i := 0; i < t.half; i++ {
			a := t.buckets[2*i]
			a.merge(&t.buckets[2*i+1])
			t.buckets[i] = a
		}
		t.buckets = t.buckets[:t.half]
		t.width *= 2
		if t.buckets[t.half-1].n < t.width {
			t.buckets[t.half-1].add(x)
			return
		}
	}
	t.buckets = append(t.buckets, bucket{})
	t.buckets[len(t.buckets)-1].add(x)
}

// points returns the chosen points in order.
func (t *thinner) points() []*extreme {
	if t.total == 0 {
		return nil
	}
	bs := t.buckets
	if t.total <= int64(2*t.half) {
		// Few enough to show every point: the buckets hold one point each.
		out := make([]*extreme, len(bs))
		for i := range bs {
			out[i] = &bs[i].first
		}
		return out
	}
	// Between half and 2*half buckets: merge them down to at most half, so that about 2*half points are shown.
	group := (len(bs) + t.half - 1) / t.half
	merged := make([]bucket, 0, t.half)
	for i := 0; i < len(bs); i += group {
		b := bs[i]
		for j := i + 1; j < min(i+group, len(bs)); j++ {
			b.merge(&bs[j])
		}
		merged = append(merged, b)
	}
	out := make([]*extreme, 0, 2*len(merged)+2)
	push := func(x *extreme) {
		if len(out) == 0 || x.rank > out[len(out)-1].rank {
			out = append(out, x)
		}
	}
	push(&merged[0].first)
	for i := range merged {
		b := &merged[i]
		if !b.finite {
			push(&b.first)
			continue
		}
		a, c := &b.lo, &b.hi
		if c.rank < a.rank {
			a, c = c, a
		}
		push(a)
		push(c)
	}
	push(&t.last)
	return out
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

// errPastRange stops a reading once the steps have passed the range asked for.
var errPastRange = errors.New("past the range")

// thinMetrics reads the experiment's metric series once, through exp.Series (in memory independent of its length),
// and thins each metric wanted to about n points between the steps from and to. It returns every metric's name and
// the series as the API's JSON.
func thinMetrics(x *results.Experiment, want []string, n int, from, to float64) (names []string, series json.RawMessage, err error) {
	sr, err := x.Series()
	if err != nil {
		return nil, nil, err
	}
	names = sr.Names()
	if len(want) == 0 {
		want = names
	}
	type wanted struct {
		name string
		t    *thinner
	}
	var thinners []wanted
	for _, name := range want {
		if slices.Contains(names, name) && !slices.ContainsFunc(thinners, func(w wanted) bool { return w.name == name }) {
			thinners = append(thinners, wanted{name, newThinner(n)})
		}
	}
	ordered := sr.Ordered()
	err = sr.Each(func(p exp.Point) error {
		step := float64(p.Step)
		if step > to && ordered {
			return errPastRange
		}
		if step < from || step > to {
			return nil
		}
		for _, w := range thinners {
			v, ok := p.Values[w.name]
			if !ok {
				continue
			}
			f, ok := exp.Float(v)
			if !ok {
				continue // strings, booleans and nested values are not charted
			}
			w.t.add(extreme{step: step, val: f, timeStr: p.Time})
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPastRange) {
		return nil, nil, err
	}
	out := map[string]any{}
	for _, w := range thinners {
		name, t := w.name, w.t
		if t.total == 0 {
			continue
		}
		pts := t.points()
		steps, times, vals := make([]any, len(pts)), make([]any, len(pts)), make([]any, len(pts))
		for j, x := range pts {
			steps[j], vals[j] = x.step, num(x.val)
			if sec := x.seconds(); !math.IsNaN(sec) {
				times[j] = sec
			}
		}
		out[name] = map[string]any{"total": t.total, "shown": len(pts), "step": steps, "time": times, "value": vals}
	}
	b, err := json.Marshal(out)
	return names, b, err
}

// answerCache keeps the latest thinned answers (a chart asks for the same ones again as pages are revisited), up to
// a budget of bytes.
type answerCache struct {
	mu     sync.Mutex
	budget int
	used   int
	order  *list.List // of *cachedAnswer, most recent first
	byKey  map[string]*list.Element
}

type cachedAnswer struct {
	key    string
	names  []string
	series json.RawMessage
}

func newAnswerCache(budget int) *answerCache {
	return &answerCache{budget: budget, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *answerCache) get(key string) *cachedAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.byKey[key]
	if el == nil {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*cachedAnswer)
}

func (c *answerCache) put(a *cachedAnswer) {
	size := len(a.series) + len(a.key) + 16*len(a.names)
	if size > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byKey[a.key]; el != nil {
		return
	}
	c.byKey[a.key] = c.order.PushFront(a)
	c.used += size
	for c.used > c.budget {
		el := c.order.Back()
		old := el.Value.(*cachedAnswer)
		c.order.Remove(el)
		delete(c.byKey, old.key)
		c.used -= len(old.series) + len(old.key) + 16*len(old.names)
	}
}

// metricsAnswer is what /api/experiments/{id}/metrics returns: from the cache when the same answer was given for
// the same file, else read anew.
func (s *Server) metricsAnswer(x *results.Experiment, e *gitstore.Experiment, want []string, n int, from, to float64) (*cachedAnswer, error) {
	key := strings.Join([]string{e.ID, s.metricSource(e), strings.Join(want, ","), fmt.Sprint(n), fmt.Sprint(from), fmt.Sprint(to)}, "\x00")
	if a := s.answers.get(key); a != nil {
		return a, nil
	}
	names, series, err := thinMetrics(x, want, n, from, to)
	if err != nil {
		return nil, err
	}
	a := &cachedAnswer{key: key, names: names, series: series}
	s.answers.put(a)
	return a, nil
}

// num is a number in the API's JSON: non-finite ones as strings.
func num(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return safe(f)
	}
	return f
}
