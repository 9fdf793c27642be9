package value

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestMarshal(t *testing.T) {
	type point struct {
		X float64 `json:"x"`
		Y int     `json:"y"`
	}
	tests := []struct {
		in   any
		want string
	}{
		{nil, "null"},
		{1, "1"},
		{int64(-5), "-5"},
		{uint8(7), "7"},
		{1.0, "1.0"},
		{-0.0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{1e-7, "1e-7"},
		{0.1, "0.1"},
		{float32(0.1), "0.1"},
		{"a\"b\\c\n\x01<>&\u2028", `"a\"b\\c\n\u0001<>&\u2028"`},
		{"\xff", `"\ufffd"`},
		{true, "true"},
		{[]any{}, "[]"},
		{[]any(nil), "null"},
		{map[string]any{}, "{}"},
		{map[string]any{"b": 1, "a": []any{2.0}}, `{"a":[2.0],"b":1}`},
		{[]float64{1, 2.5}, "[1.0,2.5]"},
		{map[string]int{"z": 1, "y": 2}, `{"y":2,"z":1}`},
		{[2]int{1, 2}, "[1,2]"},
		{[]byte("hi"), `"aGk="`},
		{point{X: 1, Y: 2}, `{"x":1.0,"y":2}`}, // struct floats stay floats too
		{struct {
			point
			Z     string          `json:"z,omitempty"`
			Raw   json.RawMessage `json:"raw"`
			Skip  int             `json:"-"`
			Plain bool
			low   int
		}{point: point{X: 0.5}, Raw: json.RawMessage(`{"loss": NaN, "n": 1}`)}, `{"x":0.5,"y":0,"raw":{"loss":NaN,"n":1},"Plain":false}`},
		{&struct {
			*point
			Y string `json:"y"`
		}{}, `{"y":""}`},
		{map[int]string{2: "b", 1: "a"}, `{"1":"a","2":"b"}`},
	}
	for _, tt := range tests {
		got, err := Marshal(tt.in)
		if err != nil {
			t.Errorf("Marshal(%#v): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("Marshal(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	nonFinite := []struct {
		in   any
		want string
	}{
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{[]any{math.Inf(-1)}, "[-Infinity]"},
		{map[string]any{"x": math.NaN(), "y": float32(math.Inf(1))}, `{"x":NaN,"y":Infinity}`},
	}
	for _, tt := range nonFinite {
		if got, err := Marshal(tt.in); err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{func() {}, make(chan int)} {
		if _, err := Marshal(bad); err == nil {
			t.Errorf("Marshal(%v): no error", bad)
		}
	}
	loop := []any{nil}
	loop[0] = loop
	if _, err := Marshal(loop); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("Marshal(self-referencing) error = %v", err)
	}
}

func TestMarshalIndent(t *testing.T) {
	got, err := MarshalIndent(map[string]any{"lr": 1.0, "model": map[string]any{"h": 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"lr\": 1.0,\n  \"model\": {\n    \"h\": 2\n  }\n}\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"1", 1},
		{"-0", 0},
		{"1.0", 1.0},
		{"1e2", 100.0},
		{"1E2", 100.0},
		{"9223372036854775807", math.MaxInt64},
		{"9223372036854775808", 9223372036854775808.0},
		{`{"a":[1,2.5,"x",null,true,{}]}`, map[string]any{"a": []any{1, 2.5, "x", nil, true, map[string]any{}}}},
		{" [ ] ", []any{}},
		{`"a\u00e9\ud83d\ude00\ud800x\n\/"`, "a\u00e9\U0001F600\ufffdx\n/"},
		{"\"\xff\"", "\ufffd"},
		{`{"a":1,"a":2}`, map[string]any{"a": 2}},
		{"1e400", math.Inf(1)},
		{"-1e400", math.Inf(-1)},
		{"Infinity", math.Inf(1)},
		{`{"loss":-Infinity}`, map[string]any{"loss": math.Inf(-1)}},
	}
	for _, tt := range tests {
		got, err := Unmarshal([]byte(tt.in))
		if err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Unmarshal(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	v, err := Unmarshal([]byte(`{"loss": NaN, "eval": {"acc": 0.5}}`))
	if m, ok := v.(map[string]any); err != nil || !ok || !math.IsNaN(m["loss"].(float64)) || m["eval"].(map[string]any)["acc"] != 0.5 {
		t.Errorf("Python's NaN: %#v, %v", v, err)
	}
	for _, bad := range []string{"", "{", "1 2", "[1]x", "nan", "-NaN", "Inf", "-Inf", "{1: 2}", `"\x"`, `"\u12"`, "[1,]", "01", "\"a\x01\""} {
		if v, err := Unmarshal([]byte(bad)); err == nil {
			t.Errorf("Unmarshal(%q) = %#v, want an error", bad, v)
		}
	}
}

func TestStrict(t *testing.T) {
	in := map[string]any{"loss": math.NaN(), "l": []any{math.Inf(1), 1.5}, "m": map[string]any{"x": math.Inf(-1)}, "s": "a"}
	b, err := Marshal(Strict(in))
	if want := `{"l":["Infinity",1.5],"loss":"NaN","m":{"x":"-Infinity"},"s":"a"}`; err != nil || string(b) != want {
		t.Errorf("Strict: %s, %v; want %s", b, err, want)
	}
	if !math.IsNaN(in["loss"].(float64)) {
		t.Error("Strict changed its input")
	}
	finite := map[string]any{"a": 1.0}
	if reflect.ValueOf(Strict(finite)).Pointer() != reflect.ValueOf(finite).Pointer() {
		t.Error("a finite tree is copied")
	}
}

// NumberValue's fast path gives exactly ParseFloat's float64 (the same bits) for numbers it takes, and leaves the
// others to it: decimals, exponents, signs, zeros, mantissas either side of 2^53, powers of ten either side of ±22.
func TestExactFloatMatchesParseFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 7))
	check := func(s string) {
		t.Helper()
		want, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			t.Fatalf("%q: %v", s, err)
		}
		if got, ok := exactFloat(s); ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("exactFloat(%q) = %v (%x), ParseFloat %v (%x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
		if got := NumberValue(s, false).(float64); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("NumberValue(%q) = %v, ParseFloat %v", s, got, want)
		}
	}
	for _, s := range []string{"0", "-0", "0.0", "-0.0", "0.001", "0.8287", "0.0001", "1e-05", "1E5", "32.977",
		"9007199254740992", "9007199254740993", "9007199254740991.5", "1e22", "1e23", "1e-22", "1e-23", "123456789e-22",
		"4.9e-324", "1.7976931348623157e308", "1e400", "-1e400", "0.1", "0.30000000000000004", "12345678901234567890",
		"1234567890123456789", "0.00000000000000000001", "5e-1", "2.5E+10"} {
		check(s)
	}
	taken := 0
	for range 200000 {
		var b strings.Builder
		if r.IntN(4) == 0 {
			b.WriteByte('-')
		}
		n := 1 + r.IntN(20)
		for k := range n {
			if k == 0 && n > 1 && r.IntN(3) > 0 {
				b.WriteByte(byte('1' + r.IntN(9)))
			} else {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
		}
		if r.IntN(2) == 0 {
			b.WriteByte('.')
			for range 1 + r.IntN(18) {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
		}
		if r.IntN(3) == 0 {
			b.WriteString([]string{"e", "E", "e+", "e-", "E-"}[r.IntN(5)])
			b.WriteString(strconv.Itoa(r.IntN(40)))
		}
		s := b.String()
		if _, ok := exactFloat(s); ok {
			taken++
		}
		check(s)
	}
	if taken < 50000 {
		t.Errorf("the fast path took %d of 200,000 numbers", taken)
	}
}

func FuzzExactFloat(f *testing.F) {
	for _, s := range []string{"0.001", "-1e-22", "9007199254740993", "1e23", "0.8287"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := exactFloat(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("exactFloat took %q, which ParseFloat refuses: %v", s, err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("exactFloat(%q) = %v, ParseFloat %v", s, got, want)
		}
	})
}
