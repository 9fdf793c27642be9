package exp

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

const sample = `{"step":0,"time":"2025-01-01T00:00:00Z","loss":1.0,"acc":0.5}
{"step":1,"time":"2025-01-01T00:00:01Z","loss":0.8}

{"step":1,"time":"2025-01-01T00:00:02Z","acc":0.6,"loss":0.7}
not json
{"step":"x","loss":3}
{"step":2.5,"loss":3}
[1,2]
{"loss":9}
{"step":0,"note":"late","nested":{"a":[1,2.5]}}
{"step":3,"time":"2025-01-01T00:00:03Z","loss":"NaN","ok":true,"big":12345678901234567890}
{"step":2,"time":"2025-01-01T00:00:04Z","loss":0.6,"n":7}
{"step":4,"loss":0.5`

func TestReadMetrics(t *testing.T) {
	pts, err := ReadMetrics(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{
		{0, "2025-01-01T00:00:00Z", map[string]any{"loss": 1.0, "acc": 0.5, "note": "late", "nested": map[string]any{"a": []any{1, 2.5}}}},
		{1, "2025-01-01T00:00:02Z", map[string]any{"loss": 0.7, "acc": 0.6}},
		{2, "2025-01-01T00:00:04Z", map[string]any{"loss": 0.6, "n": 7}},
		{3, "2025-01-01T00:00:03Z", map[string]any{"loss": "NaN", "ok": true, "big": 12345678901234567890.0}},
	}
	if !reflect.DeepEqual(pts, want) {
		t.Fatalf("got\n%v\nwant\n%v", pts, want)
	}

	s := NewMetricsScanner(strings.NewReader(sample))
	n := 0
	for s.Scan() {
		n++
	}
	skipped, serr := s.Skipped()
	var me *MalformedError
	if n != 6 || skipped != 6 || !errors.As(serr, &me) || me.Line != 5 || me.Lines != 6 {
		t.Fatalf("scanned %d, skipped %d: %v", n, skipped, serr)
	}
}

func TestLastValues(t *testing.T) {
	last, err := LastValues(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"loss": "NaN", "acc": 0.6, "n": 7, "ok": true, "note": "late",
		"big": 12345678901234567890.0, "nested": map[string]any{"a": []any{1, 2.5}}}
	if !reflect.DeepEqual(last, want) {
		t.Fatalf("got %v\nwant %v", last, want)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		in      string
		points  int
		wantErr bool
	}{
		{"", 0, false},
		{"\n\n  \n", 0, false},
		{"garbage\nmore garbage\n", 0, true}, // nothing parsed: not a metrics file
		{"garbage\n{\"step\":1,\"x\":1}\n", 1, false},
		{`{"step":1,"x":1}` + "\n" + strings.Repeat("x", MaxLineSize+10) + "\n" + `{"step":2,"x":1}`, 2, false},
	} {
		pts, err := ReadMetrics(strings.NewReader(tc.in))
		if len(pts) != tc.points || (err != nil) != tc.wantErr {
			t.Errorf("ReadMetrics(%.30q): %d points, err %v", tc.in, len(pts), err)
		}
		if _, err := LastValues(strings.NewReader(tc.in)); (err != nil) != tc.wantErr {
			t.Errorf("LastValues(%.30q): err %v", tc.in, err)
		}
	}
	// Read errors are returned along with what was read.
	r := iotest.TimeoutReader(strings.NewReader(strings.Repeat(`{"step":1,"x":1}`+"\n", 10000)))
	if _, err := ReadMetrics(r); err == nil {
		t.Error("read error not reported")
	}
}

func TestFloat(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want float64
		ok   bool
	}{
		{1.5, 1.5, true}, {3, 3, true}, {"+Inf", math.Inf(1), true}, {"-Inf", math.Inf(-1), true},
		{"x", 0, false}, {true, 0, false}, {nil, 0, false},
	} {
		got, ok := Float(tc.v)
		if ok != tc.ok || got != tc.want {
			t.Errorf("Float(%v) = %v, %v", tc.v, got, ok)
		}
	}
	if f, ok := Float("NaN"); !ok || !math.IsNaN(f) {
		t.Error("Float(NaN)")
	}
}

// TestRoundTrip checks that what Log writes reads back with the same values.
func TestRoundTrip(t *testing.T) {
	c, r := newTracked(t, "")
	in := map[string]any{"f": 1.0, "g": -2.5e-9, "i": 42, "b": false, "s": "tab\there \"q\" é", "nan": math.NaN()}
	c.Log(in)
	c.Close()
	pts, err := ReadMetrics(strings.NewReader(readFile(t, r.metrics)))
	if err != nil || len(pts) != 1 {
		t.Fatal(pts, err)
	}
	want := map[string]any{"f": 1.0, "g": -2.5e-9, "i": 42, "b": false, "s": "tab\there \"q\" é"}
	if nan, ok := pts[0].Values["nan"].(float64); !ok || !math.IsNaN(nan) {
		t.Fatalf("nan read back as %#v", pts[0].Values["nan"])
	}
	delete(pts[0].Values, "nan")
	if !reflect.DeepEqual(pts[0].Values, want) {
		t.Fatalf("got %v, want %v", pts[0].Values, want)
	}
}

func FuzzReadMetrics(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"step":1,"time":"t","a":1e400,"b":-0,"c":null}`))
	f.Add([]byte(`{"step":1e2,"a":"\u00e9","b":{"c":[1,{"d":2}]}}` + "\n" + `{"step":-3}`))
	f.Add([]byte(`{"step":1,"step":"x"}`))
	f.Add([]byte("{\"step\":1,\"a\xff\":1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, _ := ReadMetrics(strings.NewReader(string(data)))
		for i := 1; i < len(pts); i++ {
			if pts[i-1].Step >= pts[i].Step {
				t.Fatalf("steps out of order: %d then %d", pts[i-1].Step, pts[i].Step)
			}
		}
		LastValues(strings.NewReader(string(data)))
	})
}
