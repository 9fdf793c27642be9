// Package registry builds values from configs by name: a constructor is registered under a name, and a config
// such as {"type": "MLP", "size": 512} is turned into the value that constructor returns.
//
//	func init() { registry.Register("MLP", NewMLP) } // NewMLP(cfg map[string]any) (*MLP, error)
//
//	model, err := registry.Build[Model](cfg["model"], map[string]any{"size": 1024})
//
// The rules:
//   - Registering a name twice is an error naming both registration sites (Register on Default panics with it).
//   - Build of a value that already is a T returns it unchanged (overrides are not applied to it).
//   - Build of a map[string]any config needs a "type" key naming a registered constructor; overrides are merged on
//     top of the config with value.Merge (dotted keys work, and an override wins, "type" included), "type" is
//     removed, and the constructor is called with the rest. Its result must be a T.
//   - A missing or unknown type is an error that lists the registered names.
//
// Registration happens in init functions; lookups are safe from many goroutines at once.
package registry

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/git-exp/git-exp/value"
)

// TypeKey is the config key that names the constructor to use.
const TypeKey = "type"

// Registry maps names to constructors. The zero value is an empty registry ready to use; a Registry must not be
// copied after first use.
type Registry struct {
	mu      sync.RWMutex
	entries map[string]entry
}

type entry struct {
	build func(cfg map[string]any) (any, error)
	out   reflect.Type // the declared result type of the constructor
	site  string       // file:line of the registration
}

// New returns an empty registry.
func New() *Registry { return &Registry{} }

// Default is the registry used by the package-level functions.
var Default = New()

var (
	mapType   = reflect.TypeFor[map[string]any]()
	errorType = reflect.TypeFor[error]()
)

// Register registers ctor under name. ctor must be a func(map[string]any) (T, error) for some type T. Registering
// a name that is already registered is an error naming both registration sites.
func (r *Registry) Register(name string, ctor any) error {
	build, out, err := wrapConstructor(name, ctor)
	if err != nil {
		return err
	}
	return r.add(name, build, out, callerSite(2))
}

// Register registers ctor under name in Default. It is meant for init functions: registering a name twice panics
// with an error naming both registration sites.
func Register[T any](name string, ctor func(cfg map[string]any) (T, error)) {
	if ctor == nil {
		panic(fmt.Errorf("registry: %q: nil constructor", name))
	}
	build := func(cfg map[string]any) (any, error) { return ctor(cfg) }
	if err := Default.add(name, build, reflect.TypeFor[T](), callerSite(2)); err != nil {
		panic(err)
	}
}

// RegisterStruct registers under name in Default a constructor that decodes the config into a T (see
// StructConstructor). Registering a name twice panics.
func RegisterStruct[T any](name string) {
	ctor := StructConstructor[T]()
	build := func(cfg map[string]any) (any, error) { return ctor(cfg) }
	if err := Default.add(name, build, reflect.TypeFor[T](), callerSite(2)); err != nil {
		panic(err)
	}
}

// Build builds a T from v using Default; see BuildWith.
func Build[T any](v any, overrides ...map[string]any) (T, error) {
	return BuildWith[T](Default, v, overrides...)
}

// BuildWith builds a T from v using r:
//   - a v that already is a T is returned unchanged (but a map[string]any is always a config, unless T is
//     map[string]any itself);
//   - a map[string]any config names its constructor in its "type" key. The overrides are merged on top of a copy of
//     the config (value.Merge: later overrides win, dotted keys update nested values), "type" is removed, and the
//     constructor is called with the rest; its result must be a T;
//   - anything else is an error.
func BuildWith[T any](r *Registry, v any, overrides ...map[string]any) (T, error) {
	var zero T
	want := reflect.TypeFor[T]()
	cfg, isConfig := v.(map[string]any)
	if !isConfig || want == mapType {
		if t, ok := v.(T); ok {
			return t, nil
		}
		if v == nil {
			return zero, fmt.Errorf("registry: cannot build a %v from nothing (nil); give a config with a %q key", want, TypeKey)
		}
		return zero, fmt.Errorf("registry: cannot build a %v from a %T; give a %v or a config with a %q key", want, v, want, TypeKey)
	}

	merged, err := value.Merge(nil, cfg)
	if err != nil {
		return zero, fmt.Errorf("registry: building a %v: %w", want, err)
	}
	for _, o := range overrides {
		if merged, err = value.Merge(merged, o); err != nil {
			return zero, fmt.Errorf("registry: building a %v: override: %w", want, err)
		}
	}
	typ, ok := merged[TypeKey]
	if !ok {
		return zero, fmt.Errorf("registry: cannot build a %v: the config has no %q key; registered types: %s", want, TypeKey, r.namesText())
	}
	name, ok := typ.(string)
	if !ok {
		return zero, fmt.Errorf("registry: cannot build a %v: %q must be a string, not %T (%v); registered types: %s", want, TypeKey, typ, typ, r.namesText())
	}
	delete(merged, TypeKey)

	r.mu.RLock()
	e, ok := r.entries[name]
	r.mu.RUnlock()
	if !ok {
		return zero, fmt.Errorf("registry: cannot build a %v: unknown type %q; registered types: %s", want, name, r.namesText())
	}
	out, err := e.build(merged)
	if err != nil {
		return zero, fmt.Errorf("registry: building %q: %w", name, err)
	}
	t, ok := out.(T)
	if !ok {
		if out == nil {
			return zero, fmt.Errorf("registry: %q (registered at %s) returned nil, not a %v", name, e.site, want)
		}
		return zero, fmt.Errorf("registry: %q (registered at %s) builds a %T, which is not a %v", name, e.site, out, want)
	}
	return t, nil
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Type returns the declared result type of the constructor registered under name.
func (r *Registry) Type(name string) (reflect.Type, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.entries[name]
	return e.out, ok
}

func (r *Registry) namesText() string {
	names := r.Names()
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

func (r *Registry) add(name string, build func(map[string]any) (any, error), out reflect.Type, site string) error {
	if name == "" {
		return fmt.Errorf("registry: empty name (at %s)", site)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.entries[name]; ok {
		return fmt.Errorf("registry: %q registered twice: at %s and at %s", name, prev.site, site)
	}
	if r.entries == nil {
		r.entries = map[string]entry{}
	}
	r.entries[name] = entry{build: build, out: out, site: site}
	return nil
}

// wrapConstructor checks that ctor is a func(map[string]any) (T, error) and returns it as a func returning any.
func wrapConstructor(name string, ctor any) (func(map[string]any) (any, error), reflect.Type, error) {
	if f, ok := ctor.(func(map[string]any) (any, error)); ok && f != nil {
		return f, reflect.TypeFor[any](), nil
	}
	fv := reflect.ValueOf(ctor)
	if !fv.IsValid() || fv.Kind() != reflect.Func || fv.IsNil() {
		return nil, nil, fmt.Errorf("registry: %q: the constructor must be a func(map[string]any) (T, error), not %T", name, ctor)
	}
	ft := fv.Type()
	if ft.NumIn() != 1 || ft.In(0) != mapType || ft.NumOut() != 2 || ft.Out(1) != errorType || ft.IsVariadic() {
		return nil, nil, fmt.Errorf("registry: %q: the constructor must be a func(map[string]any) (T, error), not %T", name, ctor)
	}
	build := func(cfg map[string]any) (any, error) {
		out := fv.Call([]reflect.Value{reflect.ValueOf(cfg)})
		err, _ := out[1].Interface().(error)
		return out[0].Interface(), err
	}
	return build, ft.Out(0), nil
}

// callerSite returns "dir/file.go:line" of the caller skip frames up.
func callerSite(skip int) string {
	_, file, line, ok := runtime.Caller(skip)
	if !ok {
		return "unknown location"
	}
	return fmt.Sprintf("%s:%d", filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(file)), filepath.Base(file))), line)
}
