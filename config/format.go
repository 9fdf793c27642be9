package config

import (
	"sort"
	"strings"

	"github.com/git-exp/git-exp/sweep"
)

// FormatValue prints one parameter or result value as a user would write it: floats in their shortest form with a
// decimal point, strings bare, lists and maps as JSON, null as null.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case map[string]any, []any:
		b, _ := MarshalJSON(x)
		return string(b)
	}
	return sweep.Format(v)
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

// CompactKV prints a flat map as "k=v k=v" in key order.
func CompactKV(m map[string]any) string { return CompactKVWith(m, FormatValue) }

// CompactKVWith is CompactKV with values printed by format.
func CompactKVWith(m map[string]any, format func(any) string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + format(m[k])
	}
	return strings.Join(parts, " ")
}
