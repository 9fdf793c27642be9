package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/exp"
)

// oldMetrics is how `git exp metrics` printed a series held in memory; the streaming writers must print the same.
func oldMetrics(io *IO, points []exp.Point, names []string, format string) error {
	if len(names) == 0 {
		seen := map[string]bool{}
		for _, p := range points {
			for k := range p.Values {
				if !seen[k] {
					seen[k] = true
					names = append(names, k)
				}
			}
		}
		sort.Strings(names)
	}
	if format == "json" {
		out := make([]map[string]any, 0, len(points))
		for _, p := range points {
			row := map[string]any{"step": p.Step}
			if p.Time != "" {
				row["time"] = p.Time
			}
			for _, n := range names {
				if v, ok := p.Values[n]; ok {
					row[n] = v
				}
			}
			out = append(out, row)
		}
		return writeJSON(io.Out, out)
	}
	header := append([]string{"step"}, names...)
	var rows [][]string
	for _, p := range points {
		row := []string{strconv.FormatInt(p.Step, 10)}
		for _, n := range names {
			if v, ok := p.Values[n]; ok {
				row = append(row, tableValue(v, io.OutTTY))
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	if format == "csv" {
		w := csv.NewWriter(io.Out)
		w.Write(header)
		w.WriteAll(rows)
		return w.Error()
	}
	if !io.OutTTY {
		fmt.Fprintln(io.Out, strings.Join(header, "\t"))
	}
	return table(io, header, rows)
}

func randomValue(r *rand.Rand) string {
	switch r.Intn(9) {
	case 0:
		return strconv.Itoa(r.Intn(2000) - 1000)
	case 1:
		return strconv.FormatFloat(r.NormFloat64()*1e-8, 'g', -1, 64)
	case 2:
		return strconv.FormatFloat(r.NormFloat64()*1e25, 'g', -1, 64)
	case 3:
		return strconv.FormatFloat(r.Float64(), 'f', -1, 64)
	case 4:
		return `"a<b>&c\t\"q\"\u00e9\u2028"`
	case 5:
		return `{"x":[1,{"y":null}],"e":{},"l":[]}`
	case 6:
		return "true"
	case 7:
		return "null"
	}
	return []string{`"NaN"`, "NaN", "Infinity", "-Infinity", "1e400"}[r.Intn(5)]
}

func TestMetricsWritersMatchInMemory(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 60; i++ {
		var b strings.Builder
		n := r.Intn(40)
		if i%20 == 0 {
			n = 1500 // past tableRows: the terminal table streams
		}
		for j := 0; j < n; j++ {
			if j%7 == 3 {
				fmt.Fprintf(&b, `{"step":%d`, r.Intn(n+1)) // no time
			} else {
				fmt.Fprintf(&b, `{"step":%d,"time":"t%d"`, r.Intn(n+1), j)
			}
			for _, k := range []string{"loss", "acc", "a b", "é"} {
				if r.Intn(2) == 0 {
					fmt.Fprintf(&b, `,%q:%s`, k, randomValue(r))
				}
			}
			b.WriteString("}\n")
		}
		data := b.String()
		points, err := exp.ReadMetrics(strings.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		series, err := exp.ScanMetrics(func() (rc io.ReadCloser, err error) {
			return io.NopCloser(strings.NewReader(data)), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		if i%3 == 2 {
			names = []string{"loss", "nope", "step"}
		}
		for _, format := range []string{"json", "csv", "tsv", "tty"} {
			if format != "json" && len(points) == 0 {
				continue // the command prints nothing but a message then
			}
			var want, got bytes.Buffer
			wio := &IO{Out: &want, OutTTY: format == "tty", Width: 120}
			gio := &IO{Out: &got, OutTTY: format == "tty", Width: 120}
			if err := oldMetrics(wio, points, names, format); err != nil {
				t.Fatal(err)
			}
			use := names
			if len(use) == 0 {
				use = series.Names()
			}
			var w metricsWriter
			switch format {
			case "json":
				w = newMetricsJSON(gio.Out, use)
			case "csv":
				w = newMetricsCSV(gio.Out, use, gio.OutTTY)
			default:
				w = newMetricsTable(gio, use)
			}
			if err := series.Each(w.point); err != nil {
				t.Fatal(err)
			}
			if err := w.close(); err != nil {
				t.Fatal(err)
			}
			if format == "tty" && len(points) > tableRows {
				// Columns are sized by the first rows: compare the cells, not the padding.
				want, got := strings.Fields(want.String()), strings.Fields(got.String())
				if strings.Join(want, " ") != strings.Join(got, " ") {
					t.Fatalf("case %d, %s: cells differ", i, format)
				}
				continue
			}
			if want.String() != got.String() {
				t.Fatalf("case %d, %s:\ngot\n%s\nwant\n%s", i, format, got.String(), want.String())
			}
		}
	}
}

// BenchmarkMetrics prints a 200,000-point series (as exp.Log writes it) in each format, in process.
func BenchmarkMetrics(b *testing.B) {
	var buf bytes.Buffer
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&buf, `{"step":%d,"time":"2025-01-02T03:04:%02d.%09dZ","acc":%v,"loss":%v}`+"\n", i, i%60, i, r.Float64(), r.Float64()*10)
	}
	data := buf.Bytes()
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	for _, format := range []string{"scan", "json", "csv", "tsv"} {
		b.Run(format, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				s, err := exp.ScanMetrics(open)
				if err != nil {
					b.Fatal(err)
				}
				if format == "scan" {
					continue
				}
				var w metricsWriter
				switch format {
				case "json":
					w = newMetricsJSON(io.Discard, s.Names())
				case "csv":
					w = newMetricsCSV(io.Discard, s.Names(), false)
				default:
					w = newMetricsTable(&IO{Out: io.Discard}, s.Names())
				}
				if err := s.Each(w.point); err != nil {
					b.Fatal(err)
				}
				w.close()
			}
		})
	}
}
