package registry

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/git-exp/git-exp/value"
)

type Shape interface{ Area() float64 }

type Square struct{ Side float64 }

func (s *Square) Area() float64 { return s.Side * s.Side }

func newSquare(cfg map[string]any) (*Square, error) {
	side, _ := cfg["side"].(float64)
	if n, ok := cfg["side"].(int); ok {
		side = float64(n)
	}
	if _, ok := cfg[TypeKey]; ok {
		return nil, errors.New("the constructor saw the type key")
	}
	return &Square{Side: side}, nil
}

type notAShape struct{}

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	r := New()
	if err := r.Register("Square", newSquare); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("Broken", func(map[string]any) (*Square, error) { return nil, errors.New("out of paint") }); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("Other", func(map[string]any) (notAShape, error) { return notAShape{}, nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("Nil", func(map[string]any) (Shape, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("Echo", func(cfg map[string]any) (any, error) { return cfg, nil }); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBuild(t *testing.T) {
	r := testRegistry(t)
	existing := &Square{Side: 7}
	got, err := BuildWith[Shape](r, existing, map[string]any{"side": 1})
	if err != nil || got != Shape(existing) {
		t.Errorf("an existing Shape: got %v, %v; want it unchanged", got, err)
	}

	cfg := map[string]any{"type": "Square", "side": 2}
	got, err = BuildWith[Shape](r, cfg)
	if err != nil || got.Area() != 4 {
		t.Fatalf("Build = %v, %v", got, err)
	}
	got, err = BuildWith[Shape](r, cfg, map[string]any{"side": 3}, map[string]any{"side": 5.0})
	if err != nil || got.Area() != 25 {
		t.Errorf("later overrides should win: %v, %v", got, err)
	}
	if !reflect.DeepEqual(cfg, map[string]any{"type": "Square", "side": 2}) {
		t.Errorf("Build changed the config: %v", cfg)
	}
	sq, err := BuildWith[*Square](r, map[string]any{"type": "Other"}, map[string]any{"type": "Square", "side": 1})
	if err != nil || sq.Side != 1 {
		t.Errorf("an override of type: %v, %v", sq, err)
	}
	echo, err := BuildWith[map[string]any](r, map[string]any{"type": "Echo"})
	if err != nil || !reflect.DeepEqual(echo, map[string]any{"type": "Echo"}) {
		t.Errorf("T = map[string]any returns the map unchanged: %v, %v", echo, err)
	}
	anyv, err := BuildWith[any](r, map[string]any{"type": "Echo", "a": 1}, map[string]any{"b.c": 2})
	if want := map[string]any{"a": 1, "b": map[string]any{"c": 2}}; err != nil || !reflect.DeepEqual(anyv, want) {
		t.Errorf("T = any builds from a config: %v, %v; want %v", anyv, err, want)
	}
}

func TestBuildErrors(t *testing.T) {
	r := testRegistry(t)
	const names = "registered types: Broken, Echo, Nil, Other, Square"
	tests := []struct {
		name      string
		v         any
		overrides []map[string]any
		want      string
	}{
		{"missing type", map[string]any{"side": 1}, nil,
			`registry: cannot build a registry.Shape: the config has no "type" key; ` + names},
		{"unknown type", map[string]any{"type": "Circle"}, nil,
			`registry: cannot build a registry.Shape: unknown type "Circle"; ` + names},
		{"type not a string", map[string]any{"type": 3}, nil,
			`registry: cannot build a registry.Shape: "type" must be a string, not int (3); ` + names},
		{"wrong result type", map[string]any{"type": "Other"}, nil,
			`registry: "Other" (registered at registry/registry_test.go:LINE) builds a registry.notAShape, which is not a registry.Shape`},
		{"nil result", map[string]any{"type": "Nil"}, nil,
			`registry: "Nil" (registered at registry/registry_test.go:LINE) returned nil, not a registry.Shape`},
		{"constructor error", map[string]any{"type": "Broken"}, nil, `registry: building "Broken": out of paint`},
		{"nil", nil, nil, `registry: cannot build a registry.Shape from nothing (nil); give a config with a "type" key`},
		{"other value", 3, nil, `registry: cannot build a registry.Shape from a int; give a registry.Shape or a config with a "type" key`},
		{"override through scalar", map[string]any{"type": "Square", "side": 1}, []map[string]any{{"side.x": 1}},
			`registry: building a registry.Shape: override: cannot set "side.x": "side" is an int (1), not a map`},
	}
	line := regexp.MustCompile(`:\d+\)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildWith[Shape](r, tt.v, tt.overrides...)
			if err == nil {
				t.Fatal("no error")
			}
			if got := line.ReplaceAllString(err.Error(), ":LINE)"); got != tt.want {
				t.Errorf("error\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	if _, err := BuildWith[Shape](New(), map[string]any{}); err == nil || !strings.HasSuffix(err.Error(), "registered types: (none)") {
		t.Errorf("empty registry: %v", err)
	}
}

func TestRegisterDuplicate(t *testing.T) {
	var r Registry // the zero value works
	if err := r.Register("Square", newSquare); err != nil {
		t.Fatal(err)
	}
	err := r.Register("Square", newSquare)
	want := regexp.MustCompile(`^registry: "Square" registered twice: at registry/registry_test.go:\d+ and at registry/registry_test.go:\d+$`)
	if err == nil || !want.MatchString(err.Error()) {
		t.Errorf("error = %v, want a match of %s", err, want)
	}
}

func TestRegisterBadConstructor(t *testing.T) {
	r := New()
	for _, ctor := range []any{
		nil,
		3,
		(func(map[string]any) (int, error))(nil),
		func() (int, error) { return 0, nil },
		func(map[string]int) (int, error) { return 0, nil },
		func(map[string]any) int { return 0 },
		func(map[string]any) (int, bool) { return 0, false },
		func(map[string]any, ...int) (int, error) { return 0, nil },
	} {
		err := r.Register("X", ctor)
		if err == nil || !strings.Contains(err.Error(), "the constructor must be a func(map[string]any) (T, error)") {
			t.Errorf("Register(%T) error = %v", ctor, err)
		}
	}
	if err := r.Register("", newSquare); err == nil || !strings.Contains(err.Error(), "empty name") {
		t.Errorf("empty name: %v", err)
	}
	if len(r.Names()) != 0 {
		t.Errorf("failed registrations left names: %v", r.Names())
	}
}

func TestDefaultRegistry(t *testing.T) {
	Register("registry_test.Square", newSquare)
	got, err := Build[Shape](map[string]any{"type": "registry_test.Square", "side": 3})
	if err != nil || got.Area() != 9 {
		t.Fatalf("Build = %v, %v", got, err)
	}
	if typ, ok := Default.Type("registry_test.Square"); !ok || typ != reflect.TypeFor[*Square]() {
		t.Errorf("Type = %v, %v", typ, ok)
	}
	defer func() {
		r := recover()
		err, ok := r.(error)
		want := regexp.MustCompile(`^registry: "registry_test.Square" registered twice: at registry/registry_test.go:\d+ and at registry/registry_test.go:\d+$`)
		if !ok || !want.MatchString(err.Error()) {
			t.Errorf("panic = %v, want an error matching %s", r, want)
		}
	}()
	Register("registry_test.Square", newSquare)
}

type Optim struct {
	Name     string         `json:"name"`
	LR       float64        `json:"lr"`
	Momentum float64        `json:"momentum"`
	Steps    int            `json:"steps"`
	Extra    map[string]any `json:"extra"`
	hidden   int
}

func (o *Optim) SetDefaults() { o.Name, o.LR, o.Extra = "sgd", 0.1, map[string]any{"a": 1} }

type Plain struct {
	Size int `json:"size"`
}

func TestStructConstructor(t *testing.T) {
	r := New()
	if err := r.Register("Optim", StructConstructor[Optim]()); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("OptimPtr", StructConstructor[*Optim]()); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("Plain", StructConstructor[Plain]()); err != nil {
		t.Fatal(err)
	}
	o, err := BuildWith[Optim](r, map[string]any{"type": "Optim", "lr": 1, "extra": map[string]any{"b": 2}}, map[string]any{"steps": 10})
	// Decoded onto the defaults' map; numbers keep their types, as with exp.Params (one decoder: value.Decode).
	want := Optim{Name: "sgd", LR: 1, Steps: 10, Extra: map[string]any{"a": 1, "b": 2}}
	if err != nil || !reflect.DeepEqual(o, want) {
		t.Errorf("Build = %#v, %v\nwant %#v", o, err, want)
	}
	// Defaults are fresh for each build: the map decoded into above is not shared.
	p, err := BuildWith[*Optim](r, map[string]any{"type": "OptimPtr"})
	if err != nil || p.Name != "sgd" || !reflect.DeepEqual(p.Extra, map[string]any{"a": 1}) {
		t.Errorf("Build pointer = %#v, %v", p, err)
	}
	pl, err := BuildWith[Plain](r, map[string]any{"type": "Plain"})
	if err != nil || pl != (Plain{}) {
		t.Errorf("absent keys keep the zero value: %#v, %v", pl, err)
	}

	_, err = BuildWith[Optim](r, map[string]any{"type": "Optim", "lr": 0.1, "mommentum": 0.9})
	wantErr := `registry: building "Optim": unknown key "mommentum"; valid keys: extra, lr, momentum, name, steps`
	if err == nil || err.Error() != wantErr {
		t.Errorf("error = %v, want %q", err, wantErr)
	}
	_, err = BuildWith[Optim](r, map[string]any{"type": "Optim", "steps": 1.5})
	if err == nil || !strings.Contains(err.Error(), "steps") {
		t.Errorf("a float for an int field: error = %v", err)
	}
	// An integral float fits an int field, as in exp.Params.
	if o, err := BuildWith[Optim](r, map[string]any{"type": "Optim", "steps": 2.0}); err != nil || o.Steps != 2 {
		t.Errorf("a float (2.0) for an int field: %v, %v", o.Steps, err)
	}
}

type Trainer struct {
	BatchSize int
	LR        float64 `json:"lr"`
}

// A config key batch_size fills BatchSize in registry.Build exactly as in exp.Params.
func TestStructConstructorNames(t *testing.T) {
	r := New()
	if err := r.Register("Trainer", StructConstructor[Trainer]()); err != nil {
		t.Fatal(err)
	}
	got, err := BuildWith[Trainer](r, map[string]any{"type": "Trainer", "batch_size": 64, "lr": 0.1})
	if err != nil || got != (Trainer{BatchSize: 64, LR: 0.1}) {
		t.Errorf("Build = %#v, %v", got, err)
	}
	var viaExp Trainer
	if err := value.Decode(&viaExp, map[string]any{"batch_size": 64, "lr": 0.1}, value.DecodeOptions{}); err != nil || viaExp != got {
		t.Errorf("value.Decode = %#v, %v", viaExp, err)
	}
}

func TestRegisterStructDefault(t *testing.T) {
	RegisterStruct[Plain]("registry_test.Plain")
	p, err := Build[Plain](map[string]any{"type": "registry_test.Plain", "size": 3})
	if err != nil || p.Size != 3 {
		t.Errorf("Build = %v, %v", p, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := testRegistry(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := r.Register(fmt.Sprintf("Square%d", i), newSquare); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			for j := range 100 {
				s, err := BuildWith[Shape](r, map[string]any{"type": "Square", "side": j})
				if err != nil || s.Area() != float64(j*j) {
					errs <- fmt.Errorf("Build: %v, %v", s, err)
					return
				}
				_ = r.Names()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(r.Names()); n != 5+16 {
		t.Errorf("%d names registered, want %d", n, 5+16)
	}
}
