package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/git-exp/git-exp/exp"
)

// A metricsWriter prints the points of `git exp metrics` one at a time, so that the series never has to be held:
// point is called for each point in step order, close at the end.
type metricsWriter interface {
	point(p exp.Point) error
	close() error
}

// metricsJSON prints the JSON array of {step, time, <metric>: value}, byte for byte what writeJSON prints for the
// same rows held as maps (keys sorted, two-space indent), one row at a time.
type metricsJSON struct {
	w     *bufio.Writer
	keys  []string // step, time and the metric names, sorted as encoding/json sorts map keys
	quote [][]byte // each key, quoted
	n     int
	b     []byte
	enc   *json.Encoder // for values that are not plain scalars
	buf   bytes.Buffer
}

func newMetricsJSON(out io.Writer, names []string) *metricsJSON {
	keys := append([]string{"step", "time"}, names...)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	m := &metricsJSON{w: bufio.NewWriterSize(out, 64<<10), keys: keys}
	m.enc = json.NewEncoder(&m.buf)
	m.enc.SetEscapeHTML(false)
	m.enc.SetIndent("    ", "  ")
	for _, k := range keys {
		q, _ := m.value(nil, k)
		m.quote = append(m.quote, slices.Clone(q))
	}
	return m
}

func (m *metricsJSON) point(p exp.Point) error {
	b := m.b[:0]
	if m.n == 0 {
		b = append(b, "[\n  {"...)
	} else {
		b = append(b, ",\n  {"...)
	}
	m.n++
	first := true
	for i, k := range m.keys {
		var v any
		switch k {
		case "step":
			v = p.Step
		case "time":
			v = p.Time
		default:
			var ok bool
			if v, ok = p.Values[k]; !ok {
				continue
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, "\n    "...)
		b = append(b, m.quote[i]...)
		b = append(b, ": "...)
		var err error
		if b, err = m.value(b, v); err != nil {
			return err
		}
	}
	if first {
		b = append(b, '}') // no key at all: encoding/json prints {} (cannot happen: step is always there)
	} else {
		b = append(b, "\n  }"...)
	}
	m.b = b
	_, err := m.w.Write(b)
	return err
}

// value appends v as encoding/json encodes it at the depth of a row's value.
func (m *metricsJSON) value(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return appendJSONFloat(b, x), nil
		}
	case string:
		if plainJSONString(x) {
			b = append(b, '"')
			b = append(b, x...)
			return append(b, '"'), nil
		}
	case bool:
		return strconv.AppendBool(b, x), nil
	case nil:
		return append(b, "null"...), nil
	}
	m.buf.Reset()
	if err := m.enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(m.buf.Bytes(), []byte{'\n'})...), nil
}

func (m *metricsJSON) close() error {
	if m.n == 0 {
		m.w.WriteString("[]\n")
	} else {
		m.w.WriteString("\n]\n")
	}
	return m.w.Flush()
}

// appendJSONFloat formats a finite float as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// plainJSONString reports whether s encodes as itself between quotes (printable ASCII, no quote or backslash).
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// metricsCSV prints CSV with a header row.
type metricsCSV struct {
	w     *csv.Writer
	names []string
	row   []string
}

func newMetricsCSV(out io.Writer, names []string) *metricsCSV {
	m := &metricsCSV{w: csv.NewWriter(out), names: names}
	m.w.Write(append([]string{"step"}, names...))
	return m
}

func (m *metricsCSV) point(p exp.Point) error {
	m.row = metricsRow(m.row[:0], p, m.names)
	return m.w.Write(m.row)
}

func (m *metricsCSV) close() error {
	m.w.Flush()
	return m.w.Error()
}

// metricsRow appends the cells of a point: its step, then each metric's value ("" when missing).
func metricsRow(row []string, p exp.Point, names []string) []string {
	row = append(row, strconv.FormatInt(p.Step, 10))
	for _, n := range names {
		if v, ok := p.Values[n]; ok {
			row = append(row, formatValue(v))
		} else {
			row = append(row, "")
		}
	}
	return row
}

// metricsTable prints tab-separated rows on a pipe, streaming. On a terminal it prints what table prints: the
// first tableRows rows are held to size the columns; a longer series then streams in those columns (a later, wider
// cell widens its own line only).
type metricsTable struct {
	io     *IO
	names  []string
	w      *bufio.Writer
	rows   [][]string
	widths []int // set once the terminal table streams
	line   []byte
}

const tableRows = 1000

func newMetricsTable(io *IO, names []string) *metricsTable {
	return &metricsTable{io: io, names: names, w: bufio.NewWriterSize(io.Out, 64<<10)}
}

func (m *metricsTable) point(p exp.Point) error {
	if !m.io.OutTTY {
		b := append(m.line[:0], strconv.FormatInt(p.Step, 10)...)
		for _, n := range m.names {
			b = append(b, '\t')
			if v, ok := p.Values[n]; ok {
				c := formatValue(v)
				if strings.IndexByte(c, '\t') >= 0 || strings.IndexByte(c, '\n') >= 0 {
					c = tsvCell.Replace(c)
				}
				b = append(b, c...)
			}
		}
		m.line = append(b, '\n')
		_, err := m.w.Write(m.line)
		return err
	}
	row := metricsRow(nil, p, m.names)
	if m.widths == nil {
		m.rows = append(m.rows, row)
		if len(m.rows) <= tableRows {
			return nil
		}
		header := append([]string{"step"}, m.names...)
		fitTable(m.io.Width, header, m.rows)
		m.widths = make([]int, len(header))
		for i, h := range header {
			m.widths[i] = twwidth.Width(h)
		}
		for _, r := range m.rows {
			for i, c := range r {
				m.widths[i] = max(m.widths[i], twwidth.Width(c))
			}
		}
		m.writeRow(header)
		for _, r := range m.rows {
			m.writeRow(r)
		}
		m.rows = nil
		return nil
	}
	for i, c := range row {
		if strings.ContainsAny(c, "\n\r\t") {
			row[i] = tsvCell.Replace(c)
		}
	}
	m.writeRow(row)
	return nil
}

// writeRow prints a row as the terminal table does: each cell padded to its column, one space either side.
func (m *metricsTable) writeRow(r []string) {
	for i, c := range r {
		m.w.WriteByte(' ')
		m.w.WriteString(c)
		for pad := m.widths[i] - twwidth.Width(c); pad > 0; pad-- {
			m.w.WriteByte(' ')
		}
		m.w.WriteByte(' ')
	}
	m.w.WriteByte('\n')
}

func (m *metricsTable) close() error {
	if m.io.OutTTY && m.widths == nil {
		return table(m.io, append([]string{"step"}, m.names...), m.rows)
	}
	return m.w.Flush()
}
