package sweep

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/value"
)

// Expected values below were computed with Python 3 (range, exact decimal
// arithmetic for float ranges) and numpy's linspace/logspace algorithm
// (i*step + start, last value = stop; 10.0**x), with the drift removal this
// package documents: where numpy prints 0.30000000000000004 the sweep gives
// 0.3 as written.
func TestParseValues(t *testing.T) {
	tests := []struct {
		in   string
		want []any
	}{
		// list: YAML-ish scalars.
		{"list(1, -2, +3)", []any{1, -2, 3}},
		{"list(0.1, 1e-3, 1.0, .5, 1., -2.5E2)", []any{0.1, 0.001, 1.0, 0.5, 1.0, -250.0}},
		{"list(true, false, True, FALSE, null, ~, Null)", []any{true, false, true, false, nil, nil, nil}},
		{"list(adam, sgd)", []any{"adam", "sgd"}},
		{"list('a', \"a, b\", 'it''s', \"q\\\"x\", '(1)')", []any{"a", "a, b", "it's", "q\"x", "(1)"}},
		{"list('1', \"true\", 1, true)", []any{"1", "true", 1, true}},
		{"list(hello world ,  x )", []any{"hello world", "x"}},
		{"list(1)", []any{1}},
		{"list(1, 1.0)", []any{1, 1.0}},
		{"list(0x10, 010, 0o10, 1_000, 1e)", []any{16, 10, 8, "1_000", "1e"}},
		{"list(99999999999999999999.0)", []any{1e20}},
		{"  list(1,2)  ", []any{1, 2}},
		{"list(\n1,\t2\n)", []any{1, 2}},
		// range: Python's range for ints.
		{"range(5)", []any{0, 1, 2, 3, 4}},
		{"range(1)", []any{0}},
		{"range(2, 5)", []any{2, 3, 4}},
		{"range(0, 10, 3)", []any{0, 3, 6, 9}},
		{"range(10, 0, -3)", []any{10, 7, 4, 1}},
		{"range(5, 1, -1)", []any{5, 4, 3, 2}},
		{"range(-3, 3, 2)", []any{-3, -1, 1}},
		{"range(-1, -4, -1)", []any{-1, -2, -3}},
		{"range(3,4,100)", []any{3}},
		{"range(-9223372036854775808, 9223372036854775807, 9223372036854775807)",
			[]any{math.MinInt64, -1, math.MaxInt64 - 1}},
		// range with floats: exact decimals, floats out.
		{"range(0.01, 0.1, 0.01)", []any{0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09}},
		{"range(0, 0.3, 0.1)", []any{0.0, 0.1, 0.2}},
		{"range(0, 1, 0.25)", []any{0.0, 0.25, 0.5, 0.75}},
		{"range(0, 1.0)", []any{0.0}},
		{"range(2.5)", []any{0.0, 1.0, 2.0}},
		{"range(0, 2, 0.5)", []any{0.0, 0.5, 1.0, 1.5}},
		{"range(1, 0, -0.25)", []any{1.0, 0.75, 0.5, 0.25}},
		{"range(0.1, 0.35, 0.1)", []any{0.1, 0.2, 0.3}},
		{"range(1e-3, 5e-3, 1e-3)", []any{0.001, 0.002, 0.003, 0.004}},
		{"range(1, 2, 0.3)", []any{1.0, 1.3, 1.6, 1.9}},
		// linspace: numpy.linspace, inclusive, floats.
		{"linspace(0, 1, 11)", []any{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}},
		{"linspace(0, 1, 3)", []any{0.0, 0.5, 1.0}},
		{"linspace(-1, 1, 5)", []any{-1.0, -0.5, 0.0, 0.5, 1.0}},
		{"linspace(2, -2, 5)", []any{2.0, 1.0, 0.0, -1.0, -2.0}},
		{"linspace(0.1, 0.5, 5)", []any{0.1, 0.2, 0.3, 0.4, 0.5}},
		{"linspace(0.001, 0.01, 10)", []any{0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01}},
		{"linspace(0, 10, 4)", []any{0.0, 3.3333333333333335, 6.666666666666667, 10.0}},
		{"linspace(0, 1, 7)", []any{0.0, 0.16666666666666666, 0.3333333333333333, 0.5, 0.6666666666666666, 0.8333333333333333, 1.0}},
		{"linspace(1, 2, 7)", []any{1.0, 1.1666666666666667, 1.3333333333333333, 1.5, 1.6666666666666665, 1.8333333333333333, 2.0}},
		{"linspace(-3.5, 12.25, 8)", []any{-3.5, -1.25, 1.0, 3.25, 5.5, 7.75, 10.0, 12.25}},
		{"linspace(5, 5, 3)", []any{5.0, 5.0, 5.0}},
		{"linspace(3, 7, 1)", []any{3.0}},
		{"linspace(0, 1, 2)", []any{0.0, 1.0}},
		// logspace: numpy.logspace rounded to 15 significant digits.
		{"logspace(-3, 0, 4)", []any{0.001, 0.01, 0.1, 1.0}},
		{"logspace(-5, -1, 5)", []any{1e-05, 0.0001, 0.001, 0.01, 0.1}},
		{"logspace(1, 3, 3)", []any{10.0, 100.0, 1000.0}},
		{"logspace(0, 1, 3)", []any{1.0, 3.16227766016838, 10.0}},
		{"logspace(0, 1, 5)", []any{1.0, 1.77827941003892, 3.16227766016838, 5.62341325190349, 10.0}},
		{"logspace(2, 2, 1)", []any{100.0}},
		{"logspace(0, 300, 2)", []any{1.0, 1e300}},
	}
	for _, tt := range tests {
		got, ok, err := Parse(tt.in)
		if err != nil || !ok {
			t.Errorf("Parse(%q) = _, %v, %v; want values", tt.in, ok, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, fmtValues(got), fmtValues(tt.want))
		}
	}
}

func fmtValues(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = value.Format(v)
		if _, ok := v.(string); ok {
			parts[i] = "'" + parts[i] + "'"
		}
	}
	return strings.Join(parts, " ")
}

// The float range from the brief must print exactly as written.
func TestRangeFloatPrintsAsWritten(t *testing.T) {
	got, _, err := Parse("range(0.01, 0.1, 0.01)")
	if err != nil {
		t.Fatal(err)
	}
	want := "0.01 0.02 0.03 0.04 0.05 0.06 0.07 0.08 0.09"
	if s := fmtValues(got); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
}

// linspace values are numpy's, value for value, except where numpy drifts
// away from a short decimal (0.30000000000000004): then the sweep gives the
// decimal as written, which is within a few ulps of numpy's value.
func TestLinspaceMatchesNumpy(t *testing.T) {
	numpy := func(start, stop float64, num int) []float64 {
		if num == 1 {
			return []float64{start}
		}
		step := (stop - start) / float64(num-1)
		y := make([]float64, num)
		for i := range y {
			y[i] = float64(i)*step + start
		}
		y[num-1] = stop
		return y
	}
	for _, c := range []struct {
		start, stop float64
		num         int
		expr        string
	}{
		{0, 1, 11, "linspace(0, 1, 11)"},
		{1, 2, 7, "linspace(1, 2, 7)"},
		{-3.5, 12.25, 50, "linspace(-3.5, 12.25, 50)"},
		{1e-3, 1e-2, 10, "linspace(1e-3, 1e-2, 10)"},
		{100, -7, 33, "linspace(100, -7, 33)"},
		{0.1, 0.7, 1000, "linspace(0.1, 0.7, 1000)"},
	} {
		got, _, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		want := numpy(c.start, c.stop, c.num)
		for i, g := range got {
			gf := g.(float64)
			if gf == want[i] {
				continue
			}
			if len(value.Format(gf)) > 12 || math.Abs(gf-want[i]) > 4*ulp(want[i]) {
				t.Errorf("%s[%d] = %v, numpy %v", c.expr, i, gf, want[i])
			}
		}
	}
}

func ulp(f float64) float64 {
	return math.Nextafter(math.Abs(f), math.Inf(1)) - math.Abs(f)
}

func TestParseNotSweep(t *testing.T) {
	for _, s := range []string{
		"", "adam", "list", "range", "adam (beta)", "list (1, 2)", "(1, 2)", "torch.nn.ReLU()",
		"foo(", "foo(1", "foo(1) bar", "1(2)", "f (x)", "x = f(1)", "-list(1)", "é(1)",
	} {
		v, ok, err := Parse(s)
		if v != nil || ok || err != nil {
			t.Errorf("Parse(%q) = %v, %v, %v; want not a sweep", s, v, ok, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"range(1,)", `range(1,): expected a number after "," at column 9`},
		{"range(,1)", `range(,1): expected a number after "(" at column 7`},
		{"list(1,)", `list(1,): expected a value after "," at column 8`},
		{"list(1,,2)", `list(1,,2): expected a value after "," at column 8`},
		{"list()", `list(): expected at least one value at column 6`},
		{"list(1, 99999999999999999999)", `list(1, 99999999999999999999): 99999999999999999999 does not fit a 64-bit integer: quote it to keep it as text, or write it as a float (1e+20) at column 9`},
		{"list( )", `list( ): expected at least one value at column 7`},
		{"linspace(0,1)", `linspace(0,1): expected 3 arguments (start, stop, num), got 2 at column 13`},
		{"linspace(0,1,2,3)", `linspace(0,1,2,3): expected 3 arguments (start, stop, num), got 4 at column 16`},
		{"logspace()", `logspace(): expected 3 arguments (start, stop, num), got 0 at column 10`},
		{"range()", `range(): expected 1 to 3 arguments (stop | start, stop | start, stop, step), got 0 at column 7`},
		{"range(1,2,3,4)", `range(1,2,3,4): expected 1 to 3 arguments (stop | start, stop | start, stop, step), got 4 at column 13`},
		{"range(0,1,0)", `range(0,1,0): step must not be zero at column 11`},
		{"range(0, 1, 0.0)", `range(0, 1, 0.0): step must not be zero at column 13`},
		{"range(0)", `range(0) is empty (a sweep needs at least one value)`},
		{"range(5, 1)", `range(5, 1) is empty (a sweep needs at least one value)`},
		{"range(1, 5, -1)", `range(1, 5, -1) is empty (a sweep needs at least one value)`},
		{"range(-2)", `range(-2) is empty (a sweep needs at least one value)`},
		{"foo(1)", `foo(1): unknown sweep function foo (known: list, range, linspace, logspace)`},
		{" foo(a, b) ", `foo(a, b): unknown sweep function foo (known: list, range, linspace, logspace)`},
		{"Range(3)", `Range(3): unknown sweep function Range (known: list, range, linspace, logspace); function names are case-sensitive, did you mean range?`},
		{"list(1,2", `list(1,2: unbalanced parentheses: missing ")" at column 9`},
		{"list(", `list(: unbalanced parentheses: missing ")" at column 6`},
		{"list(1))", `list(1)): unbalanced parentheses: unexpected ")" at column 8`},
		{"list((1))", `list((1)): unbalanced parentheses: unexpected "(" (quote values containing parentheses) at column 6`},
		{"list(f(1))", `list(f(1)): unbalanced parentheses: unexpected "(" (quote values containing parentheses) at column 7`},
		{"list(1) x", `list(1) x: unexpected text after ")" at column 9`},
		{"list('a)", `list('a): unterminated string starting at column 6`},
		{`list("a\")`, `list("a\"): unterminated string starting at column 6`},
		{`list("a" b)`, `list("a" b): unexpected 'b' after a quoted value (expected "," or ")") at column 10`},
		{"list(it's)", `list(it's): unexpected quote inside a value (quote the whole value) at column 8`},
		{`list("\q")`, `list("\q"): invalid quoted string "\q" at column 6`},
		{"range(a)", `range(a): expected a number, got "a" at column 7`},
		{"range('1')", `range('1'): expected a number, got string '1' at column 7`},
		{"range(true)", `range(true): expected a number, got "true" at column 7`},
		{"range(0, .inf)", `range(0, .inf): expected a finite number, got .inf at column 10`},
		{"linspace(0, x, 3)", `linspace(0, x, 3): expected a number, got "x" at column 13`},
		{"linspace(0, 1, 0)", `linspace(0, 1, 0): num must be at least 1 (the sweep would be empty), got 0 at column 16`},
		{"linspace(0, 1, -2)", `linspace(0, 1, -2): num must be at least 1 (the sweep would be empty), got -2 at column 16`},
		{"linspace(0, 1, 2.5)", `linspace(0, 1, 2.5): num must be an integer, got 2.5 at column 16`},
		{"linspace(0, 1, 3.0)", `linspace(0, 1, 3.0): num must be an integer, got 3.0 at column 16`},
		{"linspace(0, 1, n)", `linspace(0, 1, n): expected a number, got "n" at column 16`},
		{"logspace(0, 400, 2)", `logspace(0, 400, 2): 10**400 is out of float64 range`},
		{"logspace(-400, 0, 2)", `logspace(-400, 0, 2): 10**-400 is out of float64 range`},
		{"range(1000000)", `range(1000000): produces 1000000 values, more than the limit of 100000`},
		{"linspace(0, 1, 100001)", `linspace(0, 1, 100001): produces 100001 values, more than the limit of 100000`},
		{"range(é,1)", `range(é,1): expected a number, got "é" at column 7`},
		{"range(é,)", `range(é,): expected a number after "," at column 9`},
	}
	for _, tt := range tests {
		v, ok, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, %v, nil; want error %q", tt.in, v, ok, tt.want)
			continue
		}
		if ok || v != nil {
			t.Errorf("Parse(%q) returned values with an error", tt.in)
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.in, err, tt.want)
		}
	}
}
