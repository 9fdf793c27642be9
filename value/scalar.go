package value

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Scalar reads a plain (unquoted) scalar as the YAML 1.2 core schema does — the one scalar parser of git-exp,
// used for --param values, GIT_EXP_PARAM_* variables, sweep arguments, names and plain scalars in config files:
//
//   - null, Null, NULL, ~ are nil (the empty string stays "");
//   - true, True, TRUE, false, False, FALSE are bools (yes/no/on/off are strings);
//   - [-+]?[0-9]+ is a decimal int, so 010 is 10; 0o17 is octal (15) and 0x1F hexadecimal (31);
//   - [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? is a float64 (1e400 is +Inf);
//   - .inf, -.inf, .nan in their three spellings are the non-finite floats, and so are NaN, Infinity, +Infinity
//     and -Infinity, the tokens git-exp writes for them (so what is shown reads back);
//   - anything else is the string s itself.
//
// An integer that does not fit an int returns the nearest float64 and an *IntRangeError, so a caller can refuse
// it rather than change the number silently.
func Scalar(s string) (any, error) {
	switch s {
	case "null", "Null", "NULL", "~":
		return nil, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-.inf", "-.Inf", "-.INF", "-Infinity":
		return math.Inf(-1), nil
	case ".nan", ".NaN", ".NAN", "NaN":
		return math.NaN(), nil
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x') {
		base := 8
		if s[1] == 'x' {
			base = 16
		}
		if !allDigits(s[2:], base) {
			return s, nil
		}
		n, err := strconv.ParseUint(s[2:], base, 64)
		if err != nil || n > math.MaxInt {
			f := baseFloat(s[2:], base)
			return f, &IntRangeError{Text: s, Float: f}
		}
		return int(n), nil
	}
	isInt, isFloat := numberShape(s)
	if isInt {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= math.MinInt && n <= math.MaxInt {
			return int(n), nil
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f, &IntRangeError{Text: s, Float: f}
	}
	if isFloat {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return f, nil
		}
	}
	return s, nil
}

// ParseScalar is Scalar without the error: an integer past an int's range is the nearest float64.
func ParseScalar(s string) any {
	v, _ := Scalar(s)
	return v
}

// IntRangeError is an integer literal that does not fit 64 bits: a float would silently change the value
// (12345678901234567890 becomes 12345678901234567168), so the user chooses.
type IntRangeError struct {
	Text  string  // the literal
	Float float64 // the nearest float
}

func (e *IntRangeError) Error() string {
	return fmt.Sprintf("%s does not fit a 64-bit integer: quote it to keep it as text, or write it as a float (%s)",
		e.Text, strconv.FormatFloat(e.Float, 'e', -1, 64))
}

func allDigits(s string, base int) bool {
	for _, c := range s {
		switch {
		case '0' <= c && c <= '7':
		case base == 16 && ('8' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		default:
			return false
		}
	}
	return s != ""
}

// baseFloat converts a long octal or hexadecimal literal to a float64 (for the message of an IntRangeError).
func baseFloat(digits string, base int) float64 {
	f := 0.0
	for _, c := range strings.ToLower(digits) {
		f = f*float64(base) + float64(strings.IndexRune("0123456789abcdef", c))
	}
	return f
}

// numberShape reports whether s matches [-+]?[0-9]+ (isInt) or the YAML 1.2 core float
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? (isFloat, only when not an int).
func numberShape(s string) (isInt, isFloat bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intDigits := digits()
	if i == len(s) {
		return intDigits > 0, false
	}
	fracDigits := 0
	if s[i] == '.' {
		i++
		fracDigits = digits()
	}
	if intDigits == 0 && fracDigits == 0 {
		return false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false, false
		}
	}
	return false, i == len(s)
}
