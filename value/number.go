package value

import (
	"math"
	"reflect"
)

// Float converts a number to a float64: every integer and float type, and the strings "NaN", "Infinity",
// "-Infinity" (and "+Inf", "Inf", "-Inf", which older clients wrote into metrics and results files). It reports
// false for anything else.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		switch x {
		case "NaN":
			return math.NaN(), true
		case "Infinity", "+Infinity", "+Inf", "Inf":
			return math.Inf(1), true
		case "-Infinity", "-Inf":
			return math.Inf(-1), true
		}
		return 0, false
	case nil, bool:
		return 0, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), true
	}
	return 0, false
}
