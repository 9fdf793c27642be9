package gitstore

import (
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzDecodeManifest(f *testing.F) {
	var full Manifest
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	b, _ := json.Marshal(full)
	f.Add(b)
	b, _ = json.MarshalIndent(full, "", "  ")
	f.Add(b)
	code := 0
	b, _ = json.MarshalIndent(Manifest{Format: 1, ID: "0123456789abcdef", Name: "é \u2028 <x>", Tags: []string{}, ExitCode: &code,
		DurationS: 1e-7, Git: GitInfo{Skipped: []string{}}}, "", "  ")
	f.Add(b)
	for _, s := range []string{`{}`, `null`, `{"id":"x","ID":"y"}`, `{"id":"a","id":"b"}`, `{"extra":null}`, `{"git":null}`,
		`{"tags":["a",null]}`, `{"format":1.5}`, `{"exit_code":null}`, `{"runner":{"start":-1}}`, `{"name":"a\u0000"}`,
		`{"\u0069d":"x"}`, `{"duration_s":1e400}`, `{"name":"\xff"}`, `{"extra":{"a":"1","a":"2"}}`, `{"":1}`, `{"extra":{"":"1","":"2"}}`, `{"name":"a","user":"b","name":"c"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Manifest
		if !decodeManifest(data, &got) {
			return // json.Unmarshal decides
		}
		var want Manifest
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: decoded, but json.Unmarshal fails: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got  %+v\n want %+v", data, got, want)
		}
	})
}

func TestDecodeManifestDecodesWhatGitExpWrites(t *testing.T) {
	var full Manifest
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	b, _ := json.MarshalIndent(full, "", "  ")
	var got Manifest
	if !decodeManifest(b, &got) || !reflect.DeepEqual(got, full) {
		t.Fatalf("a manifest with every field is not decoded:\n got  %+v\n want %+v", got, full)
	}
}
