package sweep

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/value"
)

// MaxPoints is the largest number of points Expand produces.
const MaxPoints = 100_000

// Var is one swept parameter of a point.
type Var struct {
	Key   string // dotted path, e.g. "model.lr"
	Value any
}

// Point is one element of a sweep grid.
type Point struct {
	Params map[string]any // deep copy of the base tree with each sweep replaced by one value
	Vars   []Var          // the swept keys and their values for this point, in grid order
}

// axis is one sweep found in a tree.
type axis struct {
	key    string   // dotted path
	path   []string // map keys from the root
	values []any
}

// Expand finds every sweep in params and returns the cartesian product of
// their values. Sweeps are looked for in map values at any depth (not inside
// lists). The swept keys are sorted lexicographically by dotted path and the
// first key varies slowest (see the package documentation). Without any
// sweep, Expand returns one point holding a copy of params and no Vars.
//
// Errors name the parameter by its dotted key, e.g.
// `lr: range(1,): expected a number after "," at column 9`.
func Expand(params map[string]any) ([]Point, error) {
	var axes []axis
	if err := findSweeps(params, nil, &axes); err != nil {
		return nil, err
	}
	sort.Slice(axes, func(i, j int) bool { return axes[i].key < axes[j].key })
	for i := 1; i < len(axes); i++ {
		if axes[i].key == axes[i-1].key {
			return nil, fmt.Errorf("%s: two sweeps have the same dotted key (a key containing \".\" and a nested key)", axes[i].key)
		}
	}
	total := 1
	for _, a := range axes {
		if len(a.values) > MaxPoints/total {
			return nil, fmt.Errorf("the sweep grid has more than %d points (%s)", MaxPoints, gridShape(axes))
		}
		total *= len(a.values)
	}
	points := make([]Point, 0, total)
	idx := make([]int, len(axes))
	for range total {
		p := Point{Params: deepCopyMap(params), Vars: make([]Var, len(axes))}
		for k, a := range axes {
			v := a.values[idx[k]]
			setPath(p.Params, a.path, v)
			p.Vars[k] = Var{Key: a.key, Value: v}
		}
		points = append(points, p)
		// Odometer: the last axis varies fastest.
		for k := len(axes) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < len(axes[k].values) {
				break
			}
			idx[k] = 0
		}
	}
	return points, nil
}

func gridShape(axes []axis) string {
	parts := make([]string, len(axes))
	for i, a := range axes {
		parts[i] = fmt.Sprintf("%s: %d", a.key, len(a.values))
	}
	return strings.Join(parts, ", ")
}

func findSweeps(m map[string]any, path []string, axes *[]axis) error {
	for k, v := range m {
		p := append(path[:len(path):len(path)], k)
		switch v := v.(type) {
		case string:
			values, ok, err := Parse(v)
			key := strings.Join(p, ".")
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if ok {
				*axes = append(*axes, axis{key: key, path: p, values: values})
			}
		case map[string]any:
			if err := findSweeps(v, p, axes); err != nil {
				return err
			}
		}
	}
	return nil
}

// setPath sets m[path[0]][path[1]]... = v, creating maps (and replacing
// non-map values) along the way.
func setPath(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// deepCopyMap copies a tree; a nil map gives an empty (non-nil) map.
func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return value.DeepCopy(m).(map[string]any)
}

// Sweep is the Go counterpart of pyexp's sweep(configs, variations): for each
// config, for each variation, it returns a deep copy of the config with the
// variation applied. Variation keys are dotted paths ("model.lr") that update
// nested values, creating maps as needed (a non-map value in the way is
// replaced by a map); keys of one variation are applied in sorted order, so
// "model" is set before "model.lr". Order: configs outer, variations inner.
// With no variations the result is copies of the configs; with no configs it
// is empty. Values are deep-copied; sweep strings are not expanded.
func Sweep(configs []map[string]any, variations []map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(configs)*max(1, len(variations)))
	for _, c := range configs {
		if len(variations) == 0 {
			out = append(out, deepCopyMap(c))
			continue
		}
		for _, vr := range variations {
			m := deepCopyMap(c)
			keys := make([]string, 0, len(vr))
			for k := range vr {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				setPath(m, strings.Split(k, "."), value.DeepCopy(vr[k]))
			}
			out = append(out, m)
		}
	}
	return out
}

// Grid builds the cartesian product of key -> values in the same order as
// Expand: keys sorted lexicographically, the first key varying slowest. Each
// result maps every key (unchanged, dotted keys stay flat, ready for Sweep)
// to one of its values. No axes gives one empty map; an axis without values
// gives no maps.
func Grid(axes map[string][]any) []map[string]any {
	keys := make([]string, 0, len(axes))
	total := 1
	for k, vs := range axes {
		keys = append(keys, k)
		if len(vs) > 0 && total > math.MaxInt/len(vs) {
			panic("sweep.Grid: the grid has too many points")
		}
		total *= len(vs)
	}
	sort.Strings(keys)
	if total == 0 {
		return []map[string]any{}
	}
	out := make([]map[string]any, 0, total)
	idx := make([]int, len(keys))
	for range total {
		m := make(map[string]any, len(keys))
		for i, k := range keys {
			m[k] = value.DeepCopy(axes[k][idx[i]])
		}
		out = append(out, m)
		for i := len(keys) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(axes[keys[i]]) {
				break
			}
			idx[i] = 0
		}
	}
	return out
}
