package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/config"
)

// Defaulter is implemented by config structs that want defaults other than the zero value: StructConstructor
// calls SetDefaults on a fresh value before decoding the config into it.
type Defaulter interface {
	SetDefaults()
}

// StructConstructor returns a constructor that decodes a config into a fresh T: keys map to fields as in
// encoding/json (json tags, case-insensitive names), keys that are absent leave the field at its default (the zero
// value, or what SetDefaults sets), and a key that matches no field is an error listing the valid keys. T may be
// a struct or a pointer to one. The decoding is encoding/json's, so a field of type any or map[string]any gets
// JSON's types (every number a float64) and a map field is decoded into the map SetDefaults left there; use typed
// fields (int, float64, []string, nested structs) to keep the config's types.
func StructConstructor[T any]() func(cfg map[string]any) (T, error) {
	return func(cfg map[string]any) (T, error) {
		var t T
		rv := reflect.ValueOf(&t).Elem()
		if rv.Kind() == reflect.Pointer {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		if d, ok := any(&t).(Defaulter); ok {
			d.SetDefaults()
		} else if d, ok := any(t).(Defaulter); ok {
			d.SetDefaults()
		}
		data, err := config.MarshalJSON(cfg)
		if err != nil {
			return t, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
				return t, fmt.Errorf("unknown key %s; valid keys: %s", field, strings.Join(jsonFields(rv.Type()), ", "))
			}
			return t, err
		}
		return t, nil
	}
}

// jsonFields lists the keys encoding/json accepts for a struct type, sorted.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
