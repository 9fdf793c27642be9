package sweep

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestExpandNoSweep(t *testing.T) {
	base := map[string]any{"lr": 0.1, "name": "adam (beta)", "m": map[string]any{"x": []any{1, "list(1,2)"}}}
	pts, err := Expand(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || len(pts[0].Vars) != 0 {
		t.Fatalf("got %d points, vars %v; want 1 point, no vars", len(pts), pts[0].Vars)
	}
	if !reflect.DeepEqual(pts[0].Params, base) {
		t.Errorf("params %v, want %v", pts[0].Params, base)
	}
	// Deep copy: mutating the point does not touch the base.
	pts[0].Params["m"].(map[string]any)["x"].([]any)[0] = 99
	if base["m"].(map[string]any)["x"].([]any)[0] != 1 {
		t.Error("Expand did not deep-copy the base tree")
	}

	pts, err = Expand(nil)
	if err != nil || len(pts) != 1 || pts[0].Params == nil || len(pts[0].Params) != 0 {
		t.Errorf("Expand(nil) = %v, %v; want one empty point", pts, err)
	}
}

func TestExpandGridOrderAndSize(t *testing.T) {
	base := map[string]any{
		"c":     "list(x, y, z, w)",
		"a":     "list(1, 2)",
		"b":     "range(3)",
		"fixed": "keep",
	}
	pts, err := Expand(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 24 {
		t.Fatalf("got %d points, want 2x3x4 = 24", len(pts))
	}
	var names []string
	for _, p := range pts {
		names = append(names, Name(p.Vars))
		if p.Params["fixed"] != "keep" {
			t.Errorf("fixed param lost: %v", p.Params)
		}
		for _, v := range p.Vars {
			if p.Params[v.Key] != v.Value {
				t.Errorf("Params[%s] = %v, Vars say %v", v.Key, p.Params[v.Key], v.Value)
			}
		}
	}
	// First key (sorted) varies slowest, last key fastest.
	var want []string
	for _, a := range []int{1, 2} {
		for _, b := range []int{0, 1, 2} {
			for _, c := range []string{"x", "y", "z", "w"} {
				want = append(want, fmt.Sprintf("a=%d,b=%d,c=%s", a, b, c))
			}
		}
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("grid order\n got %v\nwant %v", names, want)
	}
}

func TestExpandDeepKeys(t *testing.T) {
	base := map[string]any{
		"model": map[string]any{
			"lr":     "list(1,2)",
			"layers": 3,
			"opt":    map[string]any{"name": "list(adam, sgd)"},
		},
		"model_x": "list(true)",
		"data":    []any{map[string]any{"k": "list(1,2)"}},
	}
	pts, err := Expand(base)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pts {
		names = append(names, Name(p.Vars))
		m := p.Params["model"].(map[string]any)
		if m["layers"] != 3 {
			t.Errorf("model.layers lost: %v", m)
		}
		if m["lr"] != p.Vars[0].Value || m["opt"].(map[string]any)["name"] != p.Vars[1].Value {
			t.Errorf("nested values not substituted: %v vs %v", p.Params, p.Vars)
		}
		// Sweeps inside lists are kept verbatim.
		if got := p.Params["data"].([]any)[0].(map[string]any)["k"]; got != "list(1,2)" {
			t.Errorf("sweep inside a list was touched: %v", got)
		}
	}
	want := []string{
		"model.lr=1,model.opt.name=adam,model_x=true",
		"model.lr=1,model.opt.name=sgd,model_x=true",
		"model.lr=2,model.opt.name=adam,model_x=true",
		"model.lr=2,model.opt.name=sgd,model_x=true",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("got %v\nwant %v", names, want)
	}
	// The base is unchanged.
	if base["model"].(map[string]any)["lr"] != "list(1,2)" {
		t.Error("Expand modified its input")
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"lr": "range(1,)"}, `lr: range(1,): expected a number after "," at column 9`},
		{map[string]any{"model": map[string]any{"opt": "foo(1)"}}, `model.opt: foo(1): unknown sweep function foo (known: list, range, linspace, logspace)`},
		{map[string]any{"a.b": "list(1)", "a": map[string]any{"b": "list(2)"}}, `a.b: two sweeps have the same dotted key (a key containing "." and a nested key)`},
		{map[string]any{"a": "range(1000)", "b": "range(1000)"}, `the sweep grid has more than 100000 points (a: 1000, b: 1000)`},
	}
	for _, tt := range tests {
		_, err := Expand(tt.params)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Expand(%v) error = %v, want %s", tt.params, err, tt.want)
		}
	}
}

func TestExpandVarsOrder(t *testing.T) {
	pts, err := Expand(map[string]any{"lr": "list(0.001, 0.01)", "bs": "list(32)"})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{Name(pts[0].Vars), Name(pts[1].Vars)}
	want := []string{"bs=32,lr=0.001", "bs=32,lr=0.01"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSweep(t *testing.T) {
	configs := []map[string]any{
		{"model": map[string]any{"lr": 0.1, "depth": 2}, "seed": 0},
		{"model": map[string]any{"lr": 0.5}, "seed": 1},
	}
	variations := []map[string]any{
		{"model.lr": 0.01},
		{"model.depth": 4, "opt.name": "sgd", "seed": []any{1, 2}},
	}
	got := Sweep(configs, variations)
	want := []map[string]any{
		{"model": map[string]any{"lr": 0.01, "depth": 2}, "seed": 0},
		{"model": map[string]any{"lr": 0.1, "depth": 4}, "seed": []any{1, 2}, "opt": map[string]any{"name": "sgd"}},
		{"model": map[string]any{"lr": 0.01}, "seed": 1},
		{"model": map[string]any{"lr": 0.5, "depth": 4}, "seed": []any{1, 2}, "opt": map[string]any{"name": "sgd"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sweep\n got %v\nwant %v", got, want)
	}
	// Inputs untouched, outputs independent.
	if configs[0]["model"].(map[string]any)["lr"] != 0.1 {
		t.Error("Sweep modified a config")
	}
	got[1]["seed"].([]any)[0] = 7
	if variations[1]["seed"].([]any)[0] != 1 || got[3]["seed"].([]any)[0] != 1 {
		t.Error("Sweep shares variation values between outputs")
	}

	// No variations: copies of configs.
	got = Sweep(configs, nil)
	if !reflect.DeepEqual(got, configs) {
		t.Errorf("Sweep(configs, nil) = %v", got)
	}
	got[0]["seed"] = 42
	if configs[0]["seed"] != 0 {
		t.Error("Sweep(configs, nil) does not copy")
	}
	if got := Sweep(nil, variations); len(got) != 0 {
		t.Errorf("Sweep(nil, ...) = %v, want empty", got)
	}

	// A non-map value in the way is replaced; "a" is applied before "a.b".
	got = Sweep([]map[string]any{{"a": 1}}, []map[string]any{{"a.b": 2}, {"a.b": 3, "a": map[string]any{"c": 4}}})
	want = []map[string]any{{"a": map[string]any{"b": 2}}, {"a": map[string]any{"b": 3, "c": 4}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestGrid(t *testing.T) {
	got := Grid(map[string][]any{"b": {1, 2, 3}, "a.x": {"p", "q"}})
	var s []string
	for _, m := range got {
		s = append(s, fmt.Sprintf("%v/%v", m["a.x"], m["b"]))
	}
	if want := "p/1 p/2 p/3 q/1 q/2 q/3"; strings.Join(s, " ") != want {
		t.Errorf("Grid order %v, want %s", s, want)
	}
	if got := Grid(nil); len(got) != 1 || len(got[0]) != 0 {
		t.Errorf("Grid(nil) = %v, want one empty map", got)
	}
	if got := Grid(map[string][]any{"a": {1}, "b": {}}); len(got) != 0 {
		t.Errorf("Grid with an empty axis = %v, want none", got)
	}
	// Grid feeds Sweep.
	out := Sweep([]map[string]any{{"m": map[string]any{"lr": 1}}}, Grid(map[string][]any{"m.lr": {0.1, 0.2}}))
	if len(out) != 2 || out[1]["m"].(map[string]any)["lr"] != 0.2 {
		t.Errorf("Sweep(Grid) = %v", out)
	}
	// Same order as Expand.
	axes := map[string][]any{"c": {"x", "y"}, "a": {1, 2}, "b": {true, false}}
	pts, err := Expand(map[string]any{"c": "list(x, y)", "a": "list(1, 2)", "b": "list(true, false)"})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range Grid(axes) {
		for _, v := range pts[i].Vars {
			if m[v.Key] != v.Value {
				t.Errorf("point %d: Grid %v, Expand %v", i, m, pts[i].Vars)
			}
		}
	}
}
