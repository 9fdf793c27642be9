package config

import (
	"reflect"
	"testing"
)

// fastUnmarshal agrees with encoding/json whenever it accepts its input.
func FuzzFastUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"lr":0.01,"bs":32,"model":{"name":"resnet","layers":[1,2.5,-3e2]},"on":true,"off":false,"x":null}`,
		` { "a" : [ ] , "b" : { } } `, `{"big":123456789012345678901234567890,"neg":-0,"e":1E+3,"f":-0.0}`,
		`{"s":"h\u00e9llo"}`, `{"s":"héllo \"x\""}`, `{"a":1,"a":2}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`,
		`{"a":1e400}`, `[1]`, `{"a":1}x`, `{"a":tru}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", `{"a":[1,]}`, `{"a":1,}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := fastUnmarshal(b)
		if !ok {
			return
		}
		v, err := unmarshalStd(b)
		if err != nil {
			t.Fatalf("fastUnmarshal accepted %q, encoding/json: %v", b, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Fatalf("%q: fastUnmarshal %#v, encoding/json %#v", b, got, v)
		}
	})
}

func TestFastUnmarshalAccepts(t *testing.T) {
	for _, s := range []string{`{}`, `{"lr":0.01,"bs":32,"model":{"name":"résnet","layers":[1,2.5,-3e2]},"x":null}`, `{"big":123456789012345678901234567890}`} {
		if _, ok := fastUnmarshal([]byte(s)); !ok {
			t.Errorf("fastUnmarshal refused %s", s)
		}
	}
	v, _ := fastUnmarshal([]byte(`{"a":3,"b":3.0,"c":1e2}`))
	m := v.(map[string]any)
	if _, ok := m["a"].(int); !ok {
		t.Errorf("a is %T", m["a"])
	}
	if _, ok := m["b"].(float64); !ok {
		t.Errorf("b is %T", m["b"])
	}
}
