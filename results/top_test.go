package results

import (
	"reflect"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
)

// The typed top-level values kept in the cache must decode to exactly what the JSON decodes to.
func checkTopMatchesJSON(t *testing.T, raw []byte, want map[string]bool) {
	t.Helper()
	top := gitstore.EncodeTop(raw)
	got := decodeTopInto(top, raw, want, nil)
	exp := decodeKeysInto(raw, want, nil)
	for k := range want { // both hold at least the wanted keys, with the same values
		gv, gok := got[k]
		ev, eok := exp[k]
		if gok != eok || !reflect.DeepEqual(gv, ev) {
			t.Errorf("%s, key %q:\n typed %#v (%v)\n json  %#v (%v)", raw, k, gv, gok, ev, eok)
		}
	}
}

func TestTopMatchesJSON(t *testing.T) {
	docs := []string{
		`{}`,
		`{"lr":0.01,"bs":32,"name":"resnet","ok":true,"off":false,"none":null}`,
		`{"model":{"depth":50,"name":"x"},"layers":[1,2.5,"a"],"f":1.0,"big":12345678901234}`,
		`{"s":"with \"quotes\" and \u00e9","neg":-3,"e":1e-9}`,
	}
	for _, d := range docs {
		checkTopMatchesJSON(t, []byte(d), map[string]bool{"lr": true, "model": true, "s": true, "missing": true,
			"layers": true, "none": true, "ok": true, "f": true, "big": true, "neg": true, "e": true})
	}
}

func FuzzTopMatchesJSON(f *testing.F) {
	f.Add([]byte(`{"lr":0.01,"bs":32,"model":{"d":1},"t":"x","n":null,"b":true}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if gitstore.EncodeTop(raw) == nil {
			return // not an object: the JSON path is used
		}
		checkTopMatchesJSON(t, raw, map[string]bool{"lr": true, "model": true, "t": true, "n": true, "b": true, "": true})
	})
}
