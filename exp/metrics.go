package exp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/git-exp/git-exp/value"
)

// A LogOption configures one Log call. (It is a plain value rather than a
// function so that Log does not allocate.)
type LogOption struct {
	step    int64
	hasStep bool
}

// Step sets the step of a logged point (n >= 0). Without it, a point gets one
// past the largest step logged so far (0 for the first). Logging the same
// step again appends another line for that step; readers merge them.
func Step(n int) LogOption { return LogOption{step: int64(n), hasStep: true} }

// metricsWriter is the append-only metrics file. All fields are guarded by
// the Client's mutex.
type metricsWriter struct {
	f       *os.File
	w       *bufio.Writer
	line    []byte   // scratch: the line being encoded
	keys    []string // scratch: sorted metric names
	scanned bool     // the existing file was scanned for its largest step
	have    bool     // some step has been logged (or found in the file)
	max     int64    // largest step so far
	err     error    // sticky write error
	timer   *time.Timer
	armed   bool // timer pending: there is unflushed data
}

// Log appends one point to the metrics file: the given metrics, the step (see
// Step) and the current time. Values may be integers, floats, bools or
// strings (NaN and infinities are written as the bare tokens NaN, Infinity and
// -Infinity, as Python's json module writes them; see package value); the
// names "step" and "time" are reserved. A point with an invalid
// value is not written at all.
//
// Log is cheap: points are buffered and written at most FlushInterval later,
// when the buffer fills, or on Flush, Result, Results and Close. The file is
// never rewritten.
func (c *Client) Log(metrics map[string]any, opts ...LogOption) error {
	var o LogOption
	for _, opt := range opts {
		if opt.hasStep {
			o = opt
		}
	}
	if o.hasStep && o.step < 0 {
		return fmt.Errorf("exp: Log: step %d is negative", o.step)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start()
	m := &c.metrics
	if err := c.openMetrics(); err != nil {
		return err
	}
	step := o.step
	if !o.hasStep {
		step = 0
		if m.have {
			step = m.max + 1
		}
	}
	line, err := m.encode(step, time.Now(), metrics)
	if err != nil {
		return err
	}
	if _, err := m.w.Write(line); err != nil {
		m.err = fmt.Errorf("exp: writing metrics: %w", err)
		return m.err
	}
	if !m.have || step > m.max {
		m.have, m.max = true, step
	}
	if !m.armed {
		m.armed = true
		if m.timer == nil {
			m.timer = time.AfterFunc(c.flushInterval, c.timedFlush)
		} else {
			m.timer.Reset(c.flushInterval)
		}
	}
	return nil
}

// Log appends one point to the metrics file of the Default client.
func Log(metrics map[string]any, opts ...LogOption) error {
	return Default().Log(metrics, opts...)
}

func (c *Client) timedFlush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metrics.armed = false
	c.metrics.flush()
}

// openMetrics opens the metrics file for appending, once. c.mu held.
func (c *Client) openMetrics() error {
	m := &c.metrics
	if m.err != nil {
		return m.err
	}
	if m.f != nil {
		return nil
	}
	fail := func(err error) error {
		m.err = fmt.Errorf("exp: opening metrics file: %w", err)
		return m.err
	}
	if err := os.MkdirAll(filepath.Dir(c.metricsPath), 0o755); err != nil {
		return fail(err)
	}
	f, err := os.OpenFile(c.metricsPath, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fail(err)
	}
	if !m.scanned {
		// A continued experiment may append to an existing file: number new
		// points after the ones already there, and never glue a line onto a
		// partial one left by a crash.
		m.scanned = true
		if st, err := f.Stat(); err == nil && st.Size() > 0 {
			if max, ok := maxStep(io.NewSectionReader(f, 0, st.Size())); ok && (!m.have || max > m.max) {
				m.have, m.max = true, max
			}
			var last [1]byte
			if _, err := f.ReadAt(last[:], st.Size()-1); err == nil && last[0] != '\n' {
				if _, err := f.Write([]byte{'\n'}); err != nil {
					f.Close()
					return fail(err)
				}
			}
		}
	}
	m.f = f
	if m.w == nil {
		m.w = bufio.NewWriterSize(f, 64<<10)
	} else {
		m.w.Reset(f)
	}
	return nil
}

// maxStep returns the largest step in a metrics file.
func maxStep(r io.Reader) (int64, bool) {
	s := NewMetricsScanner(r)
	var max int64
	have := false
	for s.Scan() {
		if p := s.Point(); !have || p.Step > max {
			max, have = p.Step, true
		}
	}
	return max, have
}

func (m *metricsWriter) flush() error {
	if m.w == nil || m.w.Buffered() == 0 {
		return m.err
	}
	if err := m.w.Flush(); err != nil && m.err == nil {
		m.err = fmt.Errorf("exp: writing metrics: %w", err)
	}
	return m.err
}

func (m *metricsWriter) close() error {
	if m.timer != nil {
		m.timer.Stop()
		m.armed = false
	}
	err := m.flush()
	if m.f != nil {
		if cerr := m.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("exp: closing metrics file: %w", cerr)
		}
		m.f = nil
	}
	return err
}

// encode renders one point as a JSON line into m.line.
func (m *metricsWriter) encode(step int64, now time.Time, metrics map[string]any) ([]byte, error) {
	m.keys = m.keys[:0]
	for k := range metrics {
		switch k {
		case "":
			return nil, errors.New("exp: Log: empty metric name")
		case "step", "time":
			return nil, fmt.Errorf("exp: Log: %q is a reserved name; use exp.Step to set the step", k)
		}
		m.keys = append(m.keys, k)
	}
	slices.Sort(m.keys)
	b := append(m.line[:0], `{"step":`...)
	b = strconv.AppendInt(b, step, 10)
	b = append(b, `,"time":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	for _, k := range m.keys {
		b = append(b, ',')
		b = value.AppendString(b, k)
		b = append(b, ':')
		var ok bool
		if b, ok = appendValue(b, metrics[k]); !ok {
			m.line = b
			return nil, fmt.Errorf("exp: Log: metric %q: unsupported value %#v of type %T (want a number, bool or string)", k, metrics[k], metrics[k])
		}
	}
	b = append(b, '}', '\n')
	m.line = b
	return b, nil
}

// appendValue appends a metric value as JSON.
func appendValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case float64:
		return value.AppendFloat(b, x, 64), true
	case float32:
		return value.AppendFloat(b, float64(x), 32), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true
	case int16:
		return strconv.AppendInt(b, int64(x), 10), true
	case int8:
		return strconv.AppendInt(b, int64(x), 10), true
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), true
	case bool:
		return strconv.AppendBool(b, x), true
	case string:
		return value.AppendString(b, x), true
	}
	// Named types (type Loss float64, ...).
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Float64:
		return value.AppendFloat(b, rv.Float(), 64), true
	case reflect.Float32:
		return value.AppendFloat(b, rv.Float(), 32), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, rv.Uint(), 10), true
	case reflect.Bool:
		return strconv.AppendBool(b, rv.Bool()), true
	case reflect.String:
		return value.AppendString(b, rv.String()), true
	}
	return b, false
}
