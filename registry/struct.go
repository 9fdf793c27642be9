package registry

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/value"
)

// Defaulter is implemented by config structs that want defaults other than the zero value: StructConstructor
// calls SetDefaults on a fresh value before decoding the config into it.
type Defaulter interface {
	SetDefaults()
}

// StructConstructor returns a constructor that decodes a config into a fresh T with value.Decode, the decoder
// exp.Params uses: a key matches a field by its json tag, else by its Go name ignoring case, '_' and '-'
// (batch_size fills BatchSize), keys that are absent leave the field at its default (the zero value, or what
// SetDefaults sets), and a key that matches no field is an error listing the valid keys. T may be a struct or a
// pointer to one. Numbers keep their types (an int stays an int in a field of type any).
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
		err := value.Decode(&t, cfg, value.DecodeOptions{Noun: "key"})
		var unknown *value.UnknownKeyError
		if errors.As(err, &unknown) {
			fields := value.Fields(rv.Type())
			sort.Strings(fields)
			return t, fmt.Errorf("unknown key %q; valid keys: %s", unknown.Key, strings.Join(fields, ", "))
		}
		return t, err
	}
}
