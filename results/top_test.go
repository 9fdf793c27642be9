package results

import (
	"testing"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/value"
)

// Looking a key up in the stored JSON (gitstore's scan) must give exactly what the whole JSON decodes to, key by
// key, present or not.
func checkTopMatchesJSON(t *testing.T, raw []byte, keys ...string) {
	t.Helper()
	whole := DecodeJSON(raw)
	for k := range whole {
		keys = append(keys, k)
	}
	for _, k := range keys {
		e := &gitstore.Experiment{ParamsJSON: raw}
		e.Index()
		src := &source{e: e}
		gv, gok := src.Top(0, k)
		ev, eok := whole[k]
		if gok != eok || !value.Equal(gv, ev) {
			t.Errorf("%s, key %q:\n typed %#v (%v)\n json  %#v (%v)", raw, k, gv, gok, ev, eok)
		}
	}
}

func TestTopMatchesJSON(t *testing.T) {
	docs := []string{
		``, `{}`, ` { } `, `[1]`, `not json`,
		`{"lr":0.01,"bs":32,"name":"resnet","ok":true,"off":false,"none":null}`,
		`{"a":true,"b":null,"c":false,"d":null}`,
		`{"model":{"depth":50,"name":"x"},"layers":[1,2.5,"a"],"f":1.0,"big":12345678901234}`,
		`{"s":"with \"quotes\" and \u00e9","neg":-3,"e":1e-9}`,
		`{"a":1,"a":{"x":[1,{"y":"}"}]},"b":"\"}"}`, `{"a\u0062":2,"ab":3}`, `{"ab":3,"a\u0062":2}`,
		` { "lr" : 0.5 , "n" : NaN , "i" : -Infinity , "s" : "é\\" } `, `{"x":"\ud800"}`,
		`{"a":-0,"ab":-0.0,"b":1e400,"lr":-1E-400,"model":9223372036854775807,"s":9223372036854775808,"x":-9223372036854775809}`,
		`{"a":0,"ab":1E+2,"b":-12.5e-3,"lr":0.000,"model":123456789012345678901234567890,"s":-1,"x":10}`,
	}
	for _, d := range docs {
		checkTopMatchesJSON(t, []byte(d), "lr", "model", "s", "missing", "", "zz", "a.b", "a", "ab", "b", "x")
	}
}

func FuzzTopMatchesJSON(f *testing.F) {
	f.Add([]byte(`{"lr":0.01,"bs":32,"model":{"d":1},"t":"x","n":null,"b":true}`), "lr")
	f.Add([]byte(`{"a":1,"b":{"c":[1,2]},"d":"x","e":2.5}`), "d") // canonical: the scan stops at the key
	f.Fuzz(func(t *testing.T, raw []byte, key string) {
		checkTopMatchesJSON(t, raw, key, "lr", "")
	})
}
