package sweep

import (
	"testing"

	"github.com/git-exp/git-exp/value"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"list(1, 2)", "list('a, b', \"c\")", "range(10)", "range(0.01, 0.1, 0.01)", "range(10, 0, -3)",
		"linspace(0, 1, 11)", "logspace(-3, 0, 4)", "foo(1)", "adam (beta)", "range(1,)", "list()",
		"list(1,2", "list(it's)", "linspace(0,1,2.5)", "range(1e308, -1e308, -1e-308)", "logspace(0, 1e10, 2)",
		"range(-9223372036854775808, 9223372036854775807, 3)", "list(\"\\xff\")", "range(5e-324, 1e-323, 5e-324)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		values, ok, err := Parse(s)
		if err != nil {
			if ok || values != nil {
				t.Fatalf("Parse(%q) returned values and an error", s)
			}
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error message", s)
			}
			return
		}
		if ok && len(values) == 0 {
			t.Fatalf("Parse(%q) = ok with no values", s)
		}
		if !ok && values != nil {
			t.Fatalf("Parse(%q) = not ok with values", s)
		}
		if len(values) > MaxValues {
			t.Fatalf("Parse(%q) gave %d values", s, len(values))
		}
		for _, v := range values {
			switch v.(type) {
			case int, float64, bool, nil, string:
			default:
				t.Fatalf("Parse(%q) gave a %T", s, v)
			}
		}
		// A sweep's values survive a name round trip.
		for _, v := range values {
			vars := []Var{{Key: "k", Value: v}}
			back, err := ParseName(Name(vars))
			if err != nil || !varsEqual(back, vars) {
				t.Fatalf("value %#v from Parse(%q): ParseName(Name) = %#v, %v", v, s, back, err)
			}
		}
	})
}

func FuzzName(f *testing.F) {
	f.Add("lr", "adam", int64(32), 0.001, true, "x")
	f.Add("", "1", int64(-1), -0.5, false, "a,b")
	f.Add("a=b", "a, b", int64(0), 1e-5, true, "\"'")
	f.Add("model.lr", "null", int64(9), 1e16, false, "(x)")
	f.Fuzz(func(t *testing.T, key, s string, i int64, fl float64, b bool, key2 string) {
		vars := []Var{
			{Key: key, Value: s},
			{Key: key2, Value: int(i)},
			{Key: "f", Value: fl},
			{Key: s, Value: b},
			{Key: "n", Value: nil},
		}
		name := Name(vars)
		back, err := ParseName(name)
		if err != nil {
			t.Fatalf("ParseName(%q): %v", name, err)
		}
		if !varsEqual(back, vars) {
			t.Fatalf("ParseName(Name(%#v)) = %#v (name %q)", vars, back, name)
		}
		// Names of distinct values differ.
		other := []Var{{Key: key, Value: value.Format(fl)}}
		if Name(other) == Name([]Var{{Key: key, Value: fl}}) {
			t.Fatalf("string %q and float %v share a name", value.Format(fl), fl)
		}
	})
}
