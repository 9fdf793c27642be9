package exp

import (
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/value"
)

type modelCfg struct {
	Hidden int      `json:"hidden"`
	Layers int      `json:"layers"`
	Act    string   `json:"act"`
	Dims   []int    `json:"dims"`
	Scale  *float64 `json:"scale"`
}

type trainCfg struct {
	LR        float64            `json:"lr"`
	Epochs    int                `json:"epochs"`
	BatchSize int                // no tag: matches batch_size, batchSize, BatchSize
	Verbose   bool               `json:"verbose"`
	Model     modelCfg           `json:"model"`
	Extra     map[string]any     `json:"extra"`
	Weights   map[string]float64 `json:"weights"`
	Timeout   time.Duration      `json:"timeout"`
	Addr      netip.Addr         `json:"addr"`
	Small     int8               `json:"small"`
	Count     uint               `json:"count"`
	F32       float32            `json:"f32"`
	Skipped   int                `json:"-"`
	hidden    int
}

func defaults() trainCfg {
	return trainCfg{
		LR: 0.01, Epochs: 10, BatchSize: 32,
		Model:   modelCfg{Hidden: 64, Layers: 2, Act: "relu", Dims: []int{1, 2}},
		Extra:   map[string]any{"a": 1, "nested": map[string]any{"x": 1, "y": 2}},
		Weights: map[string]float64{"w1": 1},
		Timeout: time.Second,
	}
}

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	v, err := value.Unmarshal([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func TestDecode(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		params string
		opts   []Option
		want   func(*trainCfg)
		errs   []string // substrings of the error; nil: no error
	}{
		{name: "empty keeps defaults", params: `{}`, want: func(*trainCfg) {}},
		{name: "top level", params: `{"lr":0.5,"epochs":3,"verbose":true}`,
			want: func(c *trainCfg) { c.LR, c.Epochs, c.Verbose = 0.5, 3, true }},
		{name: "nested keeps siblings", params: `{"model":{"hidden":128}}`,
			want: func(c *trainCfg) { c.Model.Hidden = 128 }},
		{name: "dotted key", params: `{"model.layers":4}`,
			want: func(c *trainCfg) { c.Model.Layers = 4 }},
		{name: "int into float", params: `{"lr":1,"f32":2}`,
			want: func(c *trainCfg) { c.LR, c.F32 = 1, 2 }},
		{name: "integral float into int", params: `{"epochs":5.0}`,
			want: func(c *trainCfg) { c.Epochs = 5 }},
		{name: "snake case field", params: `{"batch_size":64}`,
			want: func(c *trainCfg) { c.BatchSize = 64 }},
		{name: "camel case field", params: `{"batchSize":64}`,
			want: func(c *trainCfg) { c.BatchSize = 64 }},
		{name: "case-insensitive tag", params: `{"LR":0.2}`,
			want: func(c *trainCfg) { c.LR = 0.2 }},
		{name: "list replaces slice", params: `{"model":{"dims":[7]}}`,
			want: func(c *trainCfg) { c.Model.Dims = []int{7} }},
		{name: "pointer allocated", params: `{"model":{"scale":2.5}}`,
			want: func(c *trainCfg) { c.Model.Scale = f(2.5) }},
		{name: "any map merged", params: `{"extra":{"b":"x","nested":{"y":3}}}`,
			want: func(c *trainCfg) {
				c.Extra = map[string]any{"a": 1, "b": "x", "nested": map[string]any{"x": 1, "y": 3}}
			}},
		{name: "typed map merged", params: `{"weights":{"w2":2}}`,
			want: func(c *trainCfg) { c.Weights = map[string]float64{"w1": 1, "w2": 2} }},
		{name: "duration", params: `{"timeout":"1m30s"}`,
			want: func(c *trainCfg) { c.Timeout = 90 * time.Second }},
		{name: "text unmarshaler", params: `{"addr":"10.0.0.1"}`,
			want: func(c *trainCfg) { c.Addr = netip.MustParseAddr("10.0.0.1") }},
		{name: "null clears map", params: `{"extra":null,"epochs":null}`,
			want: func(c *trainCfg) { c.Extra = nil }},
		{name: "nan string into float", params: `{"lr":"NaN"}`,
			want: func(c *trainCfg) { c.LR = math.NaN() }},

		{name: "unknown key", params: `{"lrr":1,"model":{"hiden":3}}`,
			errs: []string{`unknown param "lrr"`, `unknown param "model.hiden"`, "hidden, layers", "AllowUnknown"}},
		{name: "unknown allowed", params: `{"lrr":1,"model":{"hiden":3,"layers":5}}`, opts: []Option{AllowUnknown()},
			want: func(c *trainCfg) { c.Model.Layers = 5 }},
		{name: "ignored field is unknown", params: `{"Skipped":1}`, errs: []string{`unknown param "Skipped"`}},
		{name: "unexported field is unknown", params: `{"hidden":1}`, errs: []string{`unknown param "hidden"`}},
		{name: "string into int", params: `{"epochs":"ten"}`,
			errs: []string{`param "epochs": cannot use a string ("ten") as int`}},
		{name: "fractional float into int", params: `{"model":{"hidden":1.5}}`,
			errs: []string{`param "model.hidden": cannot use a float (1.5) as int (not an integer)`}},
		{name: "overflow", params: `{"small":300}`, errs: []string{`param "small"`, "out of range"}},
		{name: "negative uint", params: `{"count":-1}`, errs: []string{`param "count"`}},
		{name: "int into string", params: `{"model":{"act":3}}`,
			errs: []string{`param "model.act": cannot use an int (3) as string`, "quote"}},
		{name: "scalar into struct", params: `{"model":3}`, errs: []string{`param "model": cannot use an int (3) as exp.modelCfg`}},
		{name: "bad list element", params: `{"model":{"dims":[1,"x"]}}`, errs: []string{`param "model.dims[1]"`}},
		{name: "bad duration", params: `{"timeout":5}`, errs: []string{`param "timeout"`, "1m30s"}},
		{name: "two keys one field", params: `{"batch_size":1,"batchSize":2}`, errs: []string{"same field BatchSize"}},
		{name: "all errors reported", params: `{"epochs":"x","lr":"y"}`,
			errs: []string{`param "epochs"`, `param "lr"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := mustJSON(t, tt.params)
			before, _ := value.Marshal(params)
			got := defaults()
			err := Decode(&got, params, tt.opts...)
			if after, _ := value.Marshal(params); string(after) != string(before) {
				t.Errorf("Decode modified params: %s -> %s", before, after)
			}
			if tt.errs != nil {
				if err == nil {
					t.Fatalf("no error, want %q", tt.errs)
				}
				for _, s := range tt.errs {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) && !(math.IsNaN(got.LR) && math.IsNaN(want.LR)) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeMap(t *testing.T) {
	params := mustJSON(t, `{"lr":0.1,"model":{"hidden":8}}`)
	var m map[string]any
	if err := Decode(&m, params); err != nil {
		t.Fatal(err)
	}
	m["model"].(map[string]any)["hidden"] = 99 // must not alias params
	if params["model"].(map[string]any)["hidden"] != 8 {
		t.Fatal("decoded map shares storage with params")
	}
	m = map[string]any{"lr": 0.5, "epochs": 3, "model": map[string]any{"layers": 2}}
	if err := Decode(&m, params); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"lr": 0.1, "epochs": 3, "model": map[string]any{"layers": 2, "hidden": 8}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %v, want %v", m, want)
	}
}

func TestDecodeEmbedded(t *testing.T) {
	type Base struct {
		Seed int `json:"seed"`
		Name string
	}
	type Opt struct{ Momentum float64 }
	type Cfg struct {
		Base
		*Opt
		Name string // hides Base.Name
	}
	c := Cfg{Base: Base{Seed: 1}}
	if err := Decode(&c, map[string]any{"seed": 7, "name": "x", "momentum": 0.9}); err != nil {
		t.Fatal(err)
	}
	if c.Seed != 7 || c.Name != "x" || c.Base.Name != "" || c.Opt == nil || c.Momentum != 0.9 {
		t.Fatalf("got %+v (opt %+v)", c, c.Opt)
	}
}

func TestDecodeBadDst(t *testing.T) {
	var c trainCfg
	for _, dst := range []any{c, nil, (*trainCfg)(nil), new(int)} {
		if err := Decode(dst, nil); err == nil {
			t.Errorf("Decode(%T) did not fail", dst)
		}
	}
}

func TestParamsTracked(t *testing.T) {
	c, _ := newTracked(t, `{"lr":0.5,"model":{"hidden":16}}`,
		"GIT_EXP_PARAM_epochs=99") // already applied by git exp: ignored here
	got := defaults()
	if err := c.Params(&got); err != nil {
		t.Fatal(err)
	}
	want := defaults()
	want.LR, want.Model.Hidden = 0.5, 16
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	c, _ = newTracked(t, `[1,2]`)
	if err := c.Params(&got); err == nil || !strings.Contains(err.Error(), "not hold a JSON object") {
		t.Fatalf("err = %v", err)
	}
}
