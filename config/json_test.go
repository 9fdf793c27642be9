package config

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestMarshalJSON(t *testing.T) {
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
		{point{X: 1, Y: 2}, `{"x":1,"y":2}`}, // through encoding/json: struct floats are not kept
		{map[int]string{2: "b", 1: "a"}, `{"1":"a","2":"b"}`},
	}
	for _, tt := range tests {
		got, err := MarshalJSON(tt.in)
		if err != nil {
			t.Errorf("MarshalJSON(%#v): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("MarshalJSON(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}, map[string]any{"x": math.NaN()}, func() {}} {
		if _, err := MarshalJSON(bad); err == nil {
			t.Errorf("MarshalJSON(%v): no error", bad)
		}
	}
	loop := []any{nil}
	loop[0] = loop
	if _, err := MarshalJSON(loop); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("MarshalJSON(self-referencing) error = %v", err)
	}
}

func TestMarshalJSONIndent(t *testing.T) {
	got, err := MarshalJSONIndent(map[string]any{"lr": 1.0, "model": map[string]any{"h": 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"lr\": 1.0,\n  \"model\": {\n    \"h\": 2\n  }\n}\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnmarshalJSON(t *testing.T) {
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
	}
	for _, tt := range tests {
		got, err := UnmarshalJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("UnmarshalJSON(%s): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("UnmarshalJSON(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "{", "1 2", "[1]x", "1e400", "NaN", "{1: 2}"} {
		if v, err := UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJSON(%q) = %#v, want an error", bad, v)
		}
	}
}
