package value

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Format prints a value as it would be written in a sweep or a config, for names: ints plainly; floats with the
// shortest representation that round-trips, without exponent for 1e-4 <= |x| < 1e16 and then always with a "."
// (1.0, 0.01, 123456.0), otherwise in exponent form like Python's repr (1e-05, 1.5e+16); NaN, Infinity and
// -Infinity for non-finite floats; true/false; null for nil; strings unchanged. Lists and maps are printed in flow
// style ([1, 2], {a: 1} with sorted keys); other types use fmt. Scalar reads every scalar Format writes back as the
// same value.
func Format(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return formatFloat(v, 64)
	case float32:
		return formatFloat(float64(v), 32)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = Format(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(v)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + Format(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	}
	return fmt.Sprint(v)
}

// FormatFloat is Format of a float64.
func FormatFloat(f float64) string { return formatFloat(f, 64) }

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-4 && a < 1e16 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(f, 'e', -1, bits)
}

// Cell prints one parameter or result value for a table cell or a "k=v" list: scalars as Format writes them,
// strings bare, lists and maps as JSON (Marshal), null as null.
func Cell(v any) string {
	switch x := v.(type) {
	case map[string]any, []any:
		b, err := Marshal(x)
		if err != nil {
			return Format(x)
		}
		return string(b)
	}
	return Format(v)
}

// Short prints a float for a terminal: 6 significant digits (0.059, not 0.05900000000000005); every other value as
// Cell does.
func Short(v any) string {
	if f, ok := v.(float64); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	return Cell(v)
}

// CompactKV prints a flat map as "k=v k=v" in key order, values as Cell prints them.
func CompactKV(m map[string]any) string { return CompactKVWith(m, Cell) }

// CompactKVWith is CompactKV with values printed by format.
func CompactKVWith(m map[string]any, format func(any) string) string {
	keys := sortedKeys(m)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(format(m[k]))
	}
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
