package value

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// stdUnmarshal decodes strict JSON with encoding/json, numbers converted as Unmarshal converts them.
func stdUnmarshal(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the value")
	}
	return fromStd(v), nil
}

func fromStd(v any) any {
	switch v := v.(type) {
	case json.Number:
		return NumberValue(string(v), !strings.ContainsAny(string(v), ".eE"))
	case map[string]any:
		for k, e := range v {
			v[k] = fromStd(e)
		}
	case []any:
		for i, e := range v {
			v[i] = fromStd(e)
		}
	}
	return v
}

// Unmarshal (with its fast path for plain strings) agrees with encoding/json on every strict JSON input, and accepts
// more only where the input holds a non-finite token.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"lr":0.01,"bs":32,"model":{"name":"resnet","layers":[1,2.5,-3e2]},"on":true,"off":false,"x":null}`,
		` { "a" : [ ] , "b" : { } } `, `{"big":123456789012345678901234567890,"neg":-0,"e":1E+3,"f":-0.0}`,
		`{"s":"h\u00e9llo"}`, `{"s":"héllo \"x\""}`, `{"a":1,"a":2}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`,
		`{"a":1e400}`, `[1]`, `{"a":1}x`, `{"a":tru}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", `{"a":[1,]}`, `{"a":1,}`,
		`{"loss": NaN, "eval": {"acc": 0.5}}`, `[Infinity,-Infinity,NaN]`, `-Inf`, `"\ud800\udc00\ud800"`, `"\/\b\f"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Unmarshal(b)
		want, stdErr := stdUnmarshal(b)
		switch {
		case stdErr == nil && err != nil:
			t.Fatalf("%q: encoding/json reads %#v, Unmarshal fails: %v", b, want, err)
		case stdErr == nil && !Equal(got, want):
			t.Fatalf("%q: Unmarshal %#v, encoding/json %#v", b, got, want)
		case stdErr != nil && err == nil && !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")):
			t.Fatalf("%q: Unmarshal accepted %#v, encoding/json: %v", b, got, stdErr)
		}
	})
}

// Marshal and Unmarshal round-trip every tree exactly, non-finite numbers included; the direct path for tree types
// and the reflection path write the same bytes; the indented form decodes to the same tree.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":1.0,"c":"1","d":[null,true,1e300,-0.0]}`, `9223372036854775808`,
		`"\u2028\ud800"`, `[]`, `1E-7`, `{"x":NaN,"y":[Infinity,-Infinity]}`, `{"s":"a,b:{c}[d]"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data)
		if err != nil {
			return
		}
		b1, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		slow := &encoder{}
		if err := slow.encode(reflect.ValueOf(v), 0); err != nil || !bytes.Equal(slow.buf, b1) {
			t.Fatalf("reflection path: %s (%v), direct path: %s", slow.buf, err, b1)
		}
		v2, err := Unmarshal(b1)
		if err != nil {
			t.Fatalf("Unmarshal(%s): %v", b1, err)
		}
		if !Equal(v, v2) {
			t.Fatalf("round trip of %#v through %s gave %#v", v, b1, v2)
		}
		ind, err := MarshalIndent(v2)
		if err != nil {
			t.Fatal(err)
		}
		v3, err := Unmarshal(ind)
		if err != nil || !Equal(v3, v2) {
			t.Fatalf("indented form %s decodes to %#v, %v", ind, v3, err)
		}
		if !hasNonFinite(v) {
			var std any
			if err := json.Unmarshal(b1, &std); err != nil {
				t.Fatalf("Marshal wrote %s, which encoding/json refuses: %v", b1, err)
			}
		}
	})
}

// Scalar never fails except on an integer past 64 bits, and Format writes every scalar so that Scalar reads it back.
func FuzzScalar(f *testing.F) {
	for _, s := range []string{"010", "0x10", "0o10", "0b10", "1_000", "1e400", ".5", "5.", "+1", "-0", "NaN", ".nan",
		"-.inf", "Infinity", "yes", "True", "~", "", "0x", "0o8", "1e", "99999999999999999999", "0xFFFFFFFFFFFFFFFFFF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Scalar(s)
		var ir *IntRangeError
		if err != nil && !errors.As(err, &ir) {
			t.Fatalf("Scalar(%q): %v", s, err)
		}
		switch x := v.(type) {
		case string:
			if x != s {
				t.Fatalf("Scalar(%q) = string %q", s, x)
			}
		case nil, bool, int, float64:
			back, err := Scalar(Format(x))
			if err != nil || !Equal(back, x) {
				t.Fatalf("Scalar(%q) = %#v; Format gives %q, which reads back as %#v (%v)", s, x, Format(x), back, err)
			}
		default:
			t.Fatalf("Scalar(%q) = %T", s, v)
		}
	})
}
