package value

import (
	"math"
	"testing"
)

var point1, point2 = 0.1, 0.2
var point3 = point1 + point2 // not constant-folded: 0.30000000000000004

func TestFormat(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{1, "1"}, {-2, "-2"}, {0, "0"},
		{1.0, "1.0"}, {0.01, "0.01"}, {0.001, "0.001"}, {1e-4, "0.0001"}, {1e-05, "1e-05"},
		{1.5e-7, "1.5e-07"}, {123456789.0, "123456789.0"}, {1e15, "1000000000000000.0"},
		{1e16, "1e+16"}, {1.5e300, "1.5e+300"}, {-0.5, "-0.5"}, {0.0, "0.0"}, {math.Copysign(0, -1), "-0.0"},
		{point3, "0.30000000000000004"}, {3.16227766016838, "3.16227766016838"},
		{math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"}, {math.NaN(), "NaN"},
		{float32(0.1), "0.1"},
		{true, "true"}, {false, "false"}, {nil, "null"}, {"adam", "adam"},
		{[]any{1, "a", 0.5}, "[1, a, 0.5]"}, {map[string]any{"b": 1, "a": nil}, "{a: null, b: 1}"},
		{int64(7), "7"}, {uint8(8), "8"},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every float formats to a string that reads back as the same float.
func TestFormatRoundTrip(t *testing.T) {
	for _, f := range []float64{0.1, 1e-4, 9.999e-5, 1e16, 9999999999999998, 5e-324, math.MaxFloat64, -123.456, 1.0 / 3} {
		s := Format(f)
		if g, ok := ParseScalar(s).(float64); !ok || g != f {
			t.Errorf("Format(%v) = %q reads back as %#v", f, s, ParseScalar(s))
		}
	}
}

func TestScalar(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"010", 10}, {"0x10", 16}, {"0o10", 8}, {"0b10", "0b10"}, {"1_000", "1_000"}, {"+3", 3}, {"-0", 0},
		{"1e-7", 1e-7}, {".5", 0.5}, {"5.", 5.0}, {"1e400", math.Inf(1)}, {"-.inf", math.Inf(-1)},
		{"Infinity", math.Inf(1)}, {"-Infinity", math.Inf(-1)}, {"yes", "yes"}, {"True", true}, {"~", nil},
		{"", ""}, {"0x", "0x"}, {"0o8", "0o8"}, {"0xG", "0xG"}, {"1e", "1e"}, {"a b", "a b"},
	}
	for _, tt := range tests {
		got, err := Scalar(tt.in)
		if err != nil || !Equal(got, tt.want) {
			t.Errorf("Scalar(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	if v, err := Scalar(".nan"); err != nil || !math.IsNaN(v.(float64)) {
		t.Errorf("Scalar(.nan) = %#v, %v", v, err)
	}
	for _, s := range []string{"99999999999999999999", "-9223372036854775809", "0x8000000000000000", "0o1777777777777777777777"} {
		if _, err := Scalar(s); err == nil {
			t.Errorf("Scalar(%q): no range error", s)
		}
	}
}
