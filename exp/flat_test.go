package exp

import (
	"math"
	"testing"
)

// sameValue compares two decoded values, NaN equal to NaN and the types exact (an int is not a float64).
func sameValue(a, b any) bool {
	if x, ok := a.(float64); ok {
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	}
	switch a.(type) {
	case map[string]any, []any:
		return false // parseFlat never makes them
	}
	return a == b
}

// parseFlat reads a line exactly as parsePoint does whenever it reads it at all: it is only a faster way.
func FuzzParseFlat(f *testing.F) {
	for _, s := range []string{
		`{"step":3,"time":"2025-01-02T03:04:05.000000001Z","acc":0.5,"loss":2}`,
		` { "step" : 1 , "loss" : -0 , "x" : 1e400 , "y" : -1e400 , "z" : 1e-400 } `,
		`{"step":1.0,"a":NaN,"b":Infinity,"c":-Infinity,"d":true,"e":false,"f":null,"g":"s"}`,
		`{"step":9223372036854775807,"big":123456789012345678901234567890,"n":-9223372036854775808}`,
		`{"step":1,"a":1,"a":2,"step":2,"time":"t","time":"u"}`,
		`{"step":1,"time":3}`, `{"step":1.5,"a":1}`, `{"step":"1","a":1}`, `{"a":1}`, `{}`,
		`{"step":1,"a":01}`, `{"step":1,"a":1.}`, `{"step":1,"a":-}`, `{"step":1,"a":"\u00e9"}`, `{"step":1,"é":"ü"}`,
		"{\"step\":1,\"a\":\"\xff\"}", `{"step":1,"a":{"b":1}}`, `{"step":1,"a":[1]}`, `{"step":1,}`, `{"step":1} x`,
		`{"step":1,"a":-Inf}`, `{"step":1,"a":Infinityx}`, `[1]`, ``, `{"step":1e3,"a":2}`, `{"step":-0,"a":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var s MetricsScanner
		got, ok := s.parseFlat(line)
		if !ok {
			return
		}
		want, err := parsePoint(line)
		if err != nil {
			t.Fatalf("parseFlat reads %q, parsePoint refuses it: %v", line, err)
		}
		if got.Step != want.Step || got.Time != want.Time || len(got.Values) != len(want.Values) {
			t.Fatalf("%q: parseFlat %+v, parsePoint %+v", line, got, want)
		}
		for k, v := range want.Values {
			if w, ok := got.Values[k]; !ok || !sameValue(v, w) {
				t.Fatalf("%q: %s is %#v (parseFlat), %#v (parsePoint)", line, k, w, v)
			}
		}
	})
}

// The names of a file's metrics are interned: the same string on every line, and no more than internLimit kept.
func TestParseFlatInterns(t *testing.T) {
	var s MetricsScanner
	a, ok1 := s.parseFlat([]byte(`{"step":1,"loss":1}`))
	b, ok2 := s.parseFlat([]byte(`{"step":2,"loss":2}`))
	if !ok1 || !ok2 {
		t.Fatal("not read")
	}
	var ka, kb string
	for k := range a.Values {
		ka = k
	}
	for k := range b.Values {
		kb = k
	}
	if ka != "loss" || kb != "loss" || len(s.names) != 1 {
		t.Fatalf("names %v", s.names)
	}
	for i := range 2 * internLimit {
		s.intern([]byte{byte(i), byte(i >> 8)})
	}
	if len(s.names) != internLimit {
		t.Fatalf("%d names kept", len(s.names))
	}
}
