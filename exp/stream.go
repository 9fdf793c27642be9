package exp

import (
	"bufio"
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/git-exp/git-exp/value"
)

// A Series is a metrics file read in constant memory: ScanMetrics reads it once to learn its metric names and
// whether its steps ever go back, then Each and Thin read it again and hand out the points one at a time — the
// points ReadMetrics returns, merged by step and in step order, without holding them.
//
// The file Log writes has nondecreasing steps (unless a program passes Step with a smaller step, or a continued
// experiment logs its steps again after restoring a checkpoint). Such a file is merged as it streams: the lines of
// one step are adjacent, so a point is complete when the next step begins, and memory is one point whatever the
// length of the series. A file whose steps go back is sorted by step on disk instead: runs of at most
// SortRunBytes of lines are sorted in memory (stably, so the later line of a step still wins) and, when there is
// more than one, written to temporary files and merged; memory stays bounded, the disk holds one copy of the file.
type Series struct {
	open    func() (io.ReadCloser, error)
	names   []string
	ordered bool
	points  int // merged points when ordered; well-formed lines otherwise (an upper bound)
	parsed  bool
}

// SortRunBytes bounds the lines a Series sorts in memory at once when a file's steps go back.
var SortRunBytes = 8 << 20

// ScanMetrics reads a metrics file once (open is called now and again by each Each or Thin) and returns the
// Series. Errors are as for ReadMetrics.
func ScanMetrics(open func() (io.ReadCloser, error)) (*Series, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s := &Series{open: open, ordered: true}
	seen := map[string]bool{}
	sc := NewMetricsScanner(rc)
	sc.keysOnly = true
	var last int64
	lines := 0
	for sc.Scan() {
		p := sc.Point()
		switch {
		case lines == 0 || p.Step > last:
			s.points++
		case p.Step < last:
			s.ordered = false
		}
		lines++
		last = p.Step
		for _, k := range sc.keys {
			if !seen[string(k)] {
				seen[string(k)] = true
				s.names = append(s.names, string(k))
			}
		}
	}
	if !s.ordered {
		s.points = lines
	}
	s.parsed = lines > 0
	sort.Strings(s.names)
	return s, scanError(sc, s.parsed)
}

// Names returns every metric name of the series, sorted.
func (s *Series) Names() []string { return s.names }

// Len returns the number of points Each hands out (an upper bound when the steps go back: lines of one step that
// are not adjacent count once each).
func (s *Series) Len() int { return s.points }

// Ordered reports whether the file's steps never decrease, so that Each streams it without sorting.
func (s *Series) Ordered() bool { return s.ordered }

// Each calls fn for every point of the series, merged by step and in step order, as ReadMetrics returns them.
// The Point and its Values belong to fn only for the call. An error from fn stops the reading and is returned.
func (s *Series) Each(fn func(Point) error) error {
	rc, err := s.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := NewMetricsScanner(rc)
	var m Merger
	if s.ordered {
		for sc.Scan() {
			p := sc.Point()
			if m.Back(p) {
				return errors.New("metrics: the file changed while it was read (its steps now go back); read it again")
			}
			if err := m.Add(p, fn); err != nil {
				return err
			}
		}
	} else if err := sortedLines(sc, func(line []byte) error {
		p, err := parsePoint(line)
		if err != nil {
			return err
		}
		return m.Add(p, fn)
	}); err != nil {
		return err
	}
	if err := m.Flush(fn); err != nil {
		return err
	}
	return scanError(sc, s.parsed)
}

// A Merger merges the lines of one step into one point, as Each does: fed the lines of a file in step order (a
// MetricsScanner's points), it hands each point to fn once the next step begins — the later line's value of a metric
// wins, and its time when it has one. Flush hands out the last point. Each is a Merger over the file's lines, sorted
// first when they go back.
type Merger struct {
	cur  Point
	have bool
}

// Back reports whether p's step is before the step being merged: fed in this order, the lines are not sorted.
func (m *Merger) Back(p Point) bool { return m.have && p.Step < m.cur.Step }

// Add adds the next line's point (it keeps p's Values map, and adds the later lines of its step to it).
func (m *Merger) Add(p Point, fn func(Point) error) error {
	if m.have && p.Step == m.cur.Step {
		maps.Copy(m.cur.Values, p.Values)
		if p.Time != "" {
			m.cur.Time = p.Time
		}
		return nil
	}
	if err := m.Flush(fn); err != nil {
		return err
	}
	m.cur, m.have = p, true
	return nil
}

// Flush hands the point being merged to fn, if there is one.
func (m *Merger) Flush(fn func(Point) error) error {
	if !m.have {
		return nil
	}
	m.have = false
	return fn(m.cur)
}

// EachMetric calls fn for every point of the metrics file that open opens (twice), merged by step and in step
// order: ScanMetrics followed by Each.
func EachMetric(open func() (io.ReadCloser, error), fn func(Point) error) error {
	s, err := ScanMetrics(open)
	if err != nil {
		return err
	}
	return s.Each(fn)
}

// Thin calls fn with at most n points that stand for the whole series, in one pass over it (after ScanMetrics) and
// in memory independent of its length: the points of Each are cut into consecutive buckets of ceil(Len/n) points,
// and each bucket gives one point with the step and time of its last point and, for each metric, the last value
// logged in the bucket (a real value, never an average). n <= 0 or n >= Len gives every point.
func (s *Series) Thin(n int, fn func(Point) error) error {
	if n <= 0 || n >= s.points {
		return s.Each(fn)
	}
	k := (s.points + n - 1) / n
	var b Point
	inBucket := 0
	if err := s.Each(func(p Point) error {
		if inBucket == 0 {
			b = Point{Values: make(map[string]any, len(p.Values))}
		}
		b.Step, b.Time = p.Step, p.Time
		maps.Copy(b.Values, p.Values)
		if inBucket++; inBucket == k {
			inBucket = 0
			return fn(b)
		}
		return nil
	}); err != nil {
		return err
	}
	if inBucket > 0 {
		return fn(b)
	}
	return nil
}

// sortedLines calls fn with the well-formed lines of sc, stably sorted by step. Up to SortRunBytes of lines are
// sorted in memory; beyond that, sorted runs go to temporary files that are then merged.
func sortedLines(sc *MetricsScanner, fn func(line []byte) error) error {
	type rec struct {
		step int64
		line []byte
	}
	var (
		run   []rec
		arena []byte
		files []*os.File
	)
	defer func() {
		for _, f := range files {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	sortRun := func() {
		slices.SortStableFunc(run, func(a, b rec) int {
			switch {
			case a.step < b.step:
				return -1
			case a.step > b.step:
				return 1
			}
			return 0
		})
	}
	spill := func() error {
		sortRun()
		f, err := os.CreateTemp("", "git-exp-metrics-")
		if err != nil {
			return fmt.Errorf("metrics: sorting by step: %w", err)
		}
		files = append(files, f)
		w := bufio.NewWriterSize(f, 64<<10)
		for _, r := range run {
			w.Write(r.line)
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("metrics: sorting by step: %w", err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		run, arena = run[:0], arena[:0]
		return nil
	}
	for sc.Scan() {
		if len(arena)+len(sc.raw) > SortRunBytes && len(run) > 0 {
			if err := spill(); err != nil {
				return err
			}
		}
		start := len(arena)
		arena = append(arena, sc.raw...)
		run = append(run, rec{sc.Point().Step, arena[start:len(arena):len(arena)]})
	}
	if sc.Err() != nil {
		return sc.Err()
	}
	if len(files) == 0 {
		// Everything fit in memory: no temporary file.
		sortRun()
		for _, r := range run {
			if err := fn(r.line); err != nil {
				return err
			}
		}
		return nil
	}
	if len(run) > 0 {
		if err := spill(); err != nil {
			return err
		}
	}
	run, arena = nil, nil
	h := &mergeHeap{}
	for i, f := range files {
		m := &mergeSrc{sc: NewMetricsScanner(f), order: i}
		if m.next() {
			h.srcs = append(h.srcs, m)
		} else if m.sc.Err() != nil {
			return m.sc.Err()
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		m := h.srcs[0]
		if err := fn(m.sc.raw); err != nil {
			return err
		}
		if m.next() {
			heap.Fix(h, 0)
		} else {
			if m.sc.Err() != nil {
				return m.sc.Err()
			}
			heap.Pop(h)
		}
	}
	return nil
}

// mergeSrc is one sorted run being merged; order breaks ties so that the earlier run's line comes first.
type mergeSrc struct {
	sc    *MetricsScanner
	step  int64
	order int
}

func (m *mergeSrc) next() bool {
	if !m.sc.Scan() {
		return false
	}
	m.step = m.sc.Point().Step
	return true
}

type mergeHeap struct{ srcs []*mergeSrc }

func (h *mergeHeap) Len() int { return len(h.srcs) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.srcs[i], h.srcs[j]
	if a.step != b.step {
		return a.step < b.step
	}
	return a.order < b.order
}
func (h *mergeHeap) Swap(i, j int) { h.srcs[i], h.srcs[j] = h.srcs[j], h.srcs[i] }
func (h *mergeHeap) Push(x any)    { h.srcs = append(h.srcs, x.(*mergeSrc)) }
func (h *mergeHeap) Pop() any {
	x := h.srcs[len(h.srcs)-1]
	h.srcs = h.srcs[:len(h.srcs)-1]
	return x
}

// scanKeys is the first pass's reading of a line: its step and its metric names (appended to keys; they point into
// line), without converting any value. It accepts flat objects of plain strings (no escapes), JSON numbers,
// booleans and null — what Log writes, and a subset of what parsePoint accepts, with the same step and names — and
// reports ok=false for any other line (NaN and Infinity tokens, escapes, nested values, bad JSON), which the caller
// then parses in full (parsePoint) to learn what it is.
func scanKeys(line []byte, keys [][]byte) (step int64, _ [][]byte, ok bool) {
	i := scanSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return 0, keys, false
	}
	i = scanSpace(line, i+1)
	var stepNum []byte
	stepInt := false
	hasStep := false
	first := true
	for {
		if i >= len(line) {
			return 0, keys, false
		}
		if line[i] == '}' && first {
			i++
			break
		}
		k, n, ok := scanString(line, i)
		if !ok {
			return 0, keys, false
		}
		i = scanSpace(line, n)
		if i >= len(line) || line[i] != ':' {
			return 0, keys, false
		}
		i = scanSpace(line, i+1)
		if i >= len(line) {
			return 0, keys, false
		}
		isNum, isStr := false, false
		switch c := line[i]; {
		case c == '"':
			_, n, ok := scanString(line, i)
			if !ok {
				return 0, keys, false
			}
			i, isStr = n, true
		case c == '-' || '0' <= c && c <= '9':
			n := scanNumber(line, i)
			if n < 0 {
				return 0, keys, false
			}
			if string(k) == "step" {
				stepNum, stepInt = line[i:n], !bytes.ContainsAny(line[i:n], ".eE")
			}
			i, isNum = n, true
		case scanPrefix(line[i:], "true"):
			i += 4
		case scanPrefix(line[i:], "false"):
			i += 5
		case scanPrefix(line[i:], "null"):
			i += 4
		default:
			return 0, keys, false
		}
		switch string(k) {
		case "step":
			if !isNum {
				return 0, keys, false
			}
			hasStep = true
		case "time":
			if !isStr {
				return 0, keys, false
			}
		default:
			keys = append(keys, k)
		}
		first = false
		i = scanSpace(line, i)
		if i < len(line) && line[i] == ',' {
			i = scanSpace(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' {
			i++
			break
		}
		return 0, keys, false
	}
	if scanSpace(line, i) != len(line) || !hasStep {
		return 0, keys, false
	}
	s, err := parseStep(value.NumberValue(string(stepNum), stepInt))
	if err != nil {
		return 0, keys, false
	}
	return s, keys, true
}

func scanSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func scanPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// scanString reads a JSON string at b[i] without escapes or control characters, in valid UTF-8; it returns its
// contents and the index after it.
func scanString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	ascii := true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[i+1 : j]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// scanNumber returns the end of the JSON number at b[i], or -1 if there is none:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) int {
	digits := func(i int) int {
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}
