package exp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/git-exp/git-exp/value"
)

// A Point is one step of a metrics series: the values logged for that step.
type Point struct {
	Step   int64
	Time   string         // RFC 3339; of the last line that contributed to the point
	Values map[string]any // int, float64 (NaN and ±Inf included), bool, string, or nested JSON
}

// MaxLineSize is the longest metrics line the readers accept; longer lines are
// skipped as malformed.
const MaxLineSize = 4 << 20

// MalformedError reports metrics lines that could not be parsed.
type MalformedError struct {
	Lines int   // how many lines were skipped
	Line  int   // 1-based number of the first skipped line
	Err   error // why the first skipped line was rejected
}

func (e *MalformedError) Error() string {
	if e.Lines == 1 {
		return fmt.Sprintf("metrics: line %d skipped: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("metrics: %d malformed lines skipped, the first at line %d: %v", e.Lines, e.Line, e.Err)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// A MetricsScanner reads a metrics file line by line, without merging lines
// of the same step, in constant memory. Blank lines are ignored; malformed
// lines (not a JSON object, no integer "step", a non-string "time", longer
// than MaxLineSize) are skipped and counted, so a line cut short by a crash
// never hides the rest of the file.
type MetricsScanner struct {
	r   *bufio.Reader
	buf []byte
	p   Point
	raw []byte // the line of p, valid until the next Scan
	// keysOnly: Scan reads only the step and the metric names (into keys) of the lines it can read fast, leaving
	// the Point's Values nil (see ScanMetrics).
	keysOnly bool
	keys     [][]byte
	names    map[string]string // the metrics' names, interned (parseFlat)
	width    int               // how many values the last line had
	line     int
	skipped  int
	first    *MalformedError
	err      error
	eof      bool
}

// NewMetricsScanner returns a scanner reading from r.
func NewMetricsScanner(r io.Reader) *MetricsScanner {
	return &MetricsScanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// Scan advances to the next well-formed line, reporting false at the end of
// the input or on a read error (see Err).
func (s *MetricsScanner) Scan() bool {
	for !s.eof {
		line, tooLong, err := s.readLine()
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
				return false
			}
		}
		if err == nil || tooLong || len(line) > 0 {
			s.line++ // a final line without a newline counts too
		}
		if tooLong {
			s.skip(fmt.Errorf("longer than %d bytes", MaxLineSize))
			continue
		}
		if line = bytes.TrimSpace(line); len(line) == 0 {
			continue // blank lines are neither points nor malformed
		}
		p, perr := s.parse(line)
		if perr != nil {
			s.skip(perr)
			continue
		}
		s.p, s.raw = p, line
		return true
	}
	return false
}

func (s *MetricsScanner) parse(line []byte) (Point, error) {
	if !s.keysOnly {
		return s.parseLine(line)
	}
	step, keys, ok := scanKeys(line, s.keys[:0])
	s.keys = keys[:0]
	if ok {
		s.keys = keys
		return Point{Step: step}, nil
	}
	p, err := s.parseLine(line)
	for k := range p.Values {
		s.keys = append(s.keys, []byte(k))
	}
	return p, err
}

func (s *MetricsScanner) skip(err error) {
	s.skipped++
	if s.first == nil {
		s.first = &MalformedError{Line: s.line, Err: err}
	}
}

// readLine returns the next line, without its newline; tooLong reports a line
// over MaxLineSize, whose bytes are discarded.
func (s *MetricsScanner) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.r.ReadSlice('\n')
		if !tooLong {
			if len(s.buf)+len(chunk) > MaxLineSize+1 {
				tooLong, s.buf = true, s.buf[:0]
			} else {
				s.buf = append(s.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(s.buf, []byte{'\n'}), tooLong, err
	}
}

// Point returns the line read by the last successful Scan. Its Values map is
// fresh for every line.
func (s *MetricsScanner) Point() Point { return s.p }

// Err returns the first read error, if any (malformed lines are not errors;
// see Skipped).
func (s *MetricsScanner) Err() error { return s.err }

// Skipped returns the number of malformed lines skipped so far and, when there
// are any, a *MalformedError describing them.
func (s *MetricsScanner) Skipped() (int, error) {
	if s.first == nil {
		return 0, nil
	}
	e := *s.first
	e.Lines = s.skipped
	return s.skipped, &e
}

// parsePoint parses one metrics line with the one typed JSON decoder (value.Unmarshal), so NaN, Infinity and
// -Infinity (as Python's json writes them) and 1e400 are values like any other.
func parsePoint(line []byte) (Point, error) {
	v, err := value.Unmarshal(line)
	if err != nil {
		return Point{}, err
	}
	raw, ok := v.(map[string]any)
	if !ok {
		return Point{}, errors.New("not a JSON object")
	}
	step, err := parseStep(raw["step"])
	if err != nil {
		return Point{}, err
	}
	p := Point{Step: step}
	if t, ok := raw["time"]; ok {
		if p.Time, ok = t.(string); !ok {
			return Point{}, errors.New(`"time" is not a string`)
		}
	}
	delete(raw, "step")
	delete(raw, "time")
	p.Values = raw
	return p, nil
}

func parseStep(v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case float64:
		if n != math.Trunc(n) || n < math.MinInt64 || n >= math.MaxInt64 {
			return 0, fmt.Errorf(`"step" %s is not an integer`, value.FormatFloat(n))
		}
		return int64(n), nil
	case nil:
		return 0, errors.New(`no numeric "step"`)
	}
	return 0, errors.New(`no numeric "step"`)
}

// ReadMetrics reads a whole metrics file and merges its lines by step (for
// the same step, later lines' keys win), returning the points in step order.
//
// Malformed lines are skipped (see MetricsScanner). The error is non-nil for a
// read error, or a *MalformedError when lines were skipped and none parsed;
// a file with a few bad lines still yields its good points and a nil error.
// Use a MetricsScanner to learn about every skipped line.
func ReadMetrics(r io.Reader) ([]Point, error) {
	s := NewMetricsScanner(r)
	var pts []Point
	index := make(map[int64]int)
	for s.Scan() {
		p := s.Point()
		i, ok := index[p.Step]
		if !ok {
			index[p.Step] = len(pts)
			pts = append(pts, p)
			continue
		}
		maps.Copy(pts[i].Values, p.Values)
		if p.Time != "" {
			pts[i].Time = p.Time
		}
	}
	slices.SortFunc(pts, func(a, b Point) int {
		switch {
		case a.Step < b.Step:
			return -1
		case a.Step > b.Step:
			return 1
		}
		return 0
	})
	return pts, scanError(s, len(pts) > 0)
}

func scanError(s *MetricsScanner, parsed bool) error {
	if err := s.Err(); err != nil {
		return err
	}
	if n, err := s.Skipped(); n > 0 && !parsed {
		return err
	}
	return nil
}

// LastValues returns the last value of each metric: the value logged at the
// largest step at which the metric appears (on a tie, the later line). It is
// what results.json holds when a run set no explicit results. It streams the
// file, so its memory grows with the number of metric names, not points.
// Errors are as for ReadMetrics.
func LastValues(r io.Reader) (map[string]any, error) {
	// Only steps and names are read for most lines (as ScanMetrics does); each metric keeps a copy of the last line
	// that holds it, and only those lines are parsed in full at the end.
	type last struct {
		step int64
		line []byte // the line to parse for the value, or nil when v holds it
		v    any
	}
	s := NewMetricsScanner(r)
	s.keysOnly = true
	lasts := make(map[string]*last)
	parsed := false
	for s.Scan() {
		parsed = true
		p := s.Point()
		for _, k := range s.keys {
			l, ok := lasts[string(k)]
			if !ok {
				l = &last{}
				lasts[string(k)] = l
			} else if p.Step < l.step {
				continue
			}
			l.step = p.Step
			if p.Values != nil {
				l.line, l.v = l.line[:0], p.Values[string(k)]
			} else {
				l.line = append(l.line[:0], s.raw...)
			}
		}
	}
	out := make(map[string]any, len(lasts))
	for k, l := range lasts {
		if len(l.line) == 0 {
			out[k] = l.v
			continue
		}
		p, err := parsePoint(l.line)
		if err != nil {
			return nil, err // cannot happen: the line was read once already
		}
		out[k] = p.Values[k]
	}
	return out, scanError(s, parsed)
}

// Float converts a metric value to a float64: integers, floats, and the strings "NaN", "Infinity", "-Infinity"
// (and "+Inf", "Inf", "-Inf", which earlier versions wrote for non-finite floats). It reports false for anything else.
func Float(v any) (float64, bool) { return value.Float(v) }
