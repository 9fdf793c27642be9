package query

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "lr >", "(a", "a ==", "a in [1,", `"unterminated`, "a b",
		"lr > 0.01 and results.acc >= 0.9",
		`model.name == "resnet" or not (opt == "sgd")`,
		"bs in [32, 64] and tags == 'best' and name ~ 'res*'",
		"a || b && !c", "x not in [null, true, -1.5e3, 'x']",
		"`odd key`.0.x == '\\u00e9\\n'", "meta.created >= '2024-05-01'",
		"layers.1 == 128 and missing == null and nothing != null",
		"a.b.c ~ \"[a-z]*\\\\*\"", "é == 1 and ü > .5", "((a)) or not not b",
	} {
		f.Add(s)
	}
	records := []Record{sampleRecord(), {}, {
		Params:  map[string]any{"a": []any{nil, map[string]any{"b": 1}, []any{"x"}}, "b": map[string]any{"c": nil}},
		Results: map[string]any{"": 1, ".": 2, "a.": 3},
		Meta:    map[string]any{"tags": []string{"best"}, "x": struct{}{}, "y": []int{1}, "z": map[int]string{1: "a"}},
	}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %T is not *Error", s, err)
			}
			if c := pe.Column(); c < 1 || c > len(s)+1 || c > utf8.RuneCountInString(s)+1 {
				t.Fatalf("Parse(%q): column %d out of range", s, c)
			}
			if strings.Count(pe.Error(), "\n") != 2 || pe.ShortError() == "" {
				t.Fatalf("Parse(%q): malformed error %q", s, pe.Error())
			}
			return
		}
		_ = e.Keys()
		var got []bool
		for _, r := range records {
			got = append(got, e.Eval(r))
		}
		// The canonical form parses back to the same expression.
		canon := e.String()
		e2, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", s, canon, err)
		}
		if c2 := e2.String(); c2 != canon {
			t.Fatalf("String not stable: %q -> %q -> %q", s, canon, c2)
		}
		for i, r := range records {
			if e2.Eval(r) != got[i] {
				t.Fatalf("%q and its String %q disagree on record %d", s, canon, i)
			}
		}
	})
}
