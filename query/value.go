package query

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// number is an int64 or a float64; comparisons between the two are exact.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func (n number) String() string {
	if n.isInt {
		return strconv.FormatInt(n.i, 10)
	}
	s := strconv.FormatFloat(n.f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEIN") { // keep it a float when re-parsed ("N": NaN, Inf)
		s += ".0"
	}
	return s
}

// toNumber converts any Go numeric type (and json.Number) to a number.
func toNumber(v any) (number, bool) {
	switch x := v.(type) {
	case float64:
		return number{f: x}, true
	case int:
		return number{isInt: true, i: int64(x)}, true
	case int64:
		return number{isInt: true, i: x}, true
	case int32:
		return number{isInt: true, i: int64(x)}, true
	case int16:
		return number{isInt: true, i: int64(x)}, true
	case int8:
		return number{isInt: true, i: int64(x)}, true
	case uint:
		return fromUint(uint64(x)), true
	case uint64:
		return fromUint(x), true
	case uint32:
		return number{isInt: true, i: int64(x)}, true
	case uint16:
		return number{isInt: true, i: int64(x)}, true
	case uint8:
		return number{isInt: true, i: int64(x)}, true
	case float32:
		return number{f: float64(x)}, true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return number{isInt: true, i: i}, true
		}
		if f, err := x.Float64(); err == nil {
			return number{f: f}, true
		}
	}
	return number{}, false
}

func fromUint(u uint64) number {
	if u <= math.MaxInt64 {
		return number{isInt: true, i: int64(u)}
	}
	return number{f: float64(u)}
}

// cmpNum compares a and b exactly (no rounding of large ints). ok is false
// when the two are unordered (a NaN is involved).
func cmpNum(a, b number) (c int, ok bool) {
	switch {
	case a.isInt && b.isInt:
		return cmpOrdered(a.i, b.i), true
	case !a.isInt && !b.isInt:
		if math.IsNaN(a.f) || math.IsNaN(b.f) {
			return 0, false
		}
		return cmpOrdered(a.f, b.f), true
	case a.isInt:
		return cmpIntFloat(a.i, b.f)
	default:
		c, ok := cmpIntFloat(b.i, a.f)
		return -c, ok
	}
}

func cmpOrdered[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpIntFloat compares an int64 with a float64 exactly.
func cmpIntFloat(i int64, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 0x1p63:
		return -1, true
	case f < -0x1p63:
		return 1, true
	}
	t := math.Trunc(f) // within [-2^63, 2^63): converts exactly
	ti := int64(t)
	if i != ti {
		return cmpOrdered(i, ti), true
	}
	return cmpOrdered(0, f-t), true
}

// kind classifies values. The names (kindNames) order mixed kinds in Compare.
type kind int

const (
	kNull kind = iota
	kBool
	kList
	kMap
	kNumber
	kOther
	kString
)

var kindNames = [...]string{kNull: "null", kBool: "bool", kList: "list", kMap: "map", kNumber: "number", kOther: "other", kString: "string"}

// classify returns the kind of v. For strings it also returns the string
// (time.Time values are formatted as RFC 3339), for numbers the number.
func classify(v any) (kind, string, number) {
	switch x := v.(type) {
	case nil:
		return kNull, "", number{}
	case string:
		return kString, x, number{}
	case float64:
		return kNumber, "", number{f: x}
	case int:
		return kNumber, "", number{isInt: true, i: int64(x)}
	case int64:
		return kNumber, "", number{isInt: true, i: x}
	case bool:
		return kBool, "", number{}
	case []any, []string:
		return kList, "", number{}
	case map[string]any:
		return kMap, "", number{}
	case time.Time:
		return kString, x.Format(time.RFC3339Nano), number{}
	}
	if n, ok := toNumber(v); ok {
		return kNumber, "", n
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return kList, "", number{}
	case reflect.Map:
		return kMap, "", number{}
	case reflect.String:
		return kString, reflect.ValueOf(v).String(), number{}
	case reflect.Bool:
		return kBool, "", number{}
	}
	return kOther, "", number{}
}

func toBool(v any) bool {
	if b, ok := v.(bool); ok {
		return b
	}
	return reflect.ValueOf(v).Bool()
}

// eachElem calls f on the elements of a list value until f returns true, and
// reports whether it did.
func eachElem(v any, f func(any) bool) bool {
	switch x := v.(type) {
	case []any:
		return slices.ContainsFunc(x, f)
	case []string:
		for _, s := range x {
			if f(s) {
				return true
			}
		}
		return false
	}
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); k != reflect.Slice && k != reflect.Array {
		return false
	}
	for i := range rv.Len() {
		if f(rv.Index(i).Interface()) {
			return true
		}
	}
	return false
}

func length(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case []string:
		return len(x)
	case map[string]any:
		return len(x)
	case string:
		return len(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return rv.Len()
	}
	return 0
}

// truthy: non-zero number, true, non-empty string, list or map.
func truthy(v any) bool {
	k, s, n := classify(v)
	switch k {
	case kBool:
		return toBool(v)
	case kNumber:
		return n.isInt && n.i != 0 || !n.isInt && n.f != 0
	case kString:
		return s != ""
	case kList, kMap:
		return length(v) > 0
	}
	return false
}

// Compare orders two values for sorting: numbers numerically (ints and
// floats together, NaN after every other number), strings as strings, bools
// false before true, lists element by element, maps by sorted keys then
// values. nil (a missing value) sorts after everything. Values of different
// kinds are ordered by kind name: bool, list, map, number, string.
//
// Compare is a total order, so it can be used directly with slices.SortFunc.
// For a descending sort that still puts missing values last, handle nil
// before negating.
func Compare(a, b any) int {
	ka, sa, na := classify(a)
	kb, sb, nb := classify(b)
	if ka == kNull || kb == kNull {
		switch {
		case ka == kb:
			return 0
		case ka == kNull:
			return 1
		default:
			return -1
		}
	}
	if ka != kb {
		return strings.Compare(kindNames[ka], kindNames[kb])
	}
	switch ka {
	case kNumber:
		if c, ok := cmpNum(na, nb); ok {
			return c
		}
		nanA := !na.isInt && math.IsNaN(na.f)
		nanB := !nb.isInt && math.IsNaN(nb.f)
		switch {
		case nanA && nanB:
			return 0
		case nanA:
			return 1
		default:
			return -1
		}
	case kString:
		return strings.Compare(sa, sb)
	case kBool:
		x, y := toBool(a), toBool(b)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		default:
			return 1
		}
	case kList:
		return compareLists(listOf(a), listOf(b))
	case kMap:
		return compareMaps(mapOf(a), mapOf(b))
	}
	return strings.Compare(fmt.Sprintf("%T %v", a, a), fmt.Sprintf("%T %v", b, b))
}

func listOf(v any) []any {
	if x, ok := v.([]any); ok {
		return x
	}
	var out []any
	eachElem(v, func(e any) bool { out = append(out, e); return false })
	return out
}

func mapOf(v any) map[string]any {
	if x, ok := v.(map[string]any); ok {
		return x
	}
	out := map[string]any{}
	rv := reflect.ValueOf(v)
	it := rv.MapRange()
	for it.Next() {
		out[fmt.Sprint(it.Key().Interface())] = it.Value().Interface()
	}
	return out
}

func compareLists(a, b []any) int {
	for i := range min(len(a), len(b)) {
		if c := Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmpOrdered(int64(len(a)), int64(len(b)))
}

func compareMaps(a, b map[string]any) int {
	ka := slices.Sorted(maps.Keys(a))
	kb := slices.Sorted(maps.Keys(b))
	for i := range min(len(ka), len(kb)) {
		if c := strings.Compare(ka[i], kb[i]); c != 0 {
			return c
		}
		if c := Compare(a[ka[i]], b[kb[i]]); c != 0 {
			return c
		}
	}
	return cmpOrdered(int64(len(ka)), int64(len(kb)))
}

// SortKey is a value prepared for sorting: classified once, so that sorting many values compares numbers and strings
// without looking at their types again. CompareKeys(MakeSortKey(a), MakeSortKey(b)) == Compare(a, b).
type SortKey struct {
	k kind
	s string
	n number
	v any
}

// MakeSortKey prepares v (a missing value is nil).
func MakeSortKey(v any) SortKey {
	k, s, n := classify(v)
	return SortKey{k: k, s: s, n: n, v: v}
}

// Missing reports whether the key is a missing (nil) value.
func (a SortKey) Missing() bool { return a.k == kNull }

// IsNaN reports whether the key is the number NaN (a diverged loss), which sorts after every other number in both
// directions.
func (a SortKey) IsNaN() bool { return a.k == kNumber && !a.n.isInt && math.IsNaN(a.n.f) }

// Float is the key's number as a float64 when it is a number that a float64 holds exactly (a float, or an integer
// of at most 2^53 in magnitude): then comparing the floats orders keys as CompareKeys does. A NaN is a number here.
func (a SortKey) Float() (float64, bool) {
	if a.k != kNumber {
		return 0, false
	}
	if !a.n.isInt {
		return a.n.f, true
	}
	if a.n.i > 1<<53 || a.n.i < -(1<<53) {
		return 0, false
	}
	return float64(a.n.i), true
}

// CompareKeys is Compare on prepared values.
func CompareKeys(a, b *SortKey) int {
	if a.k == b.k {
		switch a.k {
		case kNumber:
			if c, ok := cmpNum(a.n, b.n); ok {
				return c
			}
		case kString:
			return strings.Compare(a.s, b.s)
		case kNull:
			return 0
		}
	}
	return Compare(a.v, b.v)
}
