package sweep

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

var point1, point2 = 0.1, 0.2
var point3 = point1 + point2 // not constant-folded: 0.30000000000000004

func TestName(t *testing.T) {
	tests := []struct {
		vars []Var
		want string
	}{
		{nil, ""},
		{[]Var{{"lr", 0.001}, {"bs", 32}}, "lr=0.001,bs=32"},
		{[]Var{{"lr", -0.5}}, "lr=-0.5"},
		{[]Var{{"lr", 0.5}}, "lr=0.5"},
		{[]Var{{"x", 1}}, "x=1"},
		{[]Var{{"x", "1"}}, `x="1"`},
		{[]Var{{"x", 1.0}}, "x=1.0"},
		{[]Var{{"x", "1.0"}}, `x="1.0"`},
		{[]Var{{"x", true}}, "x=true"},
		{[]Var{{"x", "true"}}, `x="true"`},
		{[]Var{{"x", nil}}, "x=null"},
		{[]Var{{"x", "null"}}, `x="null"`},
		{[]Var{{"x", "~"}}, `x="~"`},
		{[]Var{{"x", ".inf"}}, `x=".inf"`},
		{[]Var{{"x", ""}}, `x=""`},
		{[]Var{{"opt", "adam"}}, "opt=adam"},
		{[]Var{{"opt", "a,b"}}, `opt="a,b"`},
		{[]Var{{"opt", "a=b"}}, `opt="a=b"`},
		{[]Var{{"opt", "adam (beta)"}}, `opt="adam (beta)"`},
		{[]Var{{"opt", `say "hi"`}}, `opt="say \"hi\""`},
		{[]Var{{"opt", "it's"}}, `opt="it's"`},
		{[]Var{{"opt", "list(1,2)"}}, `opt="list(1,2)"`},
		{[]Var{{"model.lr", 0.1}}, "model.lr=0.1"},
		{[]Var{{"a,b", 1}, {"", 2}}, `"a,b"=1,""=2`},
		{[]Var{{"l", []any{1, 2}}}, `l="[1, 2]"`},
	}
	for _, tt := range tests {
		if got := Name(tt.vars); got != tt.want {
			t.Errorf("Name(%v) = %s, want %s", tt.vars, got, tt.want)
		}
	}
}

func TestNameRoundTripAndNoCollision(t *testing.T) {
	cases := [][]Var{
		{{"lr", -0.5}}, {{"lr", 0.5}}, {{"lr", "-0.5"}}, {{"lr", "0.5"}},
		{{"x", 1}}, {{"x", "1"}}, {{"x", 1.0}}, {{"x", "1.0"}}, {{"x", "+1"}}, {{"x", "01"}},
		{{"x", true}}, {{"x", "true"}}, {{"x", "True"}}, {{"x", nil}}, {{"x", "null"}}, {{"x", ""}},
		{{"x", "a,b"}}, {{"x", "a"}, {"b", "c"}}, {{"x", "a,b=c"}}, {{"x", `"a"`}}, {{"x", "a b"}},
		{{"x", "tab\there"}}, {{"x", "new\nline"}}, {{"x", "ünïcode"}}, {{"x", "\xff"}},
		{{"x", 1e-05}}, {{"x", 1e16}}, {{"x", math.Copysign(0, -1)}}, {{"x", 0.0}}, {{"x", 0}},
		{{"x", math.MaxInt64}}, {{"x", math.MinInt64}}, {{"x", math.Inf(-1)}},
		{{"a.b", 1}, {"c", "d"}}, {{"a", "b.c"}}, {{"k=v", 1}}, {{"k", "=v"}},
	}
	seen := map[string]int{}
	for i, vars := range cases {
		name := Name(vars)
		if j, dup := seen[name]; dup {
			t.Errorf("Name collision %q: %v and %v", name, cases[j], vars)
		}
		seen[name] = i
		back, err := ParseName(name)
		if err != nil {
			t.Errorf("ParseName(%q): %v", name, err)
			continue
		}
		if !varsEqual(back, vars) {
			t.Errorf("ParseName(Name(%#v)) = %#v (name %q)", vars, back, name)
		}
	}
}

// varsEqual compares vars, treating floats by bit pattern (so -0.0 != 0.0)
// and all NaNs as equal.
func varsEqual(a, b []Var) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key {
			return false
		}
		fa, okA := a[i].Value.(float64)
		fb, okB := b[i].Value.(float64)
		if okA && okB {
			if math.IsNaN(fa) && math.IsNaN(fb) {
				continue
			}
			if math.Float64bits(fa) != math.Float64bits(fb) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func TestParseName(t *testing.T) {
	got, err := ParseName(`lr=0.001,bs=32,opt=adam,"a b"="x,y",n=null,f=1.0,s="1"`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Var{{"lr", 0.001}, {"bs", 32}, {"opt", "adam"}, {"a b", "x,y"}, {"n", nil}, {"f", 1.0}, {"s", "1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if got, err := ParseName(""); err != nil || len(got) != 0 {
		t.Errorf("ParseName(\"\") = %v, %v", got, err)
	}
	for _, bad := range []string{"a", "a=", "=1", "a=1,", "a=1,,b=2", `a="x`, `a="x"y`, `"a`, `a="\q"`, ",a=1", "a=1,b"} {
		if _, err := ParseName(bad); err == nil || !strings.Contains(err.Error(), "sweep name") {
			t.Errorf("ParseName(%q) error = %v, want an error", bad, err)
		}
	}
}
