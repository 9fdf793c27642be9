package cli

import (
	"io"
	"reflect"
	"testing"
)

// The small model of one command (parseSmall) parses a command line exactly as the whole tree does: the same
// command, the same flag values; and it exists for every command.
func TestSmallModelParsesAsWholeTree(t *testing.T) {
	quiet := &IO{Out: io.Discard, Err: io.Discard}
	for _, head := range [][]string{
		{"run", "train.py", "-p", "lr=0.1", "-n", "a", "-q", "--retry", "2"},
		{"ls", "--where", "lr > 0", "--sort=-results.acc", "-n", "3"},
		{"list", "--json"},
		{"show", "abc", "--json"},
		{"metrics", "abc", "--csv"},
		{"remote", "setup", "origin"},
		{"import", "yanex"},
		{"exec-job", "0123456789abcdef"},
		{"python-path"},
		{"ui", "--port", "0", "--no-open"},
		{"push", "-q"},
		{"version"},
	} {
		var full CLI
		want, err := parseWith(&full, head, quiet)
		if err != nil {
			t.Fatalf("%q: whole tree: %v", head, err)
		}
		model, got, err := parseSmall(head, quiet)
		if err != nil || got == nil {
			t.Fatalf("%q: no small model (%v)", head, err)
		}
		if got.Command() != want.Command() {
			t.Errorf("%q: command %q, whole tree %q", head, got.Command(), want.Command())
		}
		// The selected command's struct holds the same values.
		fv := reflect.ValueOf(full)
		for i := 0; i < model.NumField(); i++ {
			name := model.Type().Field(i).Name
			if !reflect.DeepEqual(model.Field(i).Interface(), fv.FieldByName(name).Interface()) {
				t.Errorf("%q: field %s differs: %+v vs %+v", head, name, model.Field(i).Interface(), fv.FieldByName(name).Interface())
			}
		}
	}
	// Every command has its small model.
	ct := reflect.TypeOf(CLI{})
	for i := 0; i < ct.NumField(); i++ {
		f := ct.Field(i)
		if _, ok := f.Tag.Lookup("cmd"); !ok {
			continue
		}
		name := f.Tag.Get("name")
		if name == "" {
			name = f.Name
		}
		if !commandNamed(f, name) && !commandNamed(f, lower(name)) {
			t.Errorf("command field %s is not found by its name", f.Name)
		}
	}
	// Help, and what the small model refuses, go to the whole tree.
	for _, head := range [][]string{{"run", "--help"}, {"help", "list"}, {"__complete", "--", "li"}, {"nosuch"}, {"show", "--bogus"}, {"-C", "x", "list"}} {
		if _, kctx, _ := parseSmall(head, quiet); kctx != nil {
			t.Errorf("%q: parsed by the small model", head)
		}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
