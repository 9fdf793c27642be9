package thin

import (
	"io"
	"math"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/value"
)

// SummaryFileName is the file beside metrics.jsonl that holds each metric's last value and, for numbers, its
// minimum and maximum: {"loss": {"last": 0.1, "min": 0.1, "max": 2.3}}.
const SummaryFileName = "metrics.summary.json"

// Derived are the files derived from a finished run's metrics file (read through open, which is called again
// where one pass does not do; size is its length), by name, in one pass over it:
// metrics.summary.json, each metric's last value (at the highest step) and, for numbers, its min and max (filters
// and sorts read it as metrics.NAME (last), metrics.NAME.min and metrics.NAME.max, whatever results the script
// wrote); and for a long file, the chart summary of the series (FileName), so that the first chart of it
// reads no series. Each is nil when there is none.
func Derived(open func() (io.ReadCloser, error), size int64) map[string][]byte {
	files, _ := DerivedAndLast(open, size)
	return files
}

// DerivedAndLast is Derived, and each metric's last value (at the highest step; of numbers and anything else), as
// exp.LastValues reads them: the results of a run that wrote none, from the same pass over the file.
func DerivedAndLast(open func() (io.ReadCloser, error), size int64) (files map[string][]byte, last map[string]any) {
	f, err := open()
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	var chart *Builder
	series := false // the chart summary is read from a Series instead
	if size >= MinFileBytes {
		chart = NewBuilder()
	}
	type agg struct {
		step          int64
		last          any
		min, max      float64
		numeric, seen bool
	}
	aggs := map[string]*agg{}
	s := exp.NewMetricsScanner(f)
	for s.Scan() {
		p := s.Point()
		for k, v := range p.Values {
			a := aggs[k]
			if a == nil {
				a = &agg{}
				aggs[k] = a
			}
			if !a.seen || p.Step >= a.step {
				a.step, a.last = p.Step, v
			}
			if x, ok := exp.Float(v); ok && !math.IsNaN(x) {
				if !a.numeric {
					a.min, a.max, a.numeric = x, x, true
				}
				a.min, a.max = min(a.min, x), max(a.max, x)
			}
			a.seen = true
		}
		if chart != nil && !chart.Add(p) { // after the above: the point's Values take the later lines of its step
			chart, series = nil, true
		}
	}
	out := map[string][]byte{}
	var data []byte
	ok := false
	if chart != nil {
		data, ok = chart.Stored()
	}
	if series || chart != nil && !ok { // steps that go back, or many metrics: read as a Series
		data, ok = BuildFile(open, size)
	}
	if ok && Worth(data, size) {
		out[FileName] = data
	}
	if len(aggs) == 0 {
		return out, nil
	}
	summary := make(map[string]any, len(aggs))
	last = make(map[string]any, len(aggs))
	for k, a := range aggs {
		last[k] = a.last
		m := map[string]any{"last": a.last}
		if a.numeric {
			m["min"], m["max"] = a.min, a.max
		}
		summary[k] = m
	}
	if data, err := value.MarshalIndent(summary); err == nil { // ends with a newline
		out[SummaryFileName] = data
	}
	return out, last
}
