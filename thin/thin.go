// Package thin summarises metric series for charts: a thinner keeps a bounded number of buckets of consecutive
// points of one metric (each bucket's first, last, minimum and maximum point), whatever the series' length, and Pick
// draws a chart of any width up to that resolution from them. The web UI reads a series into a Summary (one
// thinner per metric) on its first request; the end of a run stores the same Summary beside a long metrics file
// (FileName, see stored.go), so that a first chart needs no reading of the series. Derived makes both files a run's
// end (and an import) derives from its metrics file: that one and metrics.summary.json.
//
// A leaf above exp and value: the run lifecycle and the UI both use it.
package thin

import (
	"errors"
	"math"
	"slices"
	"time"

	"github.com/git-exp/git-exp/exp"
)

// Extreme is one point of a metric: its rank among the metric's points (to put a bucket's points in order), its
// step, its value and its time as logged (parsed only for the points shown), or, read from a stored summary, that
// time in seconds (sec, when timed).
type Extreme struct {
	Rank      int64
	Step, Val float64
	Time      string
	sec       float64
	timed     bool
}

// Seconds is the point's time in seconds since the epoch (to the millisecond), NaN when none was logged.
func (x *Extreme) Seconds() float64 {
	if x.timed {
		return x.sec
	}
	if x.Time != "" {
		if t, err := time.Parse(time.RFC3339Nano, x.Time); err == nil {
			return float64(t.UnixMilli()) / 1000
		}
	}
	return math.NaN()
}

// Bucket is a run of consecutive points of one metric: its first and last points, and its minimum and maximum
// (NaN left out; Finite says whether there are any).
type Bucket struct {
	N                   int64
	First, Last, Lo, Hi Extreme
	Finite              bool
}

func (b *Bucket) add(x Extreme) {
	if b.N == 0 {
		b.First = x
	}
	b.N++
	b.Last = x
	if math.IsNaN(x.Val) {
		return
	}
	if !b.Finite {
		b.Lo, b.Hi, b.Finite = x, x, true
		return
	}
	if x.Val < b.Lo.Val {
		b.Lo = x
	}
	if x.Val > b.Hi.Val {
		b.Hi = x
	}
}

// replaceLast gives the bucket's last point a later value logged for the same step (a spool read on after part of
// that step's lines). Where the old value was the bucket's minimum or maximum, the new one stands in its place.
func (b *Bucket) replaceLast(x Extreme) {
	x.Rank = b.Last.Rank
	if b.N == 1 {
		*b = Bucket{}
		b.add(x)
		return
	}
	if b.First.Rank == x.Rank {
		b.First = x
	}
	b.Last = x
	if math.IsNaN(x.Val) {
		return
	}
	switch {
	case !b.Finite:
		b.Lo, b.Hi, b.Finite = x, x, true
	case b.Lo.Rank == x.Rank || x.Val < b.Lo.Val:
		b.Lo = x
	case b.Hi.Rank == x.Rank || x.Val > b.Hi.Val:
		b.Hi = x
	}
}

// Merge adds o, the bucket that follows b.
func (b *Bucket) Merge(o *Bucket) {
	if o.N == 0 {
		return
	}
	if b.N == 0 {
		*b = *o
		return
	}
	b.N += o.N
	b.Last = o.Last
	if !o.Finite {
		return
	}
	if !b.Finite {
		b.Lo, b.Hi, b.Finite = o.Lo, o.Hi, true
		return
	}
	if o.Lo.Val < b.Lo.Val {
		b.Lo = o.Lo
	}
	if o.Hi.Val > b.Hi.Val {
		b.Hi = o.Hi
	}
}

// Thinner thins one metric's points as they stream by, in memory that depends on the resolution asked for only:
// the points go into at most 2*half buckets of `width` consecutive points, and when those are full, pairs of
// buckets merge and the width doubles. While there are no more than 2*half points, every bucket is one point.
// Every bucket but the last holds exactly width points.
type Thinner struct {
	half    int
	width   int64
	Buckets []Bucket
	Total   int64
}

// NewThinner returns a thinner of at most 2*half buckets.
func NewThinner(half int) *Thinner {
	return &Thinner{half: max(1, half), width: 1}
}

// Add adds the metric's next point (a later value of the last step replaces that step's value).
func (t *Thinner) Add(x Extreme) {
	if n := len(t.Buckets); n > 0 && t.Buckets[n-1].Last.Step == x.Step {
		t.Buckets[n-1].replaceLast(x)
		return
	}
	x.Rank = t.Total
	t.Total++
	if n := len(t.Buckets); n > 0 && t.Buckets[n-1].N < t.width {
		t.Buckets[n-1].add(x)
		return
	}
	if len(t.Buckets) == 2*t.half {
		for i := range t.half {
			a := t.Buckets[2*i]
			a.Merge(&t.Buckets[2*i+1])
			t.Buckets[i] = a
		}
		clear(t.Buckets[t.half:])
		t.Buckets = t.Buckets[:t.half]
		t.width *= 2
	}
	t.Buckets = append(t.Buckets, Bucket{})
	t.Buckets[len(t.Buckets)-1].add(x)
}

// Exact reports whether every bucket is a single point (nothing was thinned yet).
func (t *Thinner) Exact() bool { return t.width == 1 }

// InRange returns the buckets whose points all lie between the steps from and to.
func (t *Thinner) InRange(from, to float64) []Bucket {
	lo, _ := slices.BinarySearchFunc(t.Buckets, from, func(b Bucket, s float64) int {
		if b.First.Step < s {
			return -1
		}
		return 1
	})
	hi, _ := slices.BinarySearchFunc(t.Buckets, to, func(b Bucket, s float64) int {
		if b.Last.Step <= s {
			return -1
		}
		return 1
	})
	if hi < lo {
		return nil
	}
	return t.Buckets[lo:hi]
}

// Pick chooses the points that stand for the buckets bs (consecutive) in about 2*half points: the buckets are
// merged into at most half groups, and each gives its minimum and maximum, in order (a group of NaN only gives its
// first point, to show the gap); the first and the last points are kept. Spikes survive; with no more points than
// asked for, every point is shown.
func Pick(bs []Bucket, half int) []Extreme {
	if len(bs) == 0 {
		return nil
	}
	group := (len(bs) + half - 1) / half
	out := make([]Extreme, 0, 2*min(len(bs), half)+2)
	push := func(x Extreme) {
		if len(out) == 0 || x.Rank > out[len(out)-1].Rank {
			out = append(out, x)
		}
	}
	push(bs[0].First)
	for i := 0; i < len(bs); i += group {
		g := bs[i]
		for j := i + 1; j < min(i+group, len(bs)); j++ {
			g.Merge(&bs[j])
		}
		if !g.Finite {
			push(g.First)
			continue
		}
		a, c := g.Lo, g.Hi
		if c.Rank < a.Rank {
			a, c = c, a
		}
		push(a)
		push(c)
	}
	push(bs[len(bs)-1].Last)
	return out
}

// Half is the resolution of the summary kept of a metric series: up to 2*Half buckets (~200 bytes each in memory)
// per metric, whatever the series' length. A chart up to Half points wide is drawn from it, and so is a zoom while
// it still covers that many buckets; a deeper zoom reads the file again. A series of many metrics gets a coarser
// summary, so that one summary stays within summaryBytes.
const (
	Half         = 2048
	summaryBytes = 16 << 20
)

// HalfFor is the summary's resolution for n metrics.
func HalfFor(n int) int {
	return max(256, min(Half, summaryBytes/(400*max(1, n))))
}

// Summary is one pass over an experiment's metrics: every metric name, and the thinners of the metrics asked for
// (All: every metric, those that appear later too — a running experiment's spool read on as it grows).
type Summary struct {
	Names    []string
	Metrics  map[string]*Thinner
	order    []named // the thinners, to look each metric up in a point
	All      bool
	Half     int   // the resolution of the thinners
	LastStep int64 // the step of the last point added
}

// Size is about the bytes the summary holds.
func (sm *Summary) Size() int {
	n := 64
	for _, t := range sm.Metrics {
		n += 200 * cap(t.Buckets)
	}
	return n
}

// Add adds one point of the series to the thinners, if its step is between from and to.
func (sm *Summary) Add(p exp.Point, from, to float64) {
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
	if !sm.All || found == len(p.Values) {
		return
	}
	for k, v := range p.Values { // a metric that appears only now, in a spool read on
		if sm.Metrics[k] != nil {
			continue
		}
		if i, found := slices.BinarySearch(sm.Names, k); !found {
			sm.Names = slices.Insert(sm.Names, i, k)
		}
		w := sm.track(k, NewThinner(sm.Half))
		w.add(step, v, p.Time)
	}
}

// named is a metric's thinner.
type named struct {
	name string
	*Thinner
}

// add adds a numeric value (strings, booleans and nested values are not charted).
func (w named) add(step float64, v any, tm string) {
	if f, ok := exp.Float(v); ok {
		w.Thinner.Add(Extreme{Step: step, Val: f, Time: tm})
	}
}

// track adds a metric's thinner to the summary.
func (sm *Summary) track(name string, t *Thinner) named {
	w := named{name, t}
	sm.Metrics[name] = t
	sm.order = append(sm.order, w)
	return w
}

// errPastRange stops a reading once the steps have passed the range asked for.
var errPastRange = errors.New("past the range")

// Scan reads a metrics series once (exp.Series: in memory independent of its length, merged by step as everywhere
// else) into a thinner of resolution half for each metric wanted (nil: all), keeping the points between the steps
// from and to. half 0: a summary's resolution, HalfFor(the number of metrics wanted).
func Scan(sr *exp.Series, want []string, half int, from, to float64) (*Summary, error) {
	sm := &Summary{Names: slices.Clone(sr.Names()), Metrics: map[string]*Thinner{}, All: want == nil, Half: half}
	if want == nil {
		want = sm.Names
	}
	if half <= 0 {
		sm.Half = HalfFor(len(want))
	}
	for _, name := range want {
		if slices.Contains(sm.Names, name) && sm.Metrics[name] == nil {
			sm.track(name, NewThinner(sm.Half))
		}
	}
	all := sm.All
	sm.All = false // the names are known: only a spool read on adds new ones
	ordered := sr.Ordered()
	err := sr.Each(func(p exp.Point) error {
		if float64(p.Step) > to && ordered {
			return errPastRange
		}
		sm.Add(p, from, to)
		sm.LastStep = p.Step
		return nil
	})
	if err != nil && !errors.Is(err, errPastRange) {
		return nil, err
	}
	sm.All = all
	return sm, nil
}
