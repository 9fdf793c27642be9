package ui

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/thin"
)

// summary is what the server keeps of an experiment's metrics (thin.Summary: every metric name and a thinner per
// metric asked for). A running experiment's spool is read on from off as it grows, as long as its steps do not go
// back (a later line of the last step replaces that step's value; where the value was a bucket's minimum or maximum,
// that stays until the bucket merges).
type summary struct {
	mu sync.Mutex // held while the summary is read on or drawn from
	*thin.Summary
	spool string
	off   int64
}

// scanSeries reads a metrics series once into a summary (thin.Scan).
func scanSeries(sr *exp.Series, want []string, half int, from, to float64) (*summary, error) {
	sm, err := thin.Scan(sr, want, half, from, to)
	if err != nil {
		return nil, err
	}
	return &summary{Summary: sm}, nil
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
		if p.Step < sm.LastStep {
			return nil, nil
		}
		sm.Add(p, math.Inf(-1), math.Inf(1))
		sm.LastStep = p.Step
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sm.off = end
	return sm, nil
}

// seriesJSON is one metric in the API's answer.
func seriesJSON(pts []thin.Extreme, total int64) map[string]any {
	steps, times, vals := make([]any, len(pts)), make([]any, len(pts)), make([]any, len(pts))
	for j := range pts {
		x := &pts[j]
		steps[j], vals[j] = x.Step, num(x.Val)
		if sec := x.Seconds(); !math.IsNaN(sec) {
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
// n points between the steps from and to, and every metric's name. The first request for a file gets its summary
// (summaryOf: the one stored with a finished run, else a reading of the file); later ones, other widths and moderate
// zooms are drawn from it; a zoom deeper than the summary reads the file again for that range only. The same
// request again is answered from the answers kept.
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
	names = slices.Clone(sm.Names)
	half := max(1, n/2)
	out := map[string]any{}
	var deep []string // metrics whose zoomed range the summary does not hold in enough detail
	for name, t := range sm.Metrics {
		if want != nil && !slices.Contains(want, name) {
			continue
		}
		bs := t.Buckets
		if !math.IsInf(from, -1) || !math.IsInf(to, 1) {
			bs = t.InRange(from, to)
		}
		if !t.Exact() && len(bs) < half {
			deep = append(deep, name)
			continue
		}
		var total int64
		for i := range bs {
			total += bs[i].N
		}
		if total > 0 {
			out[name] = seriesJSON(thin.Pick(bs, half), total)
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
		for name, t := range zoom.Metrics {
			if t.Total > 0 {
				out[name] = seriesJSON(thin.Pick(t.Buckets, half), t.Total)
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

// summaryOf returns the summary of the experiment's metrics (want: the metrics asked for, nil for all) when it is not
// kept: for a finished run, the one stored at its end (storedSummary), else a reading of its file; for a running one,
// a reading of its spool, or of what it appended since. One reading of a file at a time: requests for it meanwhile
// wait for that one.
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
		sm, err = s.fileSummary(x, e, want)
	}
	if err != nil {
		return nil, err
	}
	sm.mu.Lock() // another request may be reading it on already
	size := sm.Size()
	sm.mu.Unlock()
	c.summaries.put(key, sm, size)
	return sm, nil
}

// fileSummary is the summary of a finished experiment's metrics file (want: the metrics asked for, nil for all): the
// one stored at the end of its run (storedSummary), else the one the server keeps on disk of that file (thinCache:
// built by an earlier reading of it, by this server or one before), else a reading of the file (readFile), which the
// disk cache then keeps. A summary of all the metrics that has another resolution than the metrics wanted get (a few
// metrics of an experiment that has more than 20) serves nothing: the file is read for those (readSeries).
func (s *Server) fileSummary(x *results.Experiment, e *gitstore.Experiment, want []string) (*summary, error) {
	all := s.storedAll(e)
	oid := ""
	if all == nil {
		var ok bool
		var err error
		if oid, ok, err = s.st.FileOID(e.ID, "metrics.jsonl"); err != nil {
			return nil, err
		}
		if !ok { // no metrics: an empty series
			return readSeries(x, want)
		}
		all = s.thinCache.get(oid)
	}
	if all == nil {
		return s.readFile(x, oid, want)
	}
	if sm, ok := all.For(want); ok {
		return &summary{Summary: sm}, nil
	}
	return readSeries(x, want)
}

// storedSummary is the summary of a finished experiment's metrics stored at the end of its run (thin.FileName), for
// the metrics wanted: the summary that reading its metrics file gives, without reading it. nil when there is none
// (storedAll), or it has another resolution than the metrics wanted get.
func (s *Server) storedSummary(e *gitstore.Experiment, want []string) *summary {
	all := s.storedAll(e)
	if all == nil {
		return nil
	}
	sm, ok := all.For(want)
	if !ok {
		return nil
	}
	return &summary{Summary: sm}
}

// storedAll is the summary of all of a finished experiment's metrics stored at the end of its run (thin.FileName).
// nil when there is none (a short series, a store written before it, an import by an older git-exp), or it has an
// unknown version or cannot be read: then the file is read.
func (s *Server) storedAll(e *gitstore.Experiment) *thin.Summary {
	data, ok, err := s.st.ReadFile(e.ID, thin.FileName)
	if err != nil || !ok {
		return nil
	}
	all, err := thin.Decode(data)
	if err != nil {
		return nil
	}
	return all
}

// readFile reads a finished experiment's metrics file, the blob oid, into the summary of all its metrics that
// reading it as a Series gives, keeps that on disk (thinCache) when it is worth keeping, and returns it for the
// metrics wanted. One pass (thin.Builder: the lines merged by step as exp.Series merges them) does a file whose steps
// do not go back and that has at most 20 metrics; another file is read as a Series (a first pass for the names and
// the order), and so is a short one that the cache would not keep anyway, for the metrics wanted only (readSeries,
// which also reports what is wrong with a damaged file).
func (s *Server) readFile(x *results.Experiment, oid string, want []string) (*summary, error) {
	ctx := context.Background()
	open := func() (io.ReadCloser, error) { return s.st.StreamBlob(ctx, oid) }
	rc, err := open()
	if err != nil {
		return nil, err
	}
	cr := &countingReader{r: rc}
	b := thin.NewBuilder()
	sc := exp.NewMetricsScanner(cr)
	one := true
	for one && sc.Scan() {
		one = b.Add(sc.Point())
	}
	var all *thin.Summary
	if one && sc.Err() == nil {
		all, _ = b.Summary()
	}
	if all == nil {
		io.Copy(io.Discard, cr) // its size: is it worth keeping?
	}
	rc.Close()
	size := cr.n
	if all == nil && s.thinCache.mayKeep(size) {
		sr, err := exp.ScanMetrics(open)
		if err == nil {
			all, err = thin.Scan(sr, nil, 0, math.Inf(-1), math.Inf(1))
		}
		if err != nil {
			all = nil
		}
	}
	if all == nil {
		return readSeries(x, want)
	}
	s.thinCache.put(oid, all, size)
	if sm, ok := all.For(want); ok {
		return &summary{Summary: sm}, nil
	}
	return readSeries(x, want)
}

// readSeries reads the experiment's metrics as a Series (the spool while it runs here, else the stored file) into
// the summary of the metrics wanted.
func readSeries(x *results.Experiment, want []string) (*summary, error) {
	sr, err := x.Series()
	if err != nil {
		return nil, err
	}
	return scanSeries(sr, want, 0, math.Inf(-1), math.Inf(1))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
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
