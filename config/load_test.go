package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/value"
)

// writeFiles creates files (path -> content) under a new temporary directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// chdir changes the working directory for the rest of the test.
func chdir(t *testing.T, dir string) {
	t.Helper()
	t.Chdir(dir)
}

func TestLoadSeedExample(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"base.yaml": "model:\n  hidden_size: 256\n  num_layers: 4\n",
		"experiment.yaml": "imports:\n  - base.yaml\n" +
			"model.hidden_size: 512  # Updates only hidden_size, keeps num_layers\n",
	})
	got, err := Load(filepath.Join(dir, "experiment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"model": map[string]any{"hidden_size": 512, "num_layers": 4}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %#v, want %#v", got, want)
	}
}

func TestLoadChain(t *testing.T) {
	// experiment.yaml -> models/large.yaml -> ../base.yaml, with dotted overrides at each level.
	got, err := Load("testdata/chain/experiment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"model": map[string]any{
			"hidden_size": 512,
			"num_layers":  8,
			"dropout":     0.1,
			"activation":  "gelu",
		},
		"optimizer": map[string]any{"name": "sgd"},
		"seed":      0,
		"tags":      []any{"baseline", "1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %#v\nwant %#v", got, want)
	}
	// The base on its own is untouched by what imported it.
	base, err := Load("testdata/chain/base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := value.Get(base, "model.hidden_size"); v != 256 {
		t.Errorf("base model.hidden_size = %v, want 256", v)
	}
}

func TestLoadImportsInOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml":   "model: {h: 1, l: 2}\nlr: 0.1\n",
		"b.yaml":   "model.h: 10\nname: b\n", // a mixin: updates what came before it
		"c.yaml":   "name: c\n",
		"exp.yaml": "lr: 0.5\nimports: [a.yaml, b.yaml, c.yaml]\n", // imports apply first wherever the key is
		"one.yaml": "imports: a.yaml\nmodel.h: 3\n",
	})
	tests := []struct {
		file string
		want map[string]any
	}{
		{"exp.yaml", map[string]any{"model": map[string]any{"h": 10, "l": 2}, "lr": 0.5, "name": "c"}},
		{"one.yaml", map[string]any{"model": map[string]any{"h": 3, "l": 2}, "lr": 0.1}},
	}
	for _, tt := range tests {
		got, err := Load(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.file, got, tt.want)
		}
	}
}

func TestLoadBytes(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want map[string]any
	}{
		{"empty", "", map[string]any{}},
		{"comments only", "# nothing\n", map[string]any{}},
		{"null document", "~\n", map[string]any{}},
		{"types", "i: 1\nf: 1.0\ne: 1e3\ns: \"1\"\nyes: yes\nb: true\nn: null\nt: ~\nl: [1, 2.5, x]\nm: {a: 1}\nhex: 0x10\n",
			map[string]any{"i": 1, "f": 1.0, "e": 1000.0, "s": "1", "yes": "yes", "b": true, "n": nil, "t": nil,
				"l": []any{1, 2.5, "x"}, "m": map[string]any{"a": 1}, "hex": 16}},
		{"big float stays a float", "x: 1e20\ny: 99999999999999999999.0\n", map[string]any{"x": 1e20, "y": 1e20}},
		{"timestamp stays a string", "d: 2024-01-02\n", map[string]any{"d": "2024-01-02"}},
		{"non-string keys", "1: a\ntrue: b\nnull: c\n", map[string]any{"1": "a", "true": "b", "null": "c"}},
		{"dotted key updates", "model: {h: 1, l: 2}\nmodel.h: 3\n", map[string]any{"model": map[string]any{"h": 3, "l": 2}}},
		{"later plain key replaces", "model.h: 3\nmodel: {l: 2}\n", map[string]any{"model": map[string]any{"l": 2}}},
		{"dotted creates maps", "a.b.c: 1\n", map[string]any{"a": map[string]any{"b": map[string]any{"c": 1}}}},
		{"dotted through null", "a: ~\na.b: 1\n", map[string]any{"a": map[string]any{"b": 1}}},
		{"nested dotted keys", "model: {opt.lr: 1, opt.m: 0.9}\n",
			map[string]any{"model": map[string]any{"opt": map[string]any{"lr": 1, "m": 0.9}}}},
		{"quoted dotted key is a path too", "\"a.b\": 1\n", map[string]any{"a": map[string]any{"b": 1}}},
		{"aliases are copies", "a: &x {p: 1}\nb: *x\nb.q: 2\n",
			map[string]any{"a": map[string]any{"p": 1}, "b": map[string]any{"p": 1, "q": 2}}},
		{"merge keys", "base: &b {p: 1, q: 2}\nc: {<<: *b, q: 3}\n",
			map[string]any{"base": map[string]any{"p": 1, "q": 2}, "c": map[string]any{"p": 1, "q": 3}}},
		{"merge key list: first wins", "x: &x {p: 1}\ny: &y {p: 2, r: 3}\nc: {<<: [*x, *y]}\n",
			map[string]any{"x": map[string]any{"p": 1}, "y": map[string]any{"p": 2, "r": 3}, "c": map[string]any{"p": 1, "r": 3}}},
		{"no imports", "imports: []\na: 1\n", map[string]any{"a": 1}},
		{"null imports", "imports:\na: 1\n", map[string]any{"a": 1}},
		{"nested imports key is data", "x: {imports: [a]}\n", map[string]any{"x": map[string]any{"imports": []any{"a"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadBytes("t.yaml", []byte(tt.doc), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestLoadBytesErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // the whole error message
	}{
		{"unclosed flow", "a: 1\nb: [1, 2\nc: 3\n", "t.yaml:2:5: did not find expected ',' or ']'"},
		{"bad indentation", "a:\n  b: 1\n c: 2\n", "t.yaml:3:2: did not find expected key"},
		{"tab", "a:\n\tb: 1\n", "t.yaml:2:1: found character that cannot start any token"},
		{"first line", "a: b: c\n", "t.yaml:1:5: mapping values are not allowed in this context"},
		{"deeper", "x: 1\ny: 2\nz:\n  - a\n b\n", "t.yaml:5:2: did not find expected key"},
		{"unknown anchor", "x: *nope\n", "t.yaml: unknown anchor 'nope' referenced"},
		{"top level list", "- 1\n- 2\n", "t.yaml:1:1: the top level must be a mapping of keys to values, not a list"},
		{"top level scalar", "hello\n", `t.yaml:1:1: the top level must be a mapping of keys to values, not the string "hello"`},
		{"two documents", "a: 1\n---\nb: 2\n", `t.yaml:2:1: a config file holds one YAML document; remove the extra "---"`},
		{"dotted through scalar", "a: 3\nx: 1\na.b: 1\n", `t.yaml:3:1: cannot set "a.b": "a" is an int (3), not a map`},
		{"nested dotted through scalar", "m:\n  a: x\n  a.b: 1\n", `t.yaml:3:3: cannot set "a.b": "a" is a string ("x"), not a map`},
		{"empty segment", "a..b: 1\n", `t.yaml:1:1: cannot set "a..b": the key has an empty segment; use dots only between names, e.g. model.lr`},
		{"duplicate key", "a: 1\nb: 2\na: 2\n", `t.yaml:3:1: key "a" is defined twice (also on line 1): keep one`},
		{"nested duplicate key", "m:\n  x: 1\n  x: 2\n", `t.yaml:3:3: key "x" is defined twice (also on line 2): keep one`},
		{"complex key", "? [a]\n: 1\n", "t.yaml:1:3: a key must be a plain value, not a list"},
		{"recursive alias", "a: &a [1, *a]\n", "t.yaml:1:11: alias *a refers to a value that contains it"},
		{"bad imports", "imports: {a: 1}\n", `t.yaml:1:10: "imports" must be a path or a list of paths, not a mapping`},
		{"bad import entry", "imports: [a.yaml, 3]\n", `t.yaml:1:19: "imports" must list file paths, found the value 3`},
		{"bad merge", "a: {<<: 3}\n", "t.yaml:1:9: a merge key (<<) needs a mapping or a list of mappings"},
		{"int past 64 bits", "x: 99999999999999999999\n", "t.yaml:1:4: 99999999999999999999 does not fit a 64-bit integer: quote it to keep it as text, or write it as a float (1e+20)"},
		{"negative int past 64 bits", "x: -9223372036854775809\n", "t.yaml:1:4: -9223372036854775809 does not fit a 64-bit integer: quote it to keep it as text, or write it as a float (-9.223372036854776e+18)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadBytes("t.yaml", []byte(tt.doc), t.TempDir())
			if err == nil {
				t.Fatalf("no error; got %#v", got)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
		})
	}
}

func TestLoadAliasBomb(t *testing.T) {
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 'b', 'a'; i <= 'j'; i, prev = i+1, i {
		doc += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(prev)+", ", 9) + "*" + string(prev) + "]\n"
	}
	_, err := LoadBytes("bomb.yaml", []byte(doc), "")
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Fatalf("err = %v, want a 'document too large' error", err)
	}
}

func TestLoadImportCycle(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml":     "imports: b.yaml\nx: 1\n",
		"b.yaml":     "imports: [sub/c.yaml]\n",
		"sub/c.yaml": "imports: ../a.yaml\n",
		"self.yaml":  "imports: self.yaml\n",
	})
	chdir(t, dir)
	tests := []struct{ file, want string }{
		{"a.yaml", "import cycle: a.yaml -> b.yaml -> sub/c.yaml -> a.yaml"},
		{"self.yaml", "import cycle: self.yaml -> self.yaml"},
	}
	for _, tt := range tests {
		_, err := Load(tt.file)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%s) error = %v, want %q", tt.file, err, tt.want)
		}
	}
}

func TestLoadDiamondIsNotACycle(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"base.yaml": "a: 1\n",
		"l.yaml":    "imports: base.yaml\nl: 1\n",
		"r.yaml":    "imports: base.yaml\nr: 1\n",
		"top.yaml":  "imports: [l.yaml, r.yaml]\n",
	})
	got, err := Load(filepath.Join(dir, "top.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"a": 1, "l": 1, "r": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLoadMissing(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "imports: b.yaml\n",
		"b.yaml": "imports:\n  - missing.yaml\n",
	})
	chdir(t, dir)
	tests := []struct{ file, want string }{
		{"a.yaml", `b.yaml: imports "missing.yaml": file not found`},
		{"nope.yaml", `nope.yaml: file not found`},
	}
	for _, tt := range tests {
		_, err := Load(tt.file)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%s) error = %v, want %q", tt.file, err, tt.want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load(%s) error does not match fs.ErrNotExist", tt.file)
		}
	}
}

func TestLoadBytesImportsRelativeToDir(t *testing.T) {
	dir := writeFiles(t, map[string]string{"conf/base.yaml": "a: 1\nb: 2\n"})
	got, err := LoadBytes("inline", []byte("imports: base.yaml\nb: 3\n"), filepath.Join(dir, "conf"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"a": 1, "b": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	_, err = LoadBytes("inline", []byte("imports: nope.yaml\n"), dir)
	if want := `inline: imports "nope.yaml": file not found`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestLoadErrorInImportNamesThatFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "imports: b.yaml\n",
		"b.yaml": "x: 1\ny: [\n",
	})
	chdir(t, dir)
	_, err := Load("a.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "b.yaml:") {
		t.Errorf("error = %v, want one starting with b.yaml:", err)
	}
}
