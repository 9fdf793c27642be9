package results

import (
	"slices"

	"github.com/git-exp/git-exp/value"
)

// Keys returns the union of the maps' keys, sorted.
func Keys(maps ...map[string]any) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range maps {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// Differs reports whether the value of key k is not the same in all the maps (flattened params or results): values
// are compared as git exp prints them, and a missing key differs from any value. With fewer than two maps, every key
// differs (there is nothing to be the same as). git exp compare shows the parameters that differ; the web UI makes
// its columns and legends from them.
func Differs(maps []map[string]any, k string) bool {
	if len(maps) < 2 {
		return true
	}
	first := ""
	for i, m := range maps {
		v := "\x00missing"
		if x, ok := m[k]; ok {
			v = value.Cell(x)
		}
		if i == 0 {
			first = v
		} else if v != first {
			return true
		}
	}
	return false
}
