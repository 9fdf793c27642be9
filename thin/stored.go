package thin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/value"
)

// FileName is the stored summary of a long metrics file, in the experiment's directory beside metrics.jsonl:
// exactly the Summary that Scan makes of the whole series for every metric (resolution HalfFor(number of metrics)),
// so that a chart drawn from it is the chart drawn from a reading of the file. It is derived data: a reader that
// does not know it (or its version) reads metrics.jsonl, and so does one for a store that has none.
//
// Version 1, JSON (non-finite values as the bare tokens NaN, Infinity, -Infinity, as in metrics.jsonl):
//
//	{"version": 1, "half": H, "names": [every metric name, sorted],
//	 "metrics": {NAME: {"total": points, "width": W,
//	    "first": {"step": [], "value": [], "time": []}, "last": {...},
//	    "lo": {"rank": [], "step": [], "value": [], "time": []}, "hi": {...}}}}
//
// One array element per bucket. Every bucket but the last holds W consecutive points (W a power of two), so a
// bucket's first point has rank i*W and its last the rank before the next bucket's first; "lo" and "hi" are its
// minimum and maximum (the earliest on a tie) with their rank among the metric's points, rank -1 in a bucket of
// NaN only. "time" is the time logged, in seconds since the epoch to the millisecond (what a chart shows; null for
// none or one that is not RFC 3339), left out when no point has one. A metric whose values are not numbers has
// total 0 and no buckets.
const FileName = "metrics.thin.json"

// Version is the version of FileName's layout that this package writes and reads.
const Version = 1

// MinFileBytes is the size from which the end of a run stores FileName beside the metrics file: below it, reading
// the file takes a first chart less than about a tenth of a second anyway.
const MinFileBytes = 1 << 20

// Build reads a metrics series (see Scan) and returns its stored summary (FileName's contents).
func Build(sr *exp.Series) ([]byte, error) {
	sm, err := Scan(sr, nil, 0, math.Inf(-1), math.Inf(1))
	if err != nil {
		return nil, err
	}
	return sm.AppendStored(nil), nil
}

// BuildFile returns the stored summary of a metrics file of size bytes (open opens it) when it is worth storing: the file holds at
// least MinFileBytes and the summary is less than a quarter of its size. ok is false otherwise, and when the file
// cannot be read as a series (the readers then report what is wrong with it).
func BuildFile(open func() (io.ReadCloser, error), size int64) (data []byte, ok bool) {
	if size < MinFileBytes {
		return nil, false
	}
	sr, err := exp.ScanMetrics(open)
	if err != nil {
		return nil, false
	}
	data, err = Build(sr)
	if err != nil || !Worth(data, size) {
		return nil, false
	}
	return data, true
}

// BuildBytes is BuildFile for a metrics file held in memory (an importer's): the stored summary of data when it is
// worth storing, made in one pass over its lines (Builder) where that does, else from its Series.
func BuildBytes(data []byte) (stored []byte, ok bool) {
	size := int64(len(data))
	if size < MinFileBytes {
		return nil, false
	}
	b := NewBuilder()
	sc := exp.NewMetricsScanner(bytes.NewReader(data))
	one := true
	for one && sc.Scan() {
		one = b.Add(sc.Point())
	}
	if one && sc.Err() == nil {
		if stored, ok = b.Stored(); ok && Worth(stored, size) {
			return stored, true
		}
		if ok {
			return nil, false
		}
	}
	return BuildFile(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, size)
}

// AppendStored appends the summary as FileName holds it. The summary must be of the whole series (Scan with want
// nil and the range unbounded).
func (sm *Summary) AppendStored(b []byte) []byte {
	b = append(b, `{"version":`...)
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, `,"half":`...)
	b = strconv.AppendInt(b, int64(sm.Half), 10)
	b = append(b, `,"names":[`...)
	for i, n := range sm.Names {
		if i > 0 {
			b = append(b, ',')
		}
		b = value.AppendString(b, n)
	}
	b = append(b, `],"metrics":{`...)
	first := true
	for _, n := range sm.Names {
		t := sm.Metrics[n]
		if t == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '\n')
		b = value.AppendString(b, n)
		b = append(b, `:{"total":`...)
		b = strconv.AppendInt(b, t.Total, 10)
		b = append(b, `,"width":`...)
		b = strconv.AppendInt(b, t.width, 10)
		for _, kind := range []string{"first", "last", "lo", "hi"} {
			b = append(b, `,"`...)
			b = append(b, kind...)
			b = append(b, `":{`...)
			get := func(k *Bucket) (*Extreme, bool) {
				switch kind {
				case "first":
					return &k.First, true
				case "last":
					return &k.Last, true
				case "lo":
					return &k.Lo, k.Finite
				}
				return &k.Hi, k.Finite
			}
			if kind == "lo" || kind == "hi" {
				b = append(b, `"rank":[`...)
				for i := range t.Buckets {
					if i > 0 {
						b = append(b, ',')
					}
					x, ok := get(&t.Buckets[i])
					if !ok {
						b = append(b, "-1"...)
						continue
					}
					b = strconv.AppendInt(b, x.Rank, 10)
				}
				b = append(b, "],"...)
			}
			b = append(b, `"step":[`...)
			for i := range t.Buckets {
				if i > 0 {
					b = append(b, ',')
				}
				x, ok := get(&t.Buckets[i])
				if !ok {
					b = append(b, "0.0"...)
					continue
				}
				b = value.AppendFloat(b, x.Step, 64)
			}
			b = append(b, `],"value":[`...)
			timed := false
			for i := range t.Buckets {
				if i > 0 {
					b = append(b, ',')
				}
				x, ok := get(&t.Buckets[i])
				if !ok {
					b = append(b, "0.0"...)
					continue
				}
				b = value.AppendFloat(b, x.Val, 64)
				timed = timed || !math.IsNaN(x.Seconds())
			}
			b = append(b, ']')
			if timed {
				b = append(b, `,"time":[`...)
				for i := range t.Buckets {
					if i > 0 {
						b = append(b, ',')
					}
					x, ok := get(&t.Buckets[i])
					if sec := x.Seconds(); ok && !math.IsNaN(sec) {
						b = value.AppendFloat(b, sec, 64)
					} else {
						b = append(b, "null"...)
					}
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, "}}\n"...)
}

// ErrVersion is returned by Decode for a stored summary of another version: read the metrics file instead.
var ErrVersion = errors.New("stored metrics summary of an unknown version")

// Decode reads a stored summary (FileName) back into the Summary that Scan made of the whole series. A summary of
// another version is ErrVersion, anything malformed or inconsistent another error: either way, read the series.
func Decode(data []byte) (*Summary, error) {
	v, err := value.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FileName, err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a JSON object", FileName)
	}
	if ver, ok := top["version"].(int); !ok || ver != Version {
		return nil, fmt.Errorf("%s: version %v: %w", FileName, top["version"], ErrVersion)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", FileName, fmt.Sprintf(format, args...))
	}
	half, ok := top["half"].(int)
	if !ok || half < 1 || half > Half {
		return nil, bad("no resolution between 1 and %d", Half)
	}
	sm := &Summary{Metrics: map[string]*Thinner{}, All: true, Half: half}
	names, ok := top["names"].([]any)
	if !ok {
		return nil, bad("no names")
	}
	for i, n := range names {
		s, ok := n.(string)
		if !ok || i > 0 && s <= sm.Names[i-1] {
			return nil, bad("names not sorted strings")
		}
		sm.Names = append(sm.Names, s)
	}
	metrics, ok := top["metrics"].(map[string]any)
	if !ok {
		return nil, bad("no metrics")
	}
	for _, name := range sm.Names {
		m, ok := metrics[name].(map[string]any)
		if !ok {
			if metrics[name] != nil {
				return nil, bad("metric %q is not an object", name)
			}
			continue
		}
		t, err := decodeThinner(m, half)
		if err != nil {
			return nil, bad("metric %q: %v", name, err)
		}
		sm.track(name, t)
	}
	if len(sm.Metrics) != len(metrics) {
		return nil, bad("a metric not among the names")
	}
	return sm, nil
}

func decodeThinner(m map[string]any, half int) (*Thinner, error) {
	total, ok1 := m["total"].(int)
	width, ok2 := m["width"].(int)
	if !ok1 || !ok2 || total < 0 || total > 1<<53 || width < 1 || width > 1<<53 || width&(width-1) != 0 {
		return nil, errors.New("bad total or width")
	}
	k := (total + width - 1) / width
	if k > 2*half || width > 1 && k <= half {
		return nil, errors.New("buckets do not match the resolution")
	}
	t := &Thinner{half: half, width: int64(width), Total: int64(total), Buckets: make([]Bucket, k)}
	for i := range t.Buckets {
		b := &t.Buckets[i]
		b.N = int64(min(width, total-i*width))
		b.First.Rank = int64(i * width)
		b.Last.Rank = b.First.Rank + b.N - 1
	}
	for _, kind := range []string{"first", "last", "lo", "hi"} {
		o, ok := m[kind].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("no %s", kind)
		}
		steps, err := floats(o["step"], k)
		if err != nil {
			return nil, fmt.Errorf("%s steps: %v", kind, err)
		}
		vals, err := floats(o["value"], k)
		if err != nil {
			return nil, fmt.Errorf("%s values: %v", kind, err)
		}
		var times []any
		if o["time"] != nil {
			if times, ok = o["time"].([]any); !ok || len(times) != k {
				return nil, fmt.Errorf("%s times: not %d numbers or null", kind, k)
			}
		}
		var ranks []any
		if kind == "lo" || kind == "hi" {
			if ranks, ok = o["rank"].([]any); !ok || len(ranks) != k {
				return nil, fmt.Errorf("%s ranks: not %d integers", kind, k)
			}
		}
		for i := range t.Buckets {
			b := &t.Buckets[i]
			var x *Extreme
			switch kind {
			case "first":
				x = &b.First
			case "last":
				x = &b.Last
			default:
				r, ok := ranks[i].(int)
				if !ok || r != -1 && (int64(r) < b.First.Rank || int64(r) > b.Last.Rank) {
					return nil, fmt.Errorf("%s rank %v outside its bucket", kind, ranks[i])
				}
				if r == -1 {
					if b.Finite {
						return nil, errors.New("a bucket with a minimum and no maximum")
					}
					continue
				}
				if kind == "hi" && !b.Finite {
					return nil, errors.New("a bucket with a maximum and no minimum")
				}
				b.Finite = true
				x = &b.Lo
				if kind == "hi" {
					x = &b.Hi
				}
				x.Rank = int64(r)
			}
			x.Step, x.Val = steps[i], vals[i]
			x.sec, x.timed = math.NaN(), true
			if times != nil && times[i] != nil {
				sec, ok := times[i].(float64)
				if !ok || math.IsNaN(sec) || math.IsInf(sec, 0) {
					return nil, fmt.Errorf("%s time %v is not a number of seconds", kind, times[i])
				}
				x.sec = sec
			}
		}
	}
	return t, nil
}

// floats reads an array of k numbers.
func floats(v any, k int) ([]float64, error) {
	a, ok := v.([]any)
	if !ok || len(a) != k {
		return nil, fmt.Errorf("not %d numbers", k)
	}
	out := make([]float64, k)
	for i, x := range a {
		f, ok := x.(float64)
		if !ok {
			if n, isInt := x.(int); isInt {
				f, ok = float64(n), true
			}
		}
		if !ok {
			return nil, fmt.Errorf("%v is not a number", x)
		}
		out[i] = f
	}
	return out, nil
}

// For returns the summary that Scan makes for the metrics wanted (nil: all) from the summary of all of them, which
// it shares the thinners with; ok is false when that summary has another resolution (HalfFor of fewer metrics is
// finer): read the series for it then.
func (sm *Summary) For(want []string) (_ *Summary, ok bool) {
	if want == nil {
		return sm, HalfFor(len(sm.Names)) == sm.Half
	}
	if HalfFor(len(want)) != sm.Half {
		return nil, false
	}
	out := &Summary{Names: sm.Names, Metrics: map[string]*Thinner{}, Half: sm.Half, LastStep: sm.LastStep}
	for _, name := range want {
		if t := sm.Metrics[name]; t != nil && out.Metrics[name] == nil {
			out.track(name, t)
		}
	}
	return out, true
}

// A Builder makes the stored summary within a pass that the caller makes over the lines of a metrics file anyway
// (a MetricsScanner's points, in file order; the end of a run reads them for metrics.summary.json): the lines are
// merged by step as exp.Series.Each merges them (exp.Merger) into the Summary that Scan makes of the series. Two
// kinds of file are not done this way, and Stored says so: one whose steps go back (Each sorts it first) and one of
// more than 20 metrics (a coarser resolution than the one started with, HalfFor); Build them from a Series.
type Builder struct {
	m    exp.Merger
	sm   *Summary
	back bool
}

// NewBuilder returns a Builder for one file.
func NewBuilder() *Builder {
	return &Builder{sm: &Summary{Metrics: map[string]*Thinner{}, All: true, Half: HalfFor(1)}}
}

// Add adds the file's next line. It keeps p's Values (see exp.Merger.Add). It reports false once the file is one
// this pass cannot do (see Builder): the caller may stop feeding it.
func (b *Builder) Add(p exp.Point) bool {
	if b.back || b.m.Back(p) || HalfFor(len(b.sm.Names)) != b.sm.Half {
		b.back = true
		return false
	}
	b.m.Add(p, b.add)
	return true
}

func (b *Builder) add(p exp.Point) error {
	b.sm.Add(p, math.Inf(-1), math.Inf(1))
	return nil
}

// Summary returns the Summary of the lines added, as Scan makes it of the whole series; ok is false for a file this
// pass cannot do (see Builder) or one without any point. The Builder is done with then.
func (b *Builder) Summary() (sm *Summary, ok bool) {
	if b.back {
		return nil, false
	}
	b.m.Flush(b.add)
	if len(b.sm.Names) == 0 || HalfFor(len(b.sm.Names)) != b.sm.Half {
		return nil, false
	}
	return b.sm, true
}

// Stored returns the stored summary of the lines added (FileName's contents); ok as for Summary.
func (b *Builder) Stored() (data []byte, ok bool) {
	sm, ok := b.Summary()
	if !ok {
		return nil, false
	}
	return sm.AppendStored(nil), true
}

// Worth reports whether a stored summary of data bytes is worth storing beside a metrics file of size bytes: the
// file holds at least MinFileBytes and the summary is less than a quarter of it.
func Worth(data []byte, size int64) bool {
	return size >= MinFileBytes && int64(len(data)) < size/4
}
