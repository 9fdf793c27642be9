package cli

import (
	"bufio"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/value"
)

// A metricsWriter prints the points of `git exp metrics` one at a time, so that the series never has to be held:
// point is called for each point in step order, close at the end.
type metricsWriter interface {
	point(p exp.Point) error
	close() error
}

// metricsJSON prints the JSON array of {step, time, <metric>: value}, byte for byte what writeJSON prints for the
// same rows held as maps (value's encoder: keys sorted, two-space indent, NaN and Infinity as bare tokens), one row
// at a time.
type metricsJSON struct {
	w     *bufio.Writer
	keys  []string // step, time and the metric names, sorted as value.Marshal sorts map keys
	quote [][]byte // each key, quoted
	n     int
	b     []byte
}

func newMetricsJSON(out io.Writer, names []string) *metricsJSON {
	keys := append([]string{"step", "time"}, names...)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	m := &metricsJSON{w: bufio.NewWriterSize(out, 64<<10), keys: keys}
	for _, k := range keys {
		m.quote = append(m.quote, value.AppendString(nil, k))
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
			if p.Time == "" { // a point logged without a time has none, not ""
				continue
			}
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
		if b, err = appendIndented(b, v); err != nil {
			return err
		}
	}
	b = append(b, "\n  }"...) // step is always there: the row is never {}
	m.b = b
	_, err := m.w.Write(b)
	return err
}

// appendIndented appends v as value.MarshalIndent prints it at the depth of a row's value.
func appendIndented(b []byte, v any) ([]byte, error) {
	start := len(b)
	b, err := value.AppendJSON(b, v)
	if err != nil {
		return b[:start], err
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return b, nil
		}
	case []any:
		if len(x) == 0 {
			return b, nil
		}
	default:
		return b, nil // a scalar: compact is indented
	}
	ind := value.Indent(slices.Clone(b[start:]))
	b = b[:start]
	for _, c := range ind[:len(ind)-1] {
		b = append(b, c)
		if c == '\n' {
			b = append(b, "    "...)
		}
	}
	return b, nil
}

func (m *metricsJSON) close() error {
	if m.n == 0 {
		m.w.WriteString("[]\n")
	} else {
		m.w.WriteString("\n]\n")
	}
	return m.w.Flush()
}

// metricsCSV prints CSV with a header row (values as tables show them: every digit, 6 significant ones when human).
type metricsCSV struct {
	w     *csv.Writer
	names []string
	human bool
	row   []string
}

func newMetricsCSV(out io.Writer, names []string, human bool) *metricsCSV {
	m := &metricsCSV{w: csv.NewWriter(out), names: names, human: human}
	m.w.Write(append([]string{"step"}, names...))
	return m
}

func (m *metricsCSV) point(p exp.Point) error {
	m.row = metricsRow(m.row[:0], p, m.names, m.human)
	return m.w.Write(m.row)
}

func (m *metricsCSV) close() error {
	m.w.Flush()
	return m.w.Error()
}

// metricsRow appends the cells of a point: its step, then each metric's value ("" when missing; see tableValue).
func metricsRow(row []string, p exp.Point, names []string, human bool) []string {
	row = append(row, strconv.FormatInt(p.Step, 10))
	for _, n := range names {
		if v, ok := p.Values[n]; ok {
			row = append(row, tableValue(v, human))
		} else {
			row = append(row, "")
		}
	}
	return row
}

// metricsTable prints a header line and tab-separated rows on a pipe, streaming. On a terminal it prints what table prints: the
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
	m := &metricsTable{io: io, names: names, w: bufio.NewWriterSize(io.Out, 64<<10)}
	if !io.OutTTY {
		// On a pipe too the columns are named (the metric names are data).
		m.w.WriteString(strings.Join(append([]string{"step"}, names...), "\t"))
		m.w.WriteByte('\n')
	}
	return m
}

func (m *metricsTable) point(p exp.Point) error {
	if !m.io.OutTTY {
		b := append(m.line[:0], strconv.FormatInt(p.Step, 10)...)
		for _, n := range m.names {
			b = append(b, '\t')
			if v, ok := p.Values[n]; ok {
				c := tableValue(v, false)
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
	row := metricsRow(nil, p, m.names, true)
	if m.widths == nil {
		m.rows = append(m.rows, row)
		if len(m.rows) <= tableRows {
			return nil
		}
		header := append([]string{"step"}, m.names...)
		fitTable(m.io.Width, header, m.rows)
		m.widths = columnWidths(header, m.rows)
		writeCells(m.w, header, m.widths, nil)
		for _, r := range m.rows {
			writeCells(m.w, r, m.widths, nil)
		}
		m.rows = nil
		return nil
	}
	for i, c := range row {
		if strings.ContainsAny(c, "\n\r\t") {
			row[i] = tsvCell.Replace(c)
		}
	}
	writeCells(m.w, row, m.widths, nil)
	return nil
}

func (m *metricsTable) close() error {
	if m.io.OutTTY && m.widths == nil {
		return table(m.io, append([]string{"step"}, m.names...), m.rows)
	}
	return m.w.Flush()
}
