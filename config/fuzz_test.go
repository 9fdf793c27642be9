package config

import (
	"bytes"
	"io/fs"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
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

// equal is reflect.DeepEqual for trees, with NaN equal to itself.
func equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && (a == b || math.IsNaN(a) && math.IsNaN(b))
	}
	return a == b
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
		before := deepCopy(src)
		out, err := Merge(dst, src)
		if !equal(src, before) {
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
			if !equal(got, v) {
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
		key, value, err := ParseParam(s)
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
		b, err := MarshalJSON(value)
		if err != nil {
			return // NaN or ±Inf
		}
		back, err := UnmarshalJSON(b)
		if err != nil {
			t.Fatalf("UnmarshalJSON(MarshalJSON(%#v) = %s): %v", value, b, err)
		}
		if !equal(back, value) {
			t.Fatalf("JSON round trip of %#v gave %#v", value, back)
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":1.0,"c":"1","d":[null,true,1e300,-0.0]}`, `9223372036854775808`, `"\u2028\ud800"`, `[]`, `1E-7`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := UnmarshalJSON(data)
		if err != nil {
			return
		}
		b1, err := MarshalJSON(v)
		if err != nil {
			t.Fatalf("MarshalJSON(%#v): %v", v, err)
		}
		// The direct path for tree types and the reflection path write the same bytes.
		var slow jsonEncoder
		if err := slow.encode(reflect.ValueOf(v), 0); err != nil || !bytes.Equal(slow.buf.Bytes(), b1) {
			t.Fatalf("reflection path: %s (%v), direct path: %s", slow.buf.Bytes(), err, b1)
		}
		v2, err := UnmarshalJSON(b1)
		if err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", b1, err)
		}
		b2, err := MarshalJSON(v2)
		if err != nil {
			t.Fatalf("MarshalJSON(%#v): %v", v2, err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("not stable:\n%s\n%s", b1, b2)
		}
		ind, err := MarshalJSONIndent(v2)
		if err != nil {
			t.Fatal(err)
		}
		v3, err := UnmarshalJSON(ind)
		if err != nil || !equal(v3, v2) {
			t.Fatalf("indented form %s decodes to %#v, %v", ind, v3, err)
		}
	})
}
