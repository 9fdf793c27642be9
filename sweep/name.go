package sweep

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/git-exp/git-exp/value"
)

// Name gives a readable, unique, reversible name for a point, such as
// "lr=0.001,bs=32": key=value pairs in Vars order joined by ",", values
// written with value.Format. A string (key or value) is written in Go double-quoted
// form (%q) when it is empty, contains any of ,=()[]{}"' or white space or a
// non-printable character, is not valid UTF-8, or (for values) would read back
// as a number, bool or null; so lr=-0.5 and lr=0.5, or "1" and 1, never
// collide. ParseName reverses Name for string, int, float64, bool and nil
// values (lists and maps are written with value.Format and read back as strings).
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
			s := value.Format(val)
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
	v, ok := value.ParseScalar(s).(string)
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
		var v any = val
		if start >= len(name) || name[start] != '"' {
			v = value.ParseScalar(val)
		}
		vars = append(vars, Var{Key: key, Value: v})
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
