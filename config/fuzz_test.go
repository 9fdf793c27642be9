package config

import (
	"io/fs"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/git-exp/git-exp/value"
)

// loadFuzz is LoadBytes with imports that never reach the file system.
func loadFuzz(data []byte) (map[string]any, error) {
	l := &loader{readFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist }}
	dst := map[string]any{}
	if err := l.applyBytes(dst, "fuzz.yaml", data, ""); err != nil {
		return nil, err
	}
	return dst, nil
}

func FuzzMerge(f *testing.F) {
	f.Add([]byte("model:\n  hidden_size: 256\n  num_layers: 4\n"), []byte("model.hidden_size: 512\n"))
	f.Add([]byte("a: 1\nb: [1, 2]\n"), []byte("a: {x: 1}\nc.d.e: 1.0\n"))
	f.Add([]byte("a: &x {p: 1}\nb: *x\n"), []byte("b: {<<: *y}\ny: &y {q: 2}\n"))
	f.Add([]byte("imports: x.yaml\n"), []byte("{a.b: 1, a: 2}"))
	f.Add([]byte("a: 3\n"), []byte("a.b: 1\n"))
	f.Fuzz(func(t *testing.T, doc1, doc2 []byte) {
		dst, err := loadFuzz(doc1)
		if err != nil {
			return
		}
		src, err := loadFuzz(doc2)
		if err != nil {
			return
		}
		before := value.DeepCopy(src)
		out, err := value.Merge(dst, src)
		if !value.Equal(src, before) {
			t.Fatalf("Merge changed src: %#v -> %#v", before, src)
		}
		if err != nil {
			return
		}
		for k, v := range src {
			if strings.Contains(k, ".") {
				continue
			}
			got, ok := out[k]
			if !ok {
				t.Fatalf("Merge result lacks key %q of src", k)
			}
			if !value.Equal(got, v) {
				t.Fatalf("Merge result[%q] = %#v, want src's %#v", k, got, v)
			}
		}
	})
}

func FuzzParseParam(f *testing.F) {
	for _, s := range []string{"lr=0.01", "model.lr=1.0", "x=[1, {a: b}]", "a..b=1", "lr", "=1", "k=yes", "k=\"3\"", "k=a: b", "k={a.b: 1}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, v, err := ParseParam(s)
		if err != nil {
			return
		}
		if k, _, _ := strings.Cut(s, "="); k != key {
			t.Fatalf("ParseParam(%q) key = %q, want %q", s, key, k)
		}
		if k2, _, err := ParseParam(key + "=x"); err != nil || k2 != key {
			t.Fatalf("ParseParam(%q) = %q, %v; want key %q", key+"=x", k2, err, key)
		}
		// Every value that JSON can hold survives the trip through JSON. (Invalid UTF-8 cannot: it becomes U+FFFD.)
		if !utf8.ValidString(s) {
			return
		}
		b, err := value.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		back, err := value.Unmarshal(b)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(%#v) = %s): %v", v, b, err)
		}
		if !value.Equal(back, v) {
			t.Fatalf("JSON round trip of %#v gave %#v", v, back)
		}
	})
}
