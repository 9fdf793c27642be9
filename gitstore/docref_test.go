package gitstore

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/value"
)

// docByEncoder is the --json object as cache v11 precomputed it (json.Encoder of the manifest's view, then params
// and results): AppendDoc must write exactly this.
func docByEncoder(e *Experiment) []byte {
	type docView struct {
		Manifest
		Archived bool `json:"archived"`
	}
	v := docView{Manifest: e.Manifest, Archived: e.Archived}
	v.Runner = nil
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if v.Argv == nil {
		v.Argv = []string{}
	}
	if v.Git.Skipped == nil {
		v.Git.Skipped = []string{}
	}
	params, presults := map[string]any{}, map[string]any{}
	if x, err := value.Unmarshal(e.ParamsJSON); err == nil && len(e.ParamsJSON) > 0 {
		if m, ok := x.(map[string]any); ok {
			params = m
		}
	}
	if x, err := value.Unmarshal(e.ResultsJSON); err == nil && len(e.ResultsJSON) > 0 {
		if m, ok := x.(map[string]any); ok {
			presults = m
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return nil
	}
	doc := bytes.TrimRight(b.Bytes(), "\n")
	doc = append(doc[:len(doc)-1], `,"params":`...)
	doc, _ = value.AppendJSON(doc, params)
	doc = append(doc, `,"results":`...)
	doc, _ = value.AppendJSON(doc, presults)
	return append(doc, '}')
}

func checkDoc(t *testing.T, e *Experiment) {
	t.Helper()
	want := docByEncoder(e)
	if want == nil {
		return // not encodable by encoding/json (a non-finite duration)
	}
	if got := e.AppendDoc(nil); !bytes.Equal(got, want) {
		t.Errorf("AppendDoc differs from the encoder:\n got  %s\n want %s", got, want)
	}
	x := *e
	x.Index() // as read from the store: canonical JSON is copied
	if got := x.AppendDoc(nil); !bytes.Equal(got, want) {
		t.Errorf("AppendDoc of the indexed experiment differs from the encoder:\n got  %s\n want %s", got, want)
	}
}

func TestKVReadOffJSON(t *testing.T) {
	e := Experiment{ParamsJSON: []byte(`{"batch_size":16,"epochs":10,"lr":0.1,"model":{"dropout":0.1,"layers":2,"name":"mlp"},"seed":0}`)}
	e.Index()
	if e.objects&canonParams == 0 {
		t.Fatal("params written as git-exp writes them are not seen as canonical")
	}
	if _, ok := appendKV(nil, e.ParamsJSON, 0); !ok {
		t.Fatal("k=v is not read off canonical params")
	}
	if got, want := e.ParamsKV(), compactKV(e.ParamsJSON); got != want {
		t.Errorf("ParamsKV %q, want %q", got, want)
	}
}

func TestAppendDocMatchesEncoder(t *testing.T) {
	var full Experiment
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	full.Extra = map[string]string{"b": "2", "a": "1", "<&>": "x\u2028y"}
	checkDoc(t, &full)
	checkDoc(t, &Experiment{})
	code := 0
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "tab\there\nnl\r\b\f\x00\x1f\x7f", "é ü 日本",
		"\xff\xfe bad utf8 \xc3", "line\u2028sep\u2029", `back\slash "quoted"`} {
		for _, d := range []float64{0, 1, 5.25, 1e-7, 1e21, 123456789.125, -0.5, 1e-6, 999999999999999999999} {
			e := Experiment{ParamsJSON: []byte(`{"lr":0.01,"s":"` + "x" + `","m":{"b":1,"a":[1,2.0]}}`), ResultsJSON: []byte(`[1]`)}
			e.Name, e.Description, e.Tags, e.Error, e.Cwd, e.Email = s, s, []string{s, "t"}, s, s, s
			e.DurationS, e.ExitCode, e.Attempt, e.Seq = d, &code, 2, 0
			e.Sources = []ParamSource{{Kind: s}, {Kind: "file", Path: "p", Keys: []string{"a"}}}
			e.Git.Submodules = []Submodule{{Path: s, Commit: "c", Dirty: true}}
			checkDoc(t, &e)
		}
	}
}

func FuzzAppendDoc(f *testing.F) {
	f.Add("name", "desc", 1.5, []byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, name, desc string, d float64, params []byte) {
		e := Experiment{ParamsJSON: params}
		e.Name, e.Description, e.DurationS, e.Extra = name, desc, d, map[string]string{name: desc}
		checkDoc(t, &e)
	})
}

// The copy of JSON already in the value package's form must give what decoding and encoding it gives.
func FuzzCanonicalObject(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[1,2.5,"x",null,true],"c":{"d":1e-07}}`, `{"b":1,"a":2}`, `{"a":1.0}`, `{"a":01}`,
		`{"a":NaN,"b":-Infinity}`, `{"a":"\u00e9"}`, `{"a":"é"}`, `{"a":1E5}`, `{"a":100000.0}`, `{"a":-0}`, `{"a":-0.0}`,
		`{"a":99999999999999999999}`, `{}`, `{"a":{}}`, `{"a":[]}`, `{"":1}`, `{"a" :1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want []byte
		if x, err := value.Unmarshal(raw); err == nil {
			if m, ok := x.(map[string]any); ok {
				want, _ = value.AppendJSON(nil, m)
			}
		}
		if want == nil {
			want = []byte("{}")
		}
		if got := appendObject(nil, raw); !bytes.Equal(got, want) {
			t.Errorf("%s: appendObject gives %s, decoding and encoding %s", raw, got, want)
		}
		if isCanonical(raw) && !isObject(raw) {
			t.Errorf("%s: canonical but not an object value.Unmarshal reads", raw)
		}
	})
}

// The k=v form read off canonical JSON must be the one value.CompactKV prints of the decoded tree.
func FuzzKVOfCanonical(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[1,2.5,"x",null,true],"c":{"d":1e-07,"e":{}}}`, `{"lr":0.0001,"x":0.00001}`,
		`{"a":{"b":1},"a-b":2}`, `{"a":12345678901234567.0,"b":-0.0,"c":0.0,"d":1234567890123456.5}`, `{"s":"a b=c"}`,
		`{"m":{"x":{"y":"z"}},"n":NaN}`, `{}`, `{"":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !isCanonical(raw) {
			return
		}
		got, ok := appendKV([]byte("x "), raw, 2)
		if want := "x " + compactKV(raw); ok && string(got) != want {
			t.Errorf("%s: read off the JSON %q, decoded %q", raw, got, want)
		}
	})
}

// compactJSON gives what json.Compact gives of valid JSON.
func FuzzCompactJSON(f *testing.F) {
	for _, s := range []string{"{\n  \"a\": [1, 2],\n  \"b\": \"x y\\\" z\"\n}", `{"a":1}`, ` [ ] `, `"\\"`, `{"a":"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want bytes.Buffer
		if json.Compact(&want, raw) != nil {
			compactJSON(raw) // any input: no panic
			return
		}
		if got := compactJSON(raw); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%q: compactJSON %q, json.Compact %q", raw, got, want.Bytes())
		}
	})
}

// plainJSON8 says "nothing to escape" exactly when no byte of the word is a control character, '"', '\\' or
// outside ASCII: every byte value at every position, among plain bytes, and random words.
func TestPlainJSON8(t *testing.T) {
	ref := func(x uint64) bool {
		for k := 0; k < 8; k++ {
			c := byte(x >> (8 * k))
			if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				return false
			}
		}
		return true
	}
	base := uint64(0x6161616161616161) // "aaaaaaaa"
	for k := 0; k < 8; k++ {
		for c := 0; c < 256; c++ {
			x := base&^(0xff<<(8*k)) | uint64(c)<<(8*k)
			if plainJSON8(x) != ref(x) {
				t.Fatalf("%#x: %v", x, plainJSON8(x))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 8))
	for range 200000 {
		x := r.Uint64()
		if r.IntN(2) == 0 {
			x &= 0x7f7f7f7f7f7f7f7f
		}
		if plainJSON8(x) != ref(x) {
			t.Fatalf("%#x: %v", x, plainJSON8(x))
		}
	}
	for _, s := range []string{"", "a", "plain ascii text, long enough for words", "tab\there", `quote " in the 9th+`,
		"0123456789\\", "é at the end: é", "\u2028 and \u2029 in the middle of a long string", "ctrl \x01 at 6"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(string(want), `\u003c`, "<"), `\u003e`, ">"), `\u0026`, "&") {
			t.Errorf("%q: %s, encoding/json %s", s, got, want)
		}
	}
}

// plainNumber, when it is sure, says what parsing and writing the number again says (canonical).
func FuzzPlainNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "-12", "007", "0.1", "0.10", "1.0", "-1.0", "0.0", "-0.0", "100.0",
		"0.000001", "0.0000001", "0.0000010", "123456789012345", "1234567890123456", "12345678901234.5", "0.123456789012345",
		"1e5", "1.5e3", "1.", ".5", "-", "", "9007199254740993", "0.30000000000000004", "999999999999999.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		ok, sure := plainNumber([]byte(tok))
		if !sure {
			return
		}
		var want bool
		var scratch [32]byte
		if !strings.ContainsAny(tok, ".eE") {
			n, err := strconv.ParseInt(tok, 10, 64)
			want = err == nil && string(strconv.AppendInt(scratch[:0], n, 10)) == tok
		} else {
			x, err := strconv.ParseFloat(tok, 64)
			want = err == nil && string(value.AppendFloat(scratch[:0], x, 64)) == tok
		}
		if ok != want {
			t.Errorf("%q: plainNumber says canonical %v, parsing says %v", tok, ok, want)
		}
	})
}
