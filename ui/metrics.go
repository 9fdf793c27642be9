package ui

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
)

// series is one metric's points in step order, as columns.
type series struct {
	step, time, val []float64
	unsorted        bool
}

func (sr *series) add(step, t, v float64) {
	if n := len(sr.step); n > 0 {
		switch last := sr.step[n-1]; {
		case step == last: // a later line for the same step wins, as in exp.ReadMetrics
			sr.time[n-1], sr.val[n-1] = t, v
			return
		case step < last:
			sr.unsorted = true
		}
	}
	sr.step = append(sr.step, step)
	sr.time = append(sr.time, t)
	sr.val = append(sr.val, v)
}

// settle puts out-of-order steps in order, the last value of each step kept.
func (sr *series) settle() {
	if !sr.unsorted {
		return
	}
	idx := make([]int, len(sr.step))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sr.step[idx[a]] < sr.step[idx[b]] })
	var s, t, v []float64
	for _, i := range idx {
		if n := len(s); n > 0 && s[n-1] == sr.step[i] {
			t[n-1], v[n-1] = sr.time[i], sr.val[i]
			continue
		}
		s, t, v = append(s, sr.step[i]), append(t, sr.time[i]), append(v, sr.val[i])
	}
	sr.step, sr.time, sr.val, sr.unsorted = s, t, v, false
}

// metricSet is an experiment's metrics, parsed once: from the stored metrics.jsonl (key: the experiment's tree), or
// from the spool while it runs on this machine, read on from where the last read stopped.
type metricSet struct {
	mu     sync.Mutex
	key    string
	spool  string
	off    int64
	series map[string]*series
	points int
	used   time.Time
}

// metricCache holds the parsed metrics of the experiments charted lately, up to a budget of points (24 bytes each).
type metricCache struct {
	mu     sync.Mutex
	sets   map[string]*metricSet
	budget int
}

func newMetricCache(budget int) *metricCache {
	return &metricCache{sets: map[string]*metricSet{}, budget: budget}
}

// load returns the experiment's metrics, read (on) as far as they go now.
func (c *metricCache) load(s *Server, x *results.Experiment, e *gitstore.Experiment) (*metricSet, error) {
	key, spool := "tree:"+e.TreeOID, ""
	if e.Status == gitstore.StatusRunning {
		p := s.st.SpoolFor(e.ID).Metrics
		if _, err := os.Stat(p); err == nil {
			key, spool = "spool:"+p, p
		}
	}
	c.mu.Lock()
	set := c.sets[e.ID]
	if set == nil || set.key != key {
		set = &metricSet{key: key, spool: spool, series: map[string]*series{}}
		c.sets[e.ID] = set
	}
	set.used = time.Now()
	c.mu.Unlock()

	set.mu.Lock()
	defer set.mu.Unlock()
	if spool != "" {
		if err := set.readSpool(); err != nil {
			return nil, err
		}
	} else if set.off == 0 {
		rc, ok, err := s.st.OpenFile(context.Background(), e.ID, "metrics.jsonl")
		if err != nil {
			return nil, err
		}
		if ok {
			set.scan(rc)
			rc.Close()
		}
		set.off = 1 // read
	}
	c.evict(set)
	return set, nil
}

// readSpool parses the lines appended to the spool since the last read (a last line without its newline yet waits).
func (set *metricSet) readSpool() error {
	f, err := os.Open(set.spool)
	if err != nil {
		return nil // ended meanwhile: the next request reads the stored file
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() <= set.off {
		return nil
	}
	if _, err := f.Seek(set.off, io.SeekStart); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, fi.Size()-set.off))
	if err != nil {
		return err
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return nil
	}
	set.scan(bytes.NewReader(data[:end+1]))
	set.off += int64(end + 1)
	return nil
}

func (set *metricSet) scan(r io.Reader) {
	sc := exp.NewMetricsScanner(r)
	for sc.Scan() {
		p := sc.Point()
		t := math.NaN()
		if p.Time != "" {
			if tt, err := time.Parse(time.RFC3339Nano, p.Time); err == nil {
				t = float64(tt.UnixMilli()) / 1000
			}
		}
		for k, v := range p.Values {
			f, ok := exp.Float(v)
			if !ok {
				continue // strings, booleans and nested values are not charted
			}
			sr := set.series[k]
			if sr == nil {
				sr = &series{}
				set.series[k] = sr
			}
			n := len(sr.step)
			sr.add(float64(p.Step), t, f)
			set.points += len(sr.step) - n
		}
	}
	for _, sr := range set.series {
		sr.settle()
	}
}

// evict drops the least recently charted experiments beyond the budget (never keep, the one being answered).
func (c *metricCache) evict(keep *metricSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, s := range c.sets {
		total += s.points
	}
	for total > c.budget {
		var oldID string
		var old *metricSet
		for id, s := range c.sets {
			if s != keep && (old == nil || s.used.Before(old.used)) {
				oldID, old = id, s
			}
		}
		if old == nil {
			return
		}
		total -= old.points
		delete(c.sets, oldID)
	}
}

// thin picks at most about n indices of [lo, hi) that keep the shape: the series is cut into n/2 buckets, and each
// gives its minimum and its maximum, in order; the first and last points are kept.
func thin(val []float64, lo, hi, n int) []int {
	count := hi - lo
	if count <= n {
		idx := make([]int, count)
		for i := range idx {
			idx[i] = lo + i
		}
		return idx
	}
	buckets := max(1, n/2)
	idx := make([]int, 0, 2*buckets+2)
	idx = append(idx, lo)
	for b := range buckets {
		blo := lo + int(int64(b)*int64(count)/int64(buckets))
		bhi := lo + int(int64(b+1)*int64(count)/int64(buckets))
		mi, ma := -1, -1
		for i := blo; i < bhi; i++ {
			v := val[i]
			if math.IsNaN(v) {
				continue
			}
			if mi < 0 || v < val[mi] {
				mi = i
			}
			if ma < 0 || v > val[ma] {
				ma = i
			}
		}
		if mi < 0 {
			mi, ma = blo, blo // all NaN: one point shows the gap
		}
		a, b := min(mi, ma), max(mi, ma)
		if a > idx[len(idx)-1] {
			idx = append(idx, a)
		}
		if b > idx[len(idx)-1] {
			idx = append(idx, b)
		}
	}
	if idx[len(idx)-1] != hi-1 {
		idx = append(idx, hi-1)
	}
	return idx
}

// num is a number in the API's JSON: non-finite ones as strings.
func num(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return safe(f)
	}
	return f
}

// answer is what /api/experiments/{id}/metrics returns.
func (set *metricSet) answer(want []string, n int, from, to float64, running bool) map[string]any {
	set.mu.Lock()
	defer set.mu.Unlock()
	names := make([]string, 0, len(set.series))
	for k := range set.series {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(want) == 0 {
		want = names
	}
	out := map[string]any{}
	for _, name := range want {
		sr := set.series[name]
		if sr == nil {
			continue
		}
		lo := sort.SearchFloat64s(sr.step, from)
		hi := len(sr.step)
		if !math.IsInf(to, 1) {
			hi = sort.Search(len(sr.step), func(i int) bool { return sr.step[i] > to })
		}
		idx := thin(sr.val, lo, hi, n)
		steps, times, vals := make([]any, len(idx)), make([]any, len(idx)), make([]any, len(idx))
		for j, i := range idx {
			steps[j], times[j], vals[j] = sr.step[i], num(sr.time[i]), num(sr.val[i])
			if math.IsNaN(sr.time[i]) {
				times[j] = nil
			}
		}
		out[name] = map[string]any{"total": len(sr.step), "shown": len(idx), "step": steps, "time": times, "value": vals}
	}
	return map[string]any{"names": names, "series": out, "running": running}
}
