package thin

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/exp"
)

func series(tb testing.TB, text string) *exp.Series {
	tb.Helper()
	sr, err := exp.ScanMetrics(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil })
	if err != nil {
		tb.Fatal(err)
	}
	return sr
}

func sameExtreme(a, b Extreme) bool {
	return a.Rank == b.Rank && math.Float64bits(a.Step) == math.Float64bits(b.Step) &&
		math.Float64bits(a.Val) == math.Float64bits(b.Val) && math.Float64bits(a.Seconds()) == math.Float64bits(b.Seconds())
}

// TestStoredRoundTrip: Decode gives back, bucket for bucket, the summary that Scan made and AppendStored wrote.
func TestStoredRoundTrip(t *testing.T) {
	var sb strings.Builder
	for i := range 9000 {
		v := fmt.Sprint(math.Cos(float64(i) / 40))
		switch {
		case i%101 == 0:
			v = "NaN"
		case i%211 == 0:
			v = "-Infinity"
		case i >= 4000 && i < 4100:
			v = "NaN"
		}
		tm := ""
		if i%2 == 0 {
			tm = fmt.Sprintf(`, "time": "2026-01-01T00:00:%02d.%03dZ"`, i/1000, i%1000)
		}
		fmt.Fprintf(&sb, `{"step": %d%s, "a": %s, "b": %d, "s": "x\"y"}`+"\n", i*3, tm, v, i%17)
		if i == 6000 {
			fmt.Fprintf(&sb, `{"step": 5, "a": 1e400}`+"\n") // a step that goes back
		}
	}
	sm, err := Scan(series(t, sb.String()), nil, 0, math.Inf(-1), math.Inf(1))
	if err != nil {
		t.Fatal(err)
	}
	data := sm.AppendStored(nil)
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("%v\n%.400s", err, data)
	}
	if again := got.AppendStored(nil); !bytes.Equal(again, data) {
		t.Fatal("written again, the decoded summary differs")
	}
	if strings.Join(got.Names, ",") != "a,b,s" || got.Half != sm.Half || len(got.Metrics) != 3 {
		t.Fatalf("names %v half %d metrics %d", got.Names, got.Half, len(got.Metrics))
	}
	for name, want := range sm.Metrics {
		g := got.Metrics[name]
		if g.Total != want.Total || g.width != want.width || g.half != want.half || len(g.Buckets) != len(want.Buckets) {
			t.Fatalf("%s: total %d/%d width %d/%d buckets %d/%d", name, g.Total, want.Total, g.width, want.width, len(g.Buckets), len(want.Buckets))
		}
		for i, w := range want.Buckets {
			b := g.Buckets[i]
			if b.N != w.N || b.Finite != w.Finite || !sameExtreme(b.First, w.First) || !sameExtreme(b.Last, w.Last) ||
				!sameExtreme(b.Lo, w.Lo) || !sameExtreme(b.Hi, w.Hi) {
				t.Fatalf("%s bucket %d: %+v, want %+v", name, i, b, w)
			}
		}
	}
	if sm.Metrics["a"].Exact() || sm.Metrics["s"].Total != 0 {
		t.Fatal("the series was not thinned, or a string metric was charted")
	}
	one, ok := got.For([]string{"b", "nothing"})
	if !ok || len(one.Metrics) != 1 || one.Metrics["b"] != got.Metrics["b"] || len(one.Names) != 3 {
		t.Fatalf("For(b): %v %+v", ok, one)
	}
	many := make([]string, 30)
	if _, ok := got.For(many); ok {
		t.Fatal("a summary of another resolution was given")
	}
}

// TestDecodeRefuses: another version, and files that contradict themselves, are errors (the reader reads the
// series instead), never a panic or a wrong chart.
func TestDecodeRefuses(t *testing.T) {
	for _, bad := range []string{
		``, `[]`, `{"version": 2, "half": 4, "names": [], "metrics": {}}`, `{"version": "1"}`,
		`{"version": 1, "half": 0, "names": [], "metrics": {}}`,
		`{"version": 1, "half": 4, "names": ["b", "a"], "metrics": {}}`,
		`{"version": 1, "half": 4, "names": ["a"], "metrics": {"z": {}}}`,
		`{"version": 1, "half": 4, "names": ["a"], "metrics": {"a": {"total": 3, "width": 3}}}`,
		`{"version": 1, "half": 1, "names": ["a"], "metrics": {"a": {"total": 3, "width": 1}}}`,
		`{"version": 1, "half": 4, "names": ["a"], "metrics": {"a": {"total": 1, "width": 1, "first": {"step": [0.0], "value": [1.0]},
		  "last": {"step": [0.0], "value": [1.0]}, "lo": {"rank": [5], "step": [0.0], "value": [1.0]}, "hi": {"rank": [0], "step": [0.0], "value": [1.0]}}}}`,
		`{"version": 1, "half": 4, "names": ["a"], "metrics": {"a": {"total": 1, "width": 1, "first": {"step": [0.0], "value": [1.0]},
		  "last": {"step": [0.0], "value": [1.0]}, "lo": {"rank": [0], "step": [0.0], "value": [1.0]}, "hi": {"rank": [-1], "step": [0.0], "value": [1.0]}}}}`,
		`{"version": 1, "half": 4, "names": ["a"], "metrics": {"a": {"total": 1, "width": 1, "first": {"step": ["x"], "value": [1.0]},
		  "last": {"step": [0.0], "value": [1.0]}, "lo": {"rank": [0], "step": [0.0], "value": [1.0]}, "hi": {"rank": [0], "step": [0.0], "value": [1.0]}}}}`,
	} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) gave no error", bad)
		}
	}
	ok := `{"version": 1, "half": 4, "names": ["a"], "metrics": {"a": {"total": 1, "width": 1, "first": {"step": [0.0], "value": [1.0]},
		  "last": {"step": [0.0], "value": [1.0]}, "lo": {"rank": [0], "step": [0.0], "value": [1.0]}, "hi": {"rank": [0], "step": [0.0], "value": [1.0]}}}}`
	if _, err := Decode([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}

// TestBuilderIsBuild: the summary made within a pass over a file's lines (Builder) is the one Build makes from its
// Series, byte for byte; files whose steps go back, or with more than 20 metrics, are left to Build.
func TestBuilderIsBuild(t *testing.T) {
	gen := func(n, metrics int, back bool) string {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, `{"step": %d`, i*2)
			if i%3 != 0 {
				fmt.Fprintf(&sb, `, "time": "2026-01-01T00:00:00.%03dZ"`, i%1000)
			}
			for m := range metrics {
				v := fmt.Sprintf("%.4g", math.Sin(float64(i*(m+1))/70))
				switch {
				case i%89 == 1:
					v = "NaN"
				case i%97 == 2:
					v = "Infinity"
				case i > 2000 && i < 2300:
					v = "NaN"
				}
				fmt.Fprintf(&sb, `, "m%02d": %s`, m, v)
			}
			sb.WriteString("}\n")
			if i%7 == 0 { // a second line of the step: its values win
				fmt.Fprintf(&sb, `{"step": %d, "m00": %d, "late": "x"}`+"\n", i*2, -i)
			}
			if i == 4000 {
				sb.WriteString("not json\n")
			}
			if back && i == n/2 {
				fmt.Fprintf(&sb, `{"step": %d, "m00": 5}`+"\n", i)
			}
		}
		return sb.String()
	}
	for _, c := range []struct {
		metrics int
		back    bool
		ok      bool
	}{{2, false, true}, {19, false, true}, {2, true, false}, {20, false, false}} { // with "late": 20 and 21 names
		text := gen(9000, c.metrics, c.back)
		b := NewBuilder()
		sc := exp.NewMetricsScanner(strings.NewReader(text))
		for sc.Scan() {
			b.Add(sc.Point())
		}
		got, ok := b.Stored()
		if ok != c.ok {
			t.Fatalf("%+v: ok %v", c, ok)
		}
		if !ok {
			continue
		}
		want, err := Build(series(t, text))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v: the builder wrote\n%.300s\nBuild\n%.300s", c, got, want)
		}
	}
}

// FuzzDecode: whatever a stored summary holds (it comes from teammates' stores too), Decode gives an error or a
// summary that writes back as it decodes — never a panic or an allocation the file does not pay for.
func FuzzDecode(f *testing.F) {
	var sb strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&sb, `{"step": %d, "a": %g, "time": "t%d"}`+"\n", i, math.Sin(float64(i)), i)
	}
	sm, err := Scan(series(f, sb.String()), nil, 0, math.Inf(-1), math.Inf(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sm.AppendStored(nil))
	f.Add([]byte(`{"version": 1, "half": 2048, "names": ["a"], "metrics": {"a": {"total": 9007199254740992, "width": 4503599627370496}}}`))
	f.Add([]byte(`{"version": 1, "half": 4, "names": [], "metrics": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sm, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Decode(sm.AppendStored(nil))
		if err != nil {
			t.Fatalf("written back, a decoded summary does not decode: %v", err)
		}
		if !bytes.Equal(again.AppendStored(nil), sm.AppendStored(nil)) {
			t.Fatal("a decoded summary changes when written back")
		}
	})
}

// TestBuildBytes: a metrics file in memory gets the summary BuildFile makes of it, in one pass or (steps that go
// back) from its Series, once it is long enough for one to be worth storing.
func TestBuildBytes(t *testing.T) {
	gen := func(n int, back bool) []byte {
		var b []byte
		for i := range n {
			b = fmt.Appendf(b, `{"step": %d, "loss": %.6g}`+"\n", i, math.Exp(-float64(i)/float64(n)*5)+0.01*math.Sin(float64(i)))
			if back && i == n/2 {
				b = fmt.Appendf(b, `{"step": %d, "loss": 3}`+"\n", i/2)
			}
		}
		return b
	}
	for _, c := range []struct {
		n    int
		back bool
		ok   bool
	}{{70000, false, true}, {70000, true, true}, {30000, false, false}, {100, false, false}} { // 30000 lines: < 1 MiB
		data := gen(c.n, c.back)
		got, ok := BuildBytes(data)
		want, wantOK := BuildFile(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, int64(len(data)))
		if ok != c.ok || wantOK != c.ok || !bytes.Equal(got, want) {
			t.Fatalf("%+v (%d bytes): ok %v, BuildFile %v; equal %v", c, len(data), ok, wantOK, bytes.Equal(got, want))
		}
	}
}
