package value

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Merge merges src onto dst and returns dst (a new map when dst is nil). A plain key replaces dst's value
// completely, even when both are maps; a dotted key ("a.b.c") updates only that nested value, creating
// intermediate maps and keeping siblings (see Set). Plain keys are applied first, then dotted keys, shorter paths
// before longer ones ("a.b" before "a.b.c"), then in lexical order, so the result does not depend on map order.
//
// Merge never mutates src: every value it takes is deep-copied. It does update dst, including the nested maps on
// a dotted path; when it returns an error dst may be partly updated.
func Merge(dst, src map[string]any) (map[string]any, error) {
	if dst == nil {
		dst = map[string]any{}
	}
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		di, dj := strings.Count(keys[i], "."), strings.Count(keys[j], ".")
		if di != dj {
			return di < dj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		v := DeepCopy(src[k])
		if !strings.Contains(k, ".") {
			dst[k] = v
			continue
		}
		if err := Set(dst, k, v); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// Set sets the value at the dotted key path in m, creating intermediate maps. A null (nil) on the path is replaced
// by a new map; any other value that is not a map[string]any is an error, e.g.
// `cannot set "a.b": "a" is an int (3), not a map`. Set stores v itself, without copying it.
func Set(m map[string]any, dottedKey string, v any) error {
	parts, err := SplitKey(dottedKey)
	if err != nil {
		return fmt.Errorf("cannot set %s: %v", Clip(dottedKey), err)
	}
	if m == nil {
		return fmt.Errorf("cannot set %s: the map is nil", Clip(dottedKey))
	}
	cur := m
	for i, p := range parts[:len(parts)-1] {
		switch next := cur[p].(type) {
		case map[string]any:
			if next == nil {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		case nil:
			created := map[string]any{}
			cur[p] = created
			cur = created
		default:
			return fmt.Errorf("cannot set %s: %s is %s, not a map", Clip(dottedKey), Clip(strings.Join(parts[:i+1], ".")), Describe(next))
		}
	}
	cur[parts[len(parts)-1]] = v
	return nil
}

// Get returns the value at the dotted key path in m and whether it exists.
func Get(m map[string]any, dottedKey string) (any, bool) {
	parts, err := SplitKey(dottedKey)
	if err != nil {
		return nil, false
	}
	var cur any = m
	for _, p := range parts {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// MaxDepth is how deeply parameters (and results) may nest: the segments of a dotted key, the levels of a config
// file's mappings and lists and of stored JSON together. Deeper input is an error, so that no input can make the
// programs that walk a tree (flattening, sweeps, the cache) spend time or memory growing with the square of its depth.
const MaxDepth = 100

// SplitKey splits a dotted key into its segments, none of which may be empty, and at most MaxDepth of them.
func SplitKey(key string) ([]string, error) {
	if key == "" {
		return nil, fmt.Errorf("the key is empty")
	}
	if n := strings.Count(key, ".") + 1; n > MaxDepth {
		return nil, fmt.Errorf("the key has %d segments; parameters nest at most %d levels deep", n, MaxDepth)
	}
	parts := strings.Split(key, ".")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("the key has an empty segment; use dots only between names, e.g. model.lr")
		}
	}
	return parts, nil
}

// TooDeep reports whether v nests maps and lists more than levels deep (a map of scalars is one level). It stops
// as soon as it knows, so it costs at most one pass over v.
func TooDeep(v any, levels int) bool {
	switch v := v.(type) {
	case map[string]any:
		if levels <= 0 {
			return true
		}
		for _, e := range v {
			if TooDeep(e, levels-1) {
				return true
			}
		}
	case []any:
		if levels <= 0 {
			return true
		}
		for _, e := range v {
			if TooDeep(e, levels-1) {
				return true
			}
		}
	}
	return false
}

// Clip quotes s for an error message, cut to a readable length: an error stays one short line whatever the input.
func Clip(s string) string {
	const max = 60
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}

// DeepCopy copies maps and lists recursively; other values are immutable and shared.
func DeepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = DeepCopy(e)
		}
		return m
	case []any:
		if v == nil {
			return v
		}
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = DeepCopy(e)
		}
		return l
	}
	return v
}

// Describe names a value and its type for error messages: `an int (3)`, `a string ("x")`, `a float (0.5)`.
func Describe(v any) string {
	const max = 40
	short := func(s string) string {
		if len(s) > max {
			return s[:max] + "..."
		}
		return s
	}
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("a bool (%t)", v)
	case string:
		return fmt.Sprintf("a string (%s)", short(strconv.Quote(v)))
	case float64:
		return fmt.Sprintf("a float (%s)", FormatFloat(v))
	case float32:
		return fmt.Sprintf("a float (%s)", formatFloat(float64(v), 32))
	case []any:
		return fmt.Sprintf("a list of %d values", len(v))
	case map[string]any:
		return "a map"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return fmt.Sprintf("an int (%v)", v)
	}
	return fmt.Sprintf("a %T", v)
}

// MergeDeep merges src into dst: nested maps recursively, anything else replaced by a deep copy.
func MergeDeep(dst, src map[string]any) {
	for k, sv := range src {
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok && dm != nil {
				MergeDeep(dm, sm)
				continue
			}
		}
		dst[k] = DeepCopy(sv)
	}
}

// Flatten turns a tree into dotted keys ("model.depth"); a non-empty map is descended, anything else is a leaf.
func Flatten(v any) map[string]any {
	out := map[string]any{}
	flatten("", v, out)
	return out
}

func flatten(prefix string, v any, out map[string]any) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
		return
	}
	if prefix != "" {
		out[prefix] = v
	}
}

// Equal reports whether two trees are the same: reflect.DeepEqual, except that NaN equals NaN and the sign of
// a zero counts.
func Equal(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !Equal(a[i], b[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && (a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b))
	}
	return a == b
}
