package config

import (
	"math"
	"reflect"
	"testing"

	"github.com/git-exp/git-exp/value"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"0.01", 0.01},
		{"3", 3},
		{"-3", -3},
		{"1.0", 1.0},
		{"1e3", 1000.0},
		{"0x10", 16},
		{"true", true},
		{"false", false},
		{"null", nil},
		{"~", nil},
		{"[1,2]", []any{1, 2}},
		{"[1, [2, x], {a: 1.5}]", []any{1, []any{2, "x"}, map[string]any{"a": 1.5}}},
		{"{a: 1}", map[string]any{"a": 1}},
		{"{opt.lr: 1}", map[string]any{"opt": map[string]any{"lr": 1}}},
		{"[]", []any{}},
		{"{}", map[string]any{}},
		{`"3"`, "3"},
		{`'it''s'`, "it's"},
		{"yes", "yes"},
		{"on", "on"},
		{"list(1, 2)", "list(1, 2)"},
		{"", ""},
		{"  ", "  "},
		{"hello world", "hello world"},
		{"a: b", "a: b"},
		{"- 1", "- 1"},
		{"x # y", "x # y"},
		{"#c", "#c"},
		{"a\nb", "a\nb"},
		{"[1, 2", "[1, 2"},
		{"*a", "*a"},
		{"---", "---"},
		{"a\n---\nb", "a\n---\nb"},
		{"|\n  text", "|\n  text"},
		{"2024-01-02", "2024-01-02"},
		{"1_000", "1_000"}, // YAML 1.2 core has no digit separators
		{"010", 10},        // decimal, as in YAML 1.2 core (octal is 0o10)
		{"0o10", 8},
		{"[010, 0x10, -.inf, 1e-7]", []any{10, 16, math.Inf(-1), 1e-7}},
	}
	for _, tt := range tests {
		got := ParseValue(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseValue(%q) = %#v (%T), want %#v (%T)", tt.in, got, got, tt.want, tt.want)
		}
	}
}

// TestValueRoundTrip checks every value type through ParseValue -> MarshalJSON -> UnmarshalJSON.
func TestValueRoundTrip(t *testing.T) {
	tests := []struct {
		in   string
		json string
		want any
	}{
		{"1", "1", 1},
		{"1.0", "1.0", 1.0},
		{"0.01", "0.01", 0.01},
		{"1e-9", "1e-9", 1e-9},
		{"1e21", "1e+21", 1e21},
		{`"1"`, `"1"`, "1"},
		{"yes", `"yes"`, "yes"},
		{"true", "true", true},
		{"null", "null", nil},
		{"[1, 1.0, '1', null]", `[1,1.0,"1",null]`, []any{1, 1.0, "1", nil}},
		{"{b: [1], a: {c: 2.5}}", `{"a":{"c":2.5},"b":[1]}`, map[string]any{"a": map[string]any{"c": 2.5}, "b": []any{1}}},
		{"<tag> & co", `"<tag> & co"`, "<tag> & co"},
	}
	for _, tt := range tests {
		v := ParseValue(tt.in)
		b, err := value.Marshal(v)
		if err != nil {
			t.Errorf("value.Marshal(ParseValue(%q)): %v", tt.in, err)
			continue
		}
		if string(b) != tt.json {
			t.Errorf("value.Marshal(ParseValue(%q)) = %s, want %s", tt.in, b, tt.json)
		}
		got, err := value.Unmarshal(b)
		if err != nil {
			t.Errorf("value.Unmarshal(%s): %v", b, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("round trip of %q = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseParam(t *testing.T) {
	tests := []struct {
		in    string
		key   string
		value any
		err   string
	}{
		{in: "lr=0.01", key: "lr", value: 0.01},
		{in: "model.lr=1", key: "model.lr", value: 1},
		{in: "name=a=b", key: "name", value: "a=b"},
		{in: "tags=[a, b]", key: "tags", value: []any{"a", "b"}},
		{in: "x=", key: "x", value: ""},
		{in: "Case.Kept=yes", key: "Case.Kept", value: "yes"},
		{in: "lr", err: `malformed --param "lr": expected KEY=VALUE, e.g. --param lr=0.01`},
		{in: "", err: `malformed --param "": expected KEY=VALUE, e.g. --param lr=0.01`},
		{in: "=3", err: `malformed --param "=3": the key before "=" is empty, e.g. --param lr=0.01`},
		{in: "a..b=1", err: `malformed --param "a..b=1": key "a..b" has an empty segment; use dots only between names, e.g. --param model.lr=0.01`},
		{in: ".a=1", err: `malformed --param ".a=1": key ".a" has an empty segment; use dots only between names, e.g. --param model.lr=0.01`},
		{in: "a.=1", err: `malformed --param "a.=1": key "a." has an empty segment; use dots only between names, e.g. --param model.lr=0.01`},
		{in: "seed=9223372036854775807", key: "seed", value: 9223372036854775807},
		{in: "seed=-9223372036854775808", key: "seed", value: -9223372036854775808},
		{in: `seed="12345678901234567890"`, key: "seed", value: "12345678901234567890"},
		{in: "seed=12345678901234567890", err: `--param seed=12345678901234567890: 12345678901234567890 does not fit a 64-bit integer: quote it to keep it as text, or write it as a float (1.2345678901234567e+19)`},
		{in: "seed=-9223372036854775809", err: `--param seed=-9223372036854775809: -9223372036854775809 does not fit a 64-bit integer: quote it to keep it as text, or write it as a float (-9.223372036854776e+18)`},
	}
	for _, tt := range tests {
		key, value, err := ParseParam(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseParam(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || key != tt.key || !reflect.DeepEqual(value, tt.value) {
			t.Errorf("ParseParam(%q) = %q, %#v, %v; want %q, %#v", tt.in, key, value, err, tt.key, tt.value)
		}
	}
}

func TestEnvParams(t *testing.T) {
	env := []string{
		"HOME=/root",
		"GIT_EXP_PARAM_lr=0.01",
		"GIT_EXP_PARAM_model__hidden_size=512",
		"GIT_EXP_PARAM_opt.name=adam",
		"GIT_EXP_PARAM_Mixed=yes",
		"GIT_EXP_PARAM_=1",         // empty key: skipped
		"GIT_EXP_PARAM_a____b=1",   // empty segment: skipped
		"git_exp_param_lower=1",    // the prefix is case-sensitive
		"XGIT_EXP_PARAM_x=1",       // not a prefix match
		"GIT_EXP_PARAM_lr=0.02",    // a later entry wins
		"GIT_EXP_PARAM_noequals",   // malformed entry: ignored
		"GIT_EXP_PARAM_empty=",     // an empty value is the empty string
		"GIT_EXP_PARAM_list=[1,2]", // flow values work
	}
	params, names := EnvParams(env)
	want := map[string]any{
		"lr": 0.02, "model.hidden_size": 512, "opt.name": "adam", "Mixed": "yes", "empty": "", "list": []any{1, 2},
	}
	if !reflect.DeepEqual(params, want) {
		t.Errorf("params = %#v\nwant %#v", params, want)
	}
	wantNames := []string{"GIT_EXP_PARAM_Mixed", "GIT_EXP_PARAM_empty", "GIT_EXP_PARAM_list", "GIT_EXP_PARAM_lr",
		"GIT_EXP_PARAM_model__hidden_size", "GIT_EXP_PARAM_opt.name"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("names = %q\nwant %q", names, wantNames)
	}
	if params, names := EnvParams(nil); len(params) != 0 || len(names) != 0 {
		t.Errorf("EnvParams(nil) = %v, %v", params, names)
	}
}
