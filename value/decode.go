package value

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DecodeOptions adjust Decode.
type DecodeOptions struct {
	AllowUnknown bool   // ignore keys that match no struct field, instead of failing
	Prefix       string // starts every error, e.g. "exp: "
	Noun         string // what a key is called in errors: "param" (the default) or "key"
	UnknownHint  string // ends the error of an unknown key, e.g. "; use exp.AllowUnknown() to ignore unknown params"
}

// Decode decodes a value tree (as from Unmarshal or config.Load) into dst, a non-nil pointer to a struct or a map,
// onto its current value. It is the one map->struct decoder of git-exp (exp.Params and registry.Build use it):
//
//   - A struct field matches a key by its json tag name, else by its Go name ignoring case and '_' or '-' in the
//     key (BatchSize matches "batch_size", "batchSize" and "BatchSize"). `json:"-"` fields and unexported fields
//     never match. Embedded structs' fields are promoted, as with encoding/json.
//   - Keys matching no field are an error naming them and the valid keys, unless AllowUnknown.
//   - Nested maps decode into nested structs (or maps, pointers, interfaces); nested structs and maps are decoded
//     onto too, so their absent keys keep their defaults as well. Lists replace slices whole.
//   - An int fits a float field; a float fits an integer field only if integral and in range. The strings "NaN",
//     "Infinity", "-Infinity" (and the older "+Inf", "-Inf") fit floats too. Strings fit types implementing
//     encoding.TextUnmarshaler, and time.Duration as "1m30s". Anything else that does not match the field's type is
//     an error naming the key.
//   - A null sets pointers, maps, slices and interfaces to nil and leaves other fields unchanged.
//
// All mismatches are reported together. Decode never modifies tree.
func Decode(dst any, tree map[string]any, opts DecodeOptions) error {
	d := &decoder{opts: opts}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("%sdecoding needs a non-nil pointer to a struct or map, got %T", opts.Prefix, dst)
	}
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		rv = rv.Elem()
	}
	if k := rv.Kind(); k != reflect.Struct && k != reflect.Map {
		return fmt.Errorf("%sdecoding needs a pointer to a struct or map, got %T", opts.Prefix, dst)
	}
	d.value("", rv, tree)
	return d.err()
}

// UnknownKeyError is a key that matches no field of the struct Decode fills.
type UnknownKeyError struct {
	Key   string   // the dotted path of the key
	In    string   // the struct: its type at the top, else the quoted path
	Valid []string // the keys that struct accepts
	opts  DecodeOptions
}

func (e *UnknownKeyError) Error() string {
	noun := e.opts.Noun
	if noun == "" {
		noun = "param"
	}
	return fmt.Sprintf("%sunknown %s %s (%s has: %s)%s", e.opts.Prefix, noun, strconv.Quote(e.Key), e.In,
		strings.Join(e.Valid, ", "), e.opts.UnknownHint)
}

// Fields lists the keys Decode accepts for a struct type (json tag names, else Go names), in field order.
func Fields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	return fieldsOf(t).names()
}

type decoder struct {
	opts    DecodeOptions
	errs    []error
	unknown []error
}

func (d *decoder) err() error {
	if d.opts.AllowUnknown {
		d.unknown = nil
	}
	return errors.Join(append(d.unknown, d.errs...)...)
}

func (d *decoder) errorf(path, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("%s%s %s: %s", d.opts.Prefix, d.noun(), quotePath(path), fmt.Sprintf(format, args...)))
}

func (d *decoder) noun() string {
	if d.opts.Noun == "" {
		return "param"
	}
	return d.opts.Noun
}

func (d *decoder) mismatch(path string, src any, t reflect.Type, hint string) {
	d.errorf(path, "cannot use %s as %s%s", Describe(src), t, hint)
}

func quotePath(path string) string {
	if path == "" {
		return "(root)"
	}
	return strconv.Quote(path)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoder) value(path string, v reflect.Value, src any) {
	if src == nil {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return
	}
	t := v.Type()
	if t == durationType {
		s, ok := src.(string)
		if !ok {
			d.mismatch(path, src, t, ` (write a duration like "1m30s")`)
			return
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			d.errorf(path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		s, ok := src.(string)
		if !ok {
			d.mismatch(path, src, t, "")
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.errorf(path, "%v", err)
		}
		return
	}
	sv := reflect.ValueOf(src)
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(path, v.Elem(), src)
	case reflect.Interface:
		if t.NumMethod() == 0 {
			if sm, ok := src.(map[string]any); ok {
				if cur, ok := v.Interface().(map[string]any); ok && cur != nil {
					MergeDeep(cur, sm)
					return
				}
			}
			v.Set(reflect.ValueOf(DeepCopy(src)))
			return
		}
		if !sv.Type().AssignableTo(t) {
			d.mismatch(path, src, t, "")
			return
		}
		v.Set(sv)
	case reflect.Struct:
		m, ok := src.(map[string]any)
		if !ok {
			d.mismatch(path, src, t, "")
			return
		}
		d.structValue(path, v, m)
	case reflect.Map:
		m, ok := src.(map[string]any)
		if !ok {
			d.mismatch(path, src, t, "")
			return
		}
		if t.Key().Kind() != reflect.String {
			d.errorf(path, "unsupported map key type %s (want string keys)", t.Key())
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(m)))
		}
		for _, k := range sortedKeys(m) {
			key := reflect.ValueOf(k).Convert(t.Key())
			ev := reflect.New(t.Elem()).Elem()
			if cur := v.MapIndex(key); cur.IsValid() {
				ev.Set(cur)
			}
			d.value(joinPath(path, k), ev, m[k])
			v.SetMapIndex(key, ev)
		}
	case reflect.Slice, reflect.Array:
		if sv.Kind() != reflect.Slice && sv.Kind() != reflect.Array {
			d.mismatch(path, src, t, "")
			return
		}
		n := sv.Len()
		target := v
		if t.Kind() == reflect.Slice {
			target = reflect.MakeSlice(t, n, n)
		} else if n != t.Len() {
			d.errorf(path, "a list of %d cannot fill %s", n, t)
			return
		}
		for i := range n {
			d.value(fmt.Sprintf("%s[%d]", path, i), target.Index(i), sv.Index(i).Interface())
		}
		if t.Kind() == reflect.Slice {
			v.Set(target)
		}
	case reflect.Bool:
		if sv.Kind() != reflect.Bool {
			d.mismatch(path, src, t, "")
			return
		}
		v.SetBool(sv.Bool())
	case reflect.String:
		if sv.Kind() != reflect.String {
			d.mismatch(path, src, t, ` (quote it to make it a string, e.g. --param key='"3"')`)
			return
		}
		v.SetString(sv.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := toInt(sv)
		if !ok || v.OverflowInt(i) {
			d.mismatch(path, src, t, intHint(sv))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u, ok := toUint(sv)
		if !ok || v.OverflowUint(u) {
			d.mismatch(path, src, t, intHint(sv))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, ok := toFloat(sv)
		if !ok || v.OverflowFloat(f) {
			d.mismatch(path, src, t, "")
			return
		}
		v.SetFloat(f)
	default:
		d.errorf(path, "unsupported field type %s", t)
	}
}

func intHint(sv reflect.Value) string {
	switch sv.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := sv.Float(); f == math.Trunc(f) {
			return " (out of range)"
		}
		return " (not an integer)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return " (out of range)"
	}
	return ""
}

func toInt(sv reflect.Value) (int64, bool) {
	switch sv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return sv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := sv.Uint()
		return int64(u), u <= math.MaxInt64
	case reflect.Float32, reflect.Float64:
		f := sv.Float()
		if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

func toUint(sv reflect.Value) (uint64, bool) {
	switch sv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := sv.Int()
		return uint64(i), i >= 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return sv.Uint(), true
	case reflect.Float32, reflect.Float64:
		f := sv.Float()
		if f != math.Trunc(f) || f < 0 || f >= math.MaxUint64 {
			return 0, false
		}
		return uint64(f), true
	}
	return 0, false
}

func toFloat(sv reflect.Value) (float64, bool) {
	switch sv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(sv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(sv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return sv.Float(), true
	case reflect.String:
		// The strings older clients wrote for non-finite floats, and the tokens of the convention.
		switch s := sv.String(); s {
		case "NaN", "+Inf", "Inf", "-Inf", "Infinity", "+Infinity", "-Infinity":
			return Float(s)
		}
	}
	return 0, false
}

func (d *decoder) structValue(path string, v reflect.Value, m map[string]any) {
	fields := fieldsOf(v.Type())
	setBy := make(map[int]string) // field number -> key that set it
	for _, k := range sortedKeys(m) {
		src := m[k]
		i := fields.lookup(k)
		if i < 0 {
			// A dotted key ("model.hidden") that was not expanded.
			if head, rest, ok := strings.Cut(k, "."); ok && head != "" && rest != "" {
				if i = fields.lookup(head); i >= 0 {
					src = map[string]any{rest: src}
					k = head
				}
			}
		}
		if i < 0 {
			d.unknown = append(d.unknown, &UnknownKeyError{Key: joinPath(path, k), In: describeStruct(path, v.Type()),
				Valid: fields.names(), opts: d.opts})
			continue
		}
		if prev, dup := setBy[i]; dup && prev != k {
			d.errorf(joinPath(path, k), "sets the same field %s as %q", fields.list[i].goName, joinPath(path, prev))
			continue
		}
		setBy[i] = k
		f := &fields.list[i]
		d.value(joinPath(path, k), fieldByIndexAlloc(v, f.index), src)
	}
}

func describeStruct(path string, t reflect.Type) string {
	if path == "" {
		return t.String()
	}
	return strconv.Quote(path)
}

// fieldByIndexAlloc is v.FieldByIndex, allocating nil embedded pointers.
func fieldByIndexAlloc(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

type field struct {
	name   string // json name, else Go name
	goName string
	norm   string // name lowercased without '_' and '-'
	index  []int
	depth  int
}

type fieldList struct{ list []field }

func normalize(s string) string {
	s = strings.ToLower(s)
	if strings.ContainsAny(s, "_-") {
		s = strings.NewReplacer("_", "", "-", "").Replace(s)
	}
	return s
}

// lookup returns the number of the field key names, or -1: an exact name
// first, then case-insensitively, then ignoring '_' and '-'.
func (fl *fieldList) lookup(key string) int {
	for i := range fl.list {
		if fl.list[i].name == key {
			return i
		}
	}
	for i := range fl.list {
		if strings.EqualFold(fl.list[i].name, key) {
			return i
		}
	}
	n := normalize(key)
	for i := range fl.list {
		if fl.list[i].norm == n {
			return i
		}
	}
	return -1
}

func (fl *fieldList) names() []string {
	names := make([]string, len(fl.list))
	for i, f := range fl.list {
		names[i] = f.name
	}
	return names
}

var fieldCache sync.Map // reflect.Type -> *fieldList

func fieldsOf(t reflect.Type) *fieldList {
	if fl, ok := fieldCache.Load(t); ok {
		return fl.(*fieldList)
	}
	fl := &fieldList{}
	collectFields(t, nil, 0, fl, map[reflect.Type]bool{})
	// Like encoding/json: a shallower field hides deeper ones of the same name.
	slices.SortStableFunc(fl.list, func(a, b field) int { return a.depth - b.depth })
	seen := map[string]bool{}
	kept := fl.list[:0]
	for _, f := range fl.list {
		if !seen[f.name] {
			seen[f.name] = true
			kept = append(kept, f)
		}
	}
	fl.list = kept
	fieldCache.Store(t, fl)
	return fl
}

func collectFields(t reflect.Type, index []int, depth int, fl *fieldList, visiting map[reflect.Type]bool) {
	if visiting[t] {
		return
	}
	visiting[t] = true
	defer delete(visiting, t)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		idx := append(slices.Clone(index), i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				if !sf.IsExported() {
					continue // cannot be allocated through reflection
				}
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, idx, depth+1, fl, visiting)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if !hasTag || name == "" {
			name = sf.Name
		}
		fl.list = append(fl.list, field{name: name, goName: sf.Name, norm: normalize(name), index: idx, depth: depth})
	}
}
