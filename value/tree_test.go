package value

import (
	"reflect"
	"testing"
)

func TestMerge(t *testing.T) {
	tests := []struct {
		name     string
		dst, src map[string]any
		want     map[string]any
	}{
		{"nil dst", nil, map[string]any{"a": 1}, map[string]any{"a": 1}},
		{"plain key replaces a map wholesale",
			map[string]any{"model": map[string]any{"h": 256, "l": 4}},
			map[string]any{"model": map[string]any{"h": 512}},
			map[string]any{"model": map[string]any{"h": 512}}},
		{"dotted key keeps siblings",
			map[string]any{"model": map[string]any{"h": 256, "l": 4}},
			map[string]any{"model.h": 512},
			map[string]any{"model": map[string]any{"h": 512, "l": 4}}},
		{"plain before dotted",
			map[string]any{"model": map[string]any{"l": 4}},
			map[string]any{"model.h": 512, "model": map[string]any{"x": 1}},
			map[string]any{"model": map[string]any{"x": 1, "h": 512}}},
		{"shorter dotted before longer",
			map[string]any{},
			map[string]any{"a.b.c": 2, "a.b": map[string]any{"d": 1}},
			map[string]any{"a": map[string]any{"b": map[string]any{"c": 2, "d": 1}}}},
		{"dotted creates maps", map[string]any{"x": 1}, map[string]any{"a.b": true},
			map[string]any{"x": 1, "a": map[string]any{"b": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Merge(tt.dst, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestMergeCopiesSrc(t *testing.T) {
	src := map[string]any{"m": map[string]any{"l": []any{1, map[string]any{"x": 1}}}, "n.o": map[string]any{"p": 1}}
	dst, err := Merge(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	// Mutate everything reachable from dst; src must not change.
	dst["m"].(map[string]any)["l"].([]any)[1].(map[string]any)["x"] = 2
	dst["n"].(map[string]any)["o"].(map[string]any)["p"] = 2
	if err := Set(dst, "m.new", 1); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"m": map[string]any{"l": []any{1, map[string]any{"x": 1}}}, "n.o": map[string]any{"p": 1}}
	if !reflect.DeepEqual(src, want) {
		t.Errorf("src changed to %#v", src)
	}
}

func TestMergeThroughScalar(t *testing.T) {
	_, err := Merge(map[string]any{"a": 3}, map[string]any{"a.b": 1})
	if want := `cannot set "a.b": "a" is an int (3), not a map`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestSet(t *testing.T) {
	m := map[string]any{"a": 3, "s": "x", "f": 0.5, "l": []any{1}, "b": true, "n": nil, "e": map[string]any(nil)}
	errs := []struct{ key, want string }{
		{"a.b", `cannot set "a.b": "a" is an int (3), not a map`},
		{"a.b.c", `cannot set "a.b.c": "a" is an int (3), not a map`},
		{"s.x", `cannot set "s.x": "s" is a string ("x"), not a map`},
		{"f.x", `cannot set "f.x": "f" is a float (0.5), not a map`},
		{"l.x", `cannot set "l.x": "l" is a list of 1 values, not a map`},
		{"b.x", `cannot set "b.x": "b" is a bool (true), not a map`},
		{"", `cannot set "": the key is empty`},
		{"a..b", `cannot set "a..b": the key has an empty segment; use dots only between names, e.g. model.lr`},
		{".a", `cannot set ".a": the key has an empty segment; use dots only between names, e.g. model.lr`},
		{"a.", `cannot set "a.": the key has an empty segment; use dots only between names, e.g. model.lr`},
	}
	for _, tt := range errs {
		if err := Set(m, tt.key, 1); err == nil || err.Error() != tt.want {
			t.Errorf("Set(%q) error = %v, want %q", tt.key, err, tt.want)
		}
	}
	for _, key := range []string{"n.x", "e.x", "new.deep.key", "a"} {
		if err := Set(m, key, 7); err != nil {
			t.Errorf("Set(%q): %v", key, err)
		}
		if v, ok := Get(m, key); !ok || v != 7 {
			t.Errorf("Get(%q) = %v, %v after Set", key, v, ok)
		}
	}
	if err := Set(nil, "a", 1); err == nil {
		t.Error("Set on a nil map: no error")
	}
}

func TestGet(t *testing.T) {
	m := map[string]any{"a": map[string]any{"b": map[string]any{"c": nil}}, "x": 1}
	tests := []struct {
		key  string
		want any
		ok   bool
	}{
		{"a.b.c", nil, true},
		{"x", 1, true},
		{"a.b.d", nil, false},
		{"x.y", nil, false},
		{"a..b", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, ok := Get(m, tt.key)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Get(%q) = %v, %v; want %v, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := Get(nil, "a"); ok {
		t.Error("Get on nil map found a value")
	}
}
