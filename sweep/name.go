package sweep

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Format prints a value as it would be written in a sweep or a config:
// ints plainly; floats with the shortest representation that round-trips,
// without exponent for 1e-4 <= |x| < 1e16 and then always with a "." (1.0,
// 0.01, 123456.0), otherwise in exponent form like Python's repr (1e-05,
// 1.5e+16); .inf, -.inf and .nan for non-finite floats; true/false; null for
// nil; strings unchanged (Name adds quotes where needed). Lists and maps are
// printed in flow style ([1, 2], {a: 1} with sorted keys); other types use
// fmt.
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
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
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

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
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

// Name gives a readable, unique, reversible name for a point, such as
// "lr=0.001,bs=32": key=value pairs in Vars order joined by ",", values
// written with Format. A string (key or value) is written in Go double-quoted
// form (%q) when it is empty, contains any of ,=()[]{}"' or white space or a
// non-printable character, is not valid UTF-8, or (for values) would read back
// as a number, bool or null; so lr=-0.5 and lr=0.5, or "1" and 1, never
// collide. ParseName reverses Name for string, int, float64, bool and nil
// values (lists and maps are written with Format and read back as strings).
func Name(vars []Var) string {
	var b strings.Builder
	for i, v := range vars {
		if i > 0 {
			b.WriteByte(',')
		}
		if needsQuote(v.Key) {
			b.WriteString(strconv.Quote(v.Key))
		} else {
			b.WriteString(v.Key)
		}
		b.WriteByte('=')
		switch val := v.Value.(type) {
		case string:
			if needsQuote(val) || !isPlainString(val) {
				b.WriteString(strconv.Quote(val))
			} else {
				b.WriteString(val)
			}
		default:
			s := Format(val)
			if !isScalar(val) && needsQuote(s) {
				s = strconv.Quote(s)
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// isScalar reports whether v is a scalar that Format writes in a form
// ParseName reads back as the same type.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, bool, int, float64:
		return true
	}
	return false
}

// isPlainString reports whether s, written bare, reads back as the string s.
func isPlainString(s string) bool {
	v, ok := parseScalar(s).(string)
	return ok && v == s
}

// needsQuote reports whether s must be quoted to survive ParseName.
func needsQuote(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if strings.ContainsRune(",=()[]{}\"'\\", r) || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// ParseName reverses Name: it splits name into key=value pairs and reads each
// value as a scalar (quoted values are strings). An empty name gives no vars.
func ParseName(name string) ([]Var, error) {
	var vars []Var
	if name == "" {
		return vars, nil
	}
	i := 0
	for {
		key, next, err := nameToken(name, i, true)
		if err != nil {
			return nil, err
		}
		i = next
		if i >= len(name) || name[i] != '=' {
			return nil, fmt.Errorf("sweep name %q: expected \"=\" at offset %d", name, i)
		}
		i++
		start := i
		val, next, err := nameToken(name, i, false)
		if err != nil {
			return nil, err
		}
		var value any
		if start < len(name) && name[start] == '"' {
			value = val
		} else {
			value = parseScalar(val)
		}
		vars = append(vars, Var{Key: key, Value: value})
		i = next
		if i == len(name) {
			return vars, nil
		}
		if name[i] != ',' {
			return nil, fmt.Errorf("sweep name %q: expected \",\" at offset %d", name, i)
		}
		i++
	}
}

// nameToken reads a quoted or bare token of a name starting at byte i and
// returns its (unquoted) text and the offset after it. Bare keys stop at "="
// or ","; bare values stop at ",".
func nameToken(name string, i int, isKey bool) (string, int, error) {
	if i < len(name) && name[i] == '"' {
		j := i + 1
		for j < len(name) && name[j] != '"' {
			if name[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(name) {
			return "", 0, fmt.Errorf("sweep name %q: unterminated quoted string at offset %d", name, i)
		}
		s, err := strconv.Unquote(name[i : j+1])
		if err != nil {
			return "", 0, fmt.Errorf("sweep name %q: invalid quoted string at offset %d", name, i)
		}
		return s, j + 1, nil
	}
	stop := ","
	if isKey {
		stop = ",="
	}
	j := i
	for j < len(name) && !strings.ContainsRune(stop, rune(name[j])) {
		j++
	}
	if j == i {
		what := "value"
		if isKey {
			what = "key"
		}
		return "", 0, fmt.Errorf("sweep name %q: empty %s at offset %d", name, what, i)
	}
	return name[i:j], j, nil
}
