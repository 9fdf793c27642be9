package results

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
)

// jsonPaths lists the --json paths of a struct type by its json tags, descending into nested structs ("git.head").
func jsonPaths(t reflect.Type, prefix string) []string {
	var out []string
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if ft := f.Type; ft.Kind() == reflect.Struct {
			out = append(out, jsonPaths(ft, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

// Every field of the manifest has a metadata name (in --where, --sort and --columns) or is listed in NotFields with
// a reason: adding a field to gitstore.Manifest without deciding fails here.
func TestFieldsCoverManifest(t *testing.T) {
	have := map[string]bool{}
	for _, f := range Fields {
		have[f.JSON] = true
	}
	paths := jsonPaths(reflect.TypeFor[gitstore.Manifest](), "")
	for _, p := range paths {
		_, excluded := NotFields[p]
		switch {
		case have[p] && excluded:
			t.Errorf("%s is both a field and in NotFields", p)
		case !have[p] && !excluded:
			t.Errorf("manifest field %s has no metadata name: add it to Fields (or to NotFields, saying why)", p)
		}
	}
	for _, f := range Fields {
		if f.JSON != "archived" && !slices.Contains(paths, f.JSON) {
			t.Errorf("field %s names %s, which the manifest does not have", f.Name, f.JSON)
		}
	}
	for p := range NotFields {
		if !slices.Contains(paths, p) {
			t.Errorf("NotFields names %s, which the manifest does not have", p)
		}
	}
}

// The names are unique, and each field's value is what the manifest holds at its --json path.
func TestFieldsValues(t *testing.T) {
	code := 3
	e := &gitstore.Experiment{Manifest: gitstore.Manifest{
		ID: "0123456789abcdef", Name: "n", Description: "d", Tags: []string{"a"}, Status: "failed", Script: "s.py",
		Cwd: "sub", Executor: "local", Host: "h", User: "u", Email: "e@x", Created: "c", Started: "s", Ended: "e",
		Updated: "up", DurationS: 1.5, ExitCode: &code, Error: "err", Batch: "b", Seq: 2, Parent: "p", Attempt: 4,
		Git: gitstore.GitInfo{Head: "hd", Branch: "br", Dirty: true, Remote: "r", Snapshot: "sn"},
	}, Archived: true}
	seen := map[string]bool{}
	for _, f := range Fields {
		if seen[f.Name] {
			t.Errorf("duplicate field name %s", f.Name)
		}
		seen[f.Name] = true
		got, ok := f.Value(e)
		if !ok {
			t.Errorf("%s: no value", f.Name)
			continue
		}
		if v, _ := metaValue(e, f.Name); !reflect.DeepEqual(v, got) {
			t.Errorf("metaValue(%s) = %#v, field %#v", f.Name, v, got)
		}
		if got == nil || reflect.ValueOf(got).IsZero() {
			t.Errorf("%s: zero value %#v from a manifest with every field set", f.Name, got)
		}
	}
	e.ExitCode = nil
	if _, ok := metaValue(e, "exit_code"); ok {
		t.Error("exit_code present before the end")
	}
}
