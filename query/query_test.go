package query

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sexpr shows the structure of a parsed expression: (or a (and b c)).
func sexpr(n node) string {
	list := func(op string, xs []node) string {
		parts := []string{op}
		for _, x := range xs {
			parts = append(parts, sexpr(x))
		}
		return "(" + strings.Join(parts, " ") + ")"
	}
	switch x := n.(type) {
	case orNode:
		return list("or", x)
	case andNode:
		return list("and", x)
	case notNode:
		return "(not " + sexpr(x.x) + ")"
	}
	var b strings.Builder
	n.format(&b)
	if s := b.String(); strings.Contains(s, " ") {
		return "[" + s + "]"
	}
	return b.String()
}

func TestStructure(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"a", "a"},
		{"a or b and c", "(or a (and b c))"},
		{"a and b or c", "(or (and a b) c)"},
		{"a or b or c", "(or a b c)"},
		{"a and b and c", "(and a b c)"},
		{"(a or b) and c", "(and (or a b) c)"},
		{"a and (b or c)", "(and a (or b c))"},
		{"((a))", "a"},
		{"not a and b", "(and (not a) b)"},
		{"not (a and b)", "(not (and a b))"},
		{"not not a", "(not (not a))"},
		{"not a == 1 or b", "(or (not [a == 1]) b)"},
		{"a || b && !c", "(or a (and b (not c)))"},
		{"A AND b Or NOT c", "(or (and A b) (not c))"},
		{"x in [1, 2] and y not in ['a']", `(and [x in [1, 2]] [y not in ["a"]])`},
		{"lr > 0.01 and results.acc >= 0.9", "(and [lr > 0.01] [results.acc >= 0.9])"},
		{"a==1&&b!=2||c<3", "(or (and [a == 1] [b != 2]) [c < 3])"},
		{"x >= -1", "[x >= -1]"},
		{"x > .5", "[x > 0.5]"},
		{"x < 1e3", "[x < 1000.0]"},
		{"x == +2", "[x == 2]"},
		{"x == TRUE or y == Null", "(or [x == true] [y == null])"},
		{"lr-max == 1", "[lr-max == 1]"},
		{"a.b.c", "a.b.c"},
		{"meta.in == 1", "[meta.in == 1]"},
		{"layers.0 == 1", "[layers.0 == 1]"},
		{"`odd key`.x", "[`odd key`.x]"},
		{"`in` == 1", "[`in` == 1]"},
		{"name ~ 'res*'", `[name ~ "res*"]`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		if got := sexpr(e.root); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.expr, got, tt.want)
		}
	}
}

func sampleRecord() Record {
	return Record{
		Params: map[string]any{
			"lr":        0.02,
			"bs":        64,
			"opt":       "adam",
			"model":     map[string]any{"name": "resnet", "depth": int64(50)},
			"flat.key":  "yes",
			"layers":    []any{64, 128},
			"dropout":   0,
			"use_bn":    true,
			"note":      "",
			"odd key":   1,
			"in":        5,
			"nothing":   nil,
			"quote":     "say: \"hi\"\n",
			"q2":        "it's",
			"uni":       "été",
			"big":       int64(9007199254740993),
			"nanv":      math.NaN(),
			"jn":        json.Number("3"),
			"u":         uint8(7),
			"f32":       float32(0.5),
			"lr-max":    0.1,
			"empty_map": map[string]any{},
		},
		Results: map[string]any{
			"acc":        0.93,
			"loss":       0.2,
			"lr":         999,
			"best_epoch": 7,
		},
		Meta: map[string]any{
			"id":         "abc123",
			"name":       "resnet-ablation-3",
			"status":     "done",
			"tags":       []any{"best", "baseline"},
			"created":    "2024-05-03T10:00:00Z",
			"started":    time.Date(2024, 5, 3, 10, 0, 1, 0, time.UTC),
			"duration_s": 12.5,
			"exit_code":  0,
			"script":     "train/main.py",
		},
	}
}

func TestEval(t *testing.T) {
	r := sampleRecord()
	intLR := Record{Params: map[string]any{"lr": 1, "bs": int64(32)}, Meta: map[string]any{"tags": []string{"best"}}}
	floatLR := Record{Params: map[string]any{"lr": 1.0, "bs": 32.0}}
	tests := []struct {
		expr string
		rec  Record
		want bool
	}{
		// Basics and the example from the issue.
		{"lr > 0.01", r, true},
		{"lr > 0.01 and results.acc >= 0.9", r, true},
		{"lr > 0.05 and results.acc >= 0.9", r, false},
		{"lr > 0.05 or acc > 0.9", r, true},
		{`model.name == "resnet"`, r, true},
		// Precedence: and binds tighter than or.
		{"bs == 64 or bs == 1 and opt == 'sgd'", r, true},
		{"(bs == 64 or bs == 1) and opt == 'sgd'", r, false},
		{"bs == 1 and opt == 'sgd' or bs == 64", r, true},
		{"bs == 1 and (opt == 'sgd' or bs == 64)", r, false},
		{"bs == 64 || bs == 1 && opt == 'sgd'", r, true},
		// not.
		{"not opt == 'sgd'", r, true},
		{"not (opt == 'adam')", r, false},
		{"!(opt == 'adam')", r, false},
		{"NOT opt == 'adam' OR bs == 64", r, true},
		{"not not bs", r, true},
		{"not missing", r, true},
		// in / not in.
		{"bs in [32, 64]", r, true},
		{"bs in [32.0, 64.0]", r, true},
		{"bs in [32, 128]", r, false},
		{"bs not in [32, 64]", r, false},
		{"bs not in [32, 128]", r, true},
		{"opt in ['sgd', 'adam']", r, true},
		{"opt in [1, 2]", r, false},
		{"opt not in [1, 2]", r, true},
		{"bs in []", r, false},
		{"bs not in []", r, true},
		{"missing in [1]", r, false},
		{"missing not in [1]", r, false},
		{"missing not in []", r, false},
		{"missing in [null, 1]", r, true},
		{"nothing in [null]", r, true},
		{"tags in ['best', 'x']", r, true},
		{"tags in ['x']", r, false},
		{"tags not in ['x']", r, true},
		{"tags not in ['best']", r, false},
		{"use_bn in [true]", r, true},
		// Mixed int / float.
		{"lr == 1", intLR, true},
		{"lr == 1", floatLR, true},
		{"lr == 1.0", intLR, true},
		{"lr >= 1.0", intLR, true},
		{"lr < 1.5", intLR, true},
		{"lr > 0.5", floatLR, true},
		{"bs in [32]", floatLR, true},
		{"bs in [32.0]", intLR, true},
		{"big == 9007199254740992.0", r, false}, // exact: no rounding to float
		{"big > 9007199254740992.0", r, true},
		{"big == 9007199254740993", r, true},
		{"jn == 3.0", r, true},
		{"u == 7", r, true},
		{"f32 == 0.5", r, true},
		{"nanv > 0", r, false},
		{"nanv == 0", r, false},
		{"nanv != 0", r, true},
		// Missing keys and null.
		{"missing > 1", r, false},
		{"missing < 1", r, false},
		{"missing == 1", r, false},
		{"missing != 1", r, false},
		{"missing != 'x'", r, false},
		{"not missing == 1", r, true},
		{"missing == null", r, true},
		{"missing != null", r, false},
		{"nothing == null", r, true},
		{"nothing != null", r, false},
		{"nothing != 1", r, false},
		{"nothing", r, false},
		{"lr != null", r, true},
		{"lr == null", r, false},
		{"missing", r, false},
		{"missing ~ '*'", r, false},
		{"model.missing == null", r, true},
		{"missing.deeper > 0", r, false},
		{"lr.deeper > 0", r, false},
		{"x == 1", Record{}, false},
		{"x == null", Record{}, true},
		// Strings, quotes and escapes.
		{`opt == "adam"`, r, true},
		{`opt == 'adam'`, r, true},
		{`opt == "ADAM"`, r, false},
		{`opt < "b"`, r, true},
		{`opt >= "adam"`, r, true},
		{`opt > "adam"`, r, false},
		{`note == ""`, r, true},
		{`quote == "say: \"hi\"\n"`, r, true},
		{`quote == 'say: "hi"\n'`, r, true},
		{`quote == 'say: \"hi\"\x0a'`, r, true},
		{`q2 == 'it\'s'`, r, true},
		{`q2 == "it's"`, r, true},
		{`q2 == "it\'s"`, r, true},
		{`uni == "\u00e9t\u00e9"`, r, true},
		{`uni == "été"`, r, true},
		// Number vs string and bools: typed.
		{"opt == 1", r, false},
		{"opt != 1", r, true},
		{"opt > 1", r, false},
		{"opt < 1", r, false},
		{`bs == "64"`, r, false},
		{`bs != "64"`, r, true},
		{`bs >= "0"`, r, false},
		{"use_bn == true", r, true},
		{"use_bn != false", r, true},
		{"use_bn == false", r, false},
		{"use_bn == 1", r, false},
		{"use_bn != 1", r, true},
		{"bs == true", r, false},
		{"model == 1", r, false},
		{"model != 1", r, true},
		// Truthiness of bare names.
		{"use_bn", r, true},
		{"bs", r, true},
		{"dropout", r, false},
		{"note", r, false},
		{"opt", r, true},
		{"layers", r, true},
		{"model", r, true},
		{"empty_map", r, false},
		{"results.acc", r, true},
		{"exit_code", r, false},
		// Glob.
		{`name ~ "resnet-*"`, r, true},
		{`name ~ "resnet-?-3"`, r, false},
		{`name ~ "resnet-ablation-[0-9]"`, r, true},
		{`name ~ "vgg*"`, r, false},
		{`script ~ "*.py"`, r, false}, // path.Match: * does not cross "/"
		{`script ~ "train/*.py"`, r, true},
		{`tags ~ "base*"`, r, true},
		{`tags ~ "x*"`, r, false},
		{`bs ~ "6*"`, r, false},
		{`name ~ "resnet\\-*"`, r, true},
		{`name ~ 'resnet-\\*'`, r, false},
		// Tags: == means contains.
		{`tags == "best"`, r, true},
		{`tags == "worst"`, r, false},
		{`tags != "worst"`, r, true},
		{`tags != "best"`, r, false},
		{`tags > "a"`, r, false},
		{`tags == "best"`, intLR, true},
		{`tags ~ "b*"`, intLR, true},
		{`tags in ["best"]`, intLR, true},
		{`layers == 128`, r, true},
		{`layers == 128.0`, r, true},
		// Qualified names and lookup order.
		{"results.lr == 999", r, true},
		{"lr == 999", r, false},
		{"params.lr == 0.02", r, true},
		{"params.acc == 0.93", r, false},
		{"results.acc == 0.93", r, true},
		{"acc == 0.93", r, true},
		{"meta.status == 'done'", r, true},
		{"status == 'done'", r, true},
		{"params.status == 'done'", r, false},
		{"meta.lr == 0.02", r, false},
		// Nested and odd names.
		{"params.model.depth >= 50", r, true},
		{"model.depth == 50.0", r, true},
		{"flat.key == 'yes'", r, true},
		{"params.flat.key == 'yes'", r, true},
		{"layers.1 == 128", r, true},
		{"layers.2 == 1", r, false},
		{"layers.2 == null", r, true},
		{"`odd key` == 1", r, true},
		{"params.`odd key` == 1", r, true},
		{"`in` == 5", r, true},
		{"params.in == 5", r, true},
		{"lr-max > 0.05", r, true},
		// Dates compare as strings.
		{`created >= "2024-05-01"`, r, true},
		{`created < "2024-05-03T09:00:00Z"`, r, false},
		{`meta.created > "2024-05-03"`, r, true},
		{`started > "2024-05-03T10:00:00Z"`, r, true},
		// Case-insensitive keywords.
		{`bs == 64 AND NOT opt == "sgd" Or missing`, r, true},
		{`bs IN [64] and opt NOT IN ["sgd"]`, r, true},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.expr, err)
			continue
		}
		if got := e.Eval(tt.rec); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.expr, got, tt.want)
		}
		// The canonical form means the same.
		e2, err := Parse(e.String())
		if err != nil {
			t.Errorf("Parse(String() of %q = %q): %v", tt.expr, e.String(), err)
			continue
		}
		if got := e2.Eval(tt.rec); got != tt.want {
			t.Errorf("%s (as %s): got %v, want %v", tt.expr, e.String(), got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		expr, want string
		col        int
	}{
		{"lr >", `expected a value after ">"`, 5},
		{"lr > ", `expected a value after ">"`, 6},
		{"(a", `expected ")" to close "("; the "(" is at column 1`, 3},
		{"x and (a", `expected ")" to close "("; the "(" is at column 7`, 9},
		{"(a b", `expected an operator, "and", "or" or ")", found name "b"`, 4},
		{"(a == 1 b", `expected "and", "or" or ")", found name "b"`, 9},
		{"a ==", `expected a value after "=="`, 5},
		{"a == b", `expected a value after "==", found name "b"; quote strings: "b"`, 6},
		{"a in [1,", `expected a value after ","`, 9},
		{"a in [1", `expected "," or "]"`, 8},
		{"a in [1 2]", `expected "," or "]", found number 2`, 9},
		{"a in [", `expected a value or "]" after "["`, 7},
		{"a in 1", `expected "[" after "in", found number 1; write a list, as in bs in [32, 64]`, 6},
		{"a not in", `expected "[" after "in"; write a list, as in bs in [32, 64]`, 9},
		{"a not b", `expected "in" after "not", found name "b"`, 7},
		{`"unterminated`, `unterminated string; close it with "`, 1},
		{`a == 'abc`, `unterminated string; close it with '`, 6},
		{"a b", `expected an operator, "and" or "or", found name "b"`, 3},
		{"a == 1 b", `expected "and" or "or", found name "b"`, 8},
		{"a not", `expected "in" after "not"`, 6},
		{"", "empty expression; write a condition such as lr > 0.01", 1},
		{"  ", "empty expression; write a condition such as lr > 0.01", 3},
		{"a and", `expected a name, "not" or "(" after "and"`, 6},
		{"a or", `expected a name, "not" or "(" after "or"`, 5},
		{"a && ", `expected a name, "not" or "(" after "&&"`, 6},
		{"not", `expected a name, "not" or "(" after "not"`, 4},
		{"()", `expected a name, "not" or "(" after "(", found ")"`, 2},
		{"1 == a", `expected a name, "not" or "(", found number 1; a comparison starts with a name, as in lr > 0.01`, 1},
		{"a == 1 )", `unexpected ")" without a matching "("`, 8},
		{"a = 1", `unexpected "="; use "==" to compare`, 3},
		{"a & b", `unexpected "&"; use "and" or "&&"`, 3},
		{"a | b", `unexpected "|"; use "or" or "||"`, 3},
		{"a == 1 # c", `unexpected character '#'`, 8},
		{"a == -", `unexpected character '-'`, 6},
		{"a == [1]", `expected a value after "==", found "["; use "in" to test membership in a list`, 6},
		{"(a) == 1", `"==" cannot follow a parenthesized expression; compare a name, as in (lr > 0.01)`, 5},
		{"a.", `expected a name after "."`, 3},
		{"a. b", `expected a name after "."`, 3},
		{"a.-b", `expected a name after "."`, 3},
		{"a < null", "null can only be compared with == or !=", 5},
		{"a >= true", "booleans can only be compared with == or !=", 6},
		{"a ~ 3", `expected a quoted glob pattern after "~", found number 3; as in name ~ "resnet-*"`, 5},
		{`a ~ "["`, `invalid glob pattern "["; patterns use * ? [a-z] and \ to escape`, 5},
		{`a == "\q"`, `invalid escape "\\q" in string; write a backslash as \\`, 7},
		{`a == "x\`, `invalid escape "\\" in string; write a backslash as \\`, 8},
		{"a == 1.2.3", `malformed number "1.2.3"`, 6},
		{"a == 12abc", `malformed number "12abc"`, 6},
		{"a == 1e999", "number 1e999 is out of range", 6},
		{"`x", "unterminated quoted name; close it with a backtick", 1},
		{"a.`b", "unterminated quoted name; close it with a backtick", 3},
		{"`` == 1", "empty quoted name", 1},
		{"é == 1 and ü >", `expected a value after ">"`, 15}, // columns count characters
		{"a == \xff", "invalid UTF-8 byte", 6},
		{"a == 1 or", `expected a name, "not" or "(" after "or"`, 10},
		{"a not in [1] == 2", `expected "and" or "or", found "=="`, 14},
		{strings.Repeat("(", 600) + "a" + strings.Repeat(")", 600), "expression is nested too deeply", 501},
		{strings.Repeat("not ", 600) + "a", "expression is nested too deeply", 2001},
	}
	for _, tt := range tests {
		_, err := Parse(tt.expr)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want *Error", tt.expr, err)
			continue
		}
		want := tt.want
		if i := strings.Index(want, "; "); i >= 0 {
			want = want[:i] + " at column " + strconv.Itoa(tt.col) + want[i:]
		} else {
			want += " at column " + strconv.Itoa(tt.col)
		}
		if got := pe.ShortError(); got != want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tt.expr, got, want)
		}
		if pe.Column() != tt.col {
			t.Errorf("Parse(%q): column %d, want %d", tt.expr, pe.Column(), tt.col)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	_, err := Parse("lr >")
	want := "expected a value after \">\" at column 5\n  lr >\n      ^"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	// Tabs and newlines are shown as spaces so the caret stays aligned.
	_, err = Parse("a ==\n\t")
	want = "expected a value after \"==\" at column 7\n  a ==  \n        ^"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%q\nwant\n%q", err, want)
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{"lr > 0.01 and results.acc >= 0.9", []string{"lr", "results.acc"}},
		{"lr > 0.01 or lr < 0 or not (bs in [1]) and tags == 'x'", []string{"lr", "bs", "tags"}},
		{"model.name ~ 'r*' and `odd key` and meta.created > '2024'", []string{"model.name", "odd key", "meta.created"}},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Keys(); !slices.Equal(got, tt.want) {
			t.Errorf("Keys(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"a or b and c", "a or b and c"},
		{"(a or b) and c", "(a or b) and c"},
		{"a && !(b || c)", "a and not (b or c)"},
		{"A AND NOT B", "A and not B"},
		{"x == 'it\\'s'", `x == "it's"`},
		{"x == 1.0 and y == 2 and z == 1e6 and w == -0.0", "x == 1.0 and y == 2 and z == 1e+06 and w == -0.0"},
		{"x IN [1, 'a', NULL, TRUE]", `x in [1, "a", null, true]`},
		{"`a b`.c == 1 and `params`.x and `and` and `x`", "`a b`.c == 1 and `params`.x and `and` and x"},
		{"meta.and.0 > 1", "meta.and.0 > 1"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.String(); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	r := sampleRecord()
	tests := []struct {
		name string
		want any
		ok   bool
	}{
		{"lr", 0.02, true},
		{"params.lr", 0.02, true},
		{"results.lr", 999, true},
		{"meta.lr", nil, false},
		{"acc", 0.93, true},
		{"status", "done", true},
		{"model.name", "resnet", true},
		{"params.model.name", "resnet", true},
		{"flat.key", "yes", true},
		{"layers.0", 64, true},
		{"layers.x", nil, false},
		{"layers.-1", nil, false},
		{"nothing", nil, true},
		{"missing", nil, false},
		{"params", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, ok := Lookup(r, tt.name)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	// The longest flat key wins over nesting; nesting still works below it.
	r2 := Record{Params: map[string]any{
		"a.b": map[string]any{"c": 1},
		"a":   map[string]any{"b": map[string]any{"c": 2, "d": 3}},
	}}
	for name, want := range map[string]any{"a.b.c": 1, "a.b.d": 3} {
		if got, _ := Lookup(r2, name); got != want {
			t.Errorf("Lookup(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCompare(t *testing.T) {
	less := [][2]any{
		{1, 2},
		{1, 1.5},
		{1.5, 2},
		{int64(-3), 0.0},
		{int64(9007199254740992), int64(9007199254740993)},
		{9007199254740992.0, int64(9007199254740993)},
		{math.Inf(-1), math.MinInt64},
		{1e300, math.NaN()},
		{"a", "b"},
		{"B", "a"},
		{false, true},
		{true, []any{}}, // bool < list
		{[]any{}, 1},    // list < number
		{3, "2"},        // number < string
		{"z", nil},      // nil last
		{1, nil},        // nil last
		{[]any{1}, []any{1, 2}},
		{[]any{1, 3}, []any{2}},
		{map[string]any{"a": 1}, map[string]any{"a": 2}},
		{map[string]any{"a": 1}, map[string]any{"b": 0}},
		{json.Number("2"), 2.5},
	}
	for _, p := range less {
		if c := Compare(p[0], p[1]); c != -1 {
			t.Errorf("Compare(%#v, %#v) = %d, want -1", p[0], p[1], c)
		}
		if c := Compare(p[1], p[0]); c != 1 {
			t.Errorf("Compare(%#v, %#v) = %d, want 1", p[1], p[0], c)
		}
	}
	equal := [][2]any{{1, 1.0}, {int64(2), 2}, {nil, nil}, {"x", "x"}, {math.NaN(), math.NaN()}, {[]any{1}, []any{1.0}}, {uint8(3), 3}}
	for _, p := range equal {
		if c := Compare(p[0], p[1]); c != 0 {
			t.Errorf("Compare(%#v, %#v) = %d, want 0", p[0], p[1], c)
		}
	}
	vals := []any{nil, "b", 2.5, 1, true, "a", int64(3), false, nil, 0.5}
	slices.SortStableFunc(vals, Compare)
	want := []any{false, true, 0.5, 1, 2.5, int64(3), "a", "b", nil, nil}
	if !slices.Equal(vals, want) {
		t.Errorf("sorted = %v, want %v", vals, want)
	}
}

func TestConcurrentEval(t *testing.T) {
	e, err := Parse("lr > 0.01 and tags == 'best' and name ~ 'res*'")
	if err != nil {
		t.Fatal(err)
	}
	r := sampleRecord()
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 1000 {
				ok = ok && e.Eval(r)
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("Eval = false")
		}
	}
}
