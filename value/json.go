package value

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxDepth bounds nesting when encoding and decoding, so a self-referencing value fails instead of overflowing
// the stack (encoding/json uses the same limit for decoding).
const maxDepth = 10000

// Marshal encodes a value tree as compact JSON that keeps its types: a float always carries a '.' or an exponent
// ("1.0", not "1") so it decodes as a float again, ints are plain integers, map keys are sorted, and HTML characters
// are not escaped. NaN, +Inf and -Inf are written as the bare tokens NaN, Infinity and -Infinity, as Python's json
// module writes and reads them (see Unmarshal; use Strict for consumers that need strict JSON).
//
// Besides the tree types (int, float64, bool, nil, string, []any, map[string]any) it accepts every integer, float,
// slice, array, pointer and string-keyed map type, structs (with encoding/json's tags and rules) and
// json.RawMessage (decoded with Unmarshal, so stored JSON with non-finite numbers passes); other json.Marshaler
// types (time.Time) go through encoding/json and then the rules above.
func Marshal(v any) ([]byte, error) {
	return AppendJSON(make([]byte, 0, 128), v)
}

// AppendJSON appends the encoding of v (see Marshal) to b.
func AppendJSON(b []byte, v any) ([]byte, error) {
	e := &encoder{buf: b}
	if err := e.encodeAny(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// MarshalIndent is Marshal with two-space indentation and a final newline.
func MarshalIndent(v any) ([]byte, error) {
	b, err := Marshal(v)
	if err != nil {
		return nil, err
	}
	return Indent(b), nil
}

// Indent indents compact JSON (as Marshal and encoding/json write it) by two spaces and adds a final newline, as
// json.Indent does; unlike json.Indent it accepts the non-finite tokens. It does not check b.
func Indent(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/2)
	level := 0
	newline := func() {
		out = append(out, '\n')
		for range level {
			out = append(out, ' ', ' ')
		}
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			out = append(out, b[i:min(j+1, len(b))]...)
			i = j
		case '{', '[':
			if i+1 < len(b) && (b[i+1] == '}' || b[i+1] == ']') {
				out = append(out, c, b[i+1])
				i++
				continue
			}
			out = append(out, c)
			level++
			newline()
		case '}', ']':
			level--
			newline()
			out = append(out, c)
		case ',':
			out = append(out, c)
			newline()
		case ':':
			out = append(out, ':', ' ')
		default:
			out = append(out, c)
		}
	}
	return append(out, '\n')
}

type encoder struct {
	buf []byte
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

func depthError() error {
	return fmt.Errorf("cannot encode JSON: nested more than %d levels (a value that contains itself?)", maxDepth)
}

// encodeAny encodes the tree types directly (the common case: params, results, exported rows), anything else
// through reflection (encode). Both give the same bytes.
func (e *encoder) encodeAny(v any, depth int) error {
	if depth > maxDepth {
		return depthError()
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.buf = AppendString(e.buf, x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case float64:
		e.buf = AppendFloat(e.buf, x, 64)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case map[string]any:
		if x == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = AppendString(e.buf, k)
			e.buf = append(e.buf, ':')
			if err := e.encodeAny(x[k], depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	case []any:
		if x == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.encodeAny(el, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	default:
		return e.encode(reflect.ValueOf(v), depth)
	}
	return nil
}

func (e *encoder) encode(v reflect.Value, depth int) error {
	if depth > maxDepth {
		return depthError()
	}
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if v.Type() == rawMessageType {
		// Stored JSON spliced into a struct (params, results): decoded and written by the rules above, so its
		// non-finite numbers survive (encoding/json refuses them).
		if len(v.Bytes()) == 0 {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		x, err := Unmarshal(v.Bytes())
		if err != nil {
			return fmt.Errorf("cannot encode JSON: json.RawMessage: %w", err)
		}
		return e.encodeAny(x, depth+1)
	}
	if v.Type().Implements(marshalerType) && v.Kind() != reflect.Interface {
		return e.viaStdlib(v, depth)
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.encode(v.Elem(), depth+1)
	case reflect.Bool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		e.buf = AppendFloat(e.buf, v.Float(), v.Type().Bits())
	case reflect.String:
		e.buf = AppendString(e.buf, v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return e.viaStdlib(v, depth) // []byte is base64, as in encoding/json
		}
		return e.array(v, depth)
	case reflect.Array:
		return e.array(v, depth)
	case reflect.Struct:
		return e.structValue(v, depth)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return e.viaStdlib(v, depth)
		}
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = AppendString(e.buf, k.String())
			e.buf = append(e.buf, ':')
			if err := e.encode(v.MapIndex(k), depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	default:
		return e.viaStdlib(v, depth)
	}
	return nil
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// structValue encodes a struct as encoding/json does (json tags, omitempty, "-", embedded structs promoted), with
// the value rules for what its fields hold.
func (e *encoder) structValue(v reflect.Value, depth int) error {
	e.buf = append(e.buf, '{')
	first := true
	for _, f := range jsonFieldsOf(v.Type()) {
		fv, ok := fieldByIndex(v, f.index)
		if !ok || f.omitEmpty && isEmpty(fv) {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = AppendString(e.buf, f.name)
		e.buf = append(e.buf, ':')
		if err := e.encode(fv, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// fieldByIndex is v.FieldByIndex, reporting false at a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

type jsonField struct {
	name      string
	index     []int
	omitEmpty bool
	tagged    bool
}

var jsonFieldCache sync.Map // reflect.Type -> []jsonField

// jsonFieldsOf lists the fields encoding/json writes for a struct type, in its order and with its rules for
// embedded structs: a shallower field hides deeper ones of the same name; at the same depth a tagged one wins, and
// two untagged ones hide each other.
func jsonFieldsOf(t reflect.Type) []jsonField {
	if fs, ok := jsonFieldCache.Load(t); ok {
		return fs.([]jsonField)
	}
	var all []jsonField
	var walk func(t reflect.Type, index []int, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, index []int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(slices.Clone(index), i)
			if sf.Anonymous && name == "" {
				ft := sf.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, idx, seen)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			tagged := name != ""
			if !tagged {
				name = sf.Name
			}
			omit := false
			for o := range strings.SplitSeq(opts, ",") {
				omit = omit || o == "omitempty"
			}
			all = append(all, jsonField{name: name, index: idx, omitEmpty: omit, tagged: tagged})
		}
	}
	walk(t, nil, map[reflect.Type]bool{})
	var out []jsonField
	for i, f := range all {
		keep := true
		for j, g := range all {
			if i == j || g.name != f.name {
				continue
			}
			switch {
			case len(g.index) < len(f.index):
				keep = false
			case len(g.index) == len(f.index) && (g.tagged && !f.tagged || g.tagged == f.tagged):
				keep = false
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	jsonFieldCache.Store(t, out)
	return out
}

func (e *encoder) array(v reflect.Value, depth int) error {
	e.buf = append(e.buf, '[')
	for i := range v.Len() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encode(v.Index(i), depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

// viaStdlib encodes v with encoding/json, then decodes and re-encodes the result so the rules above hold.
func (e *encoder) viaStdlib(v reflect.Value, depth int) error {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Errorf("cannot encode JSON: %w", err)
	}
	x, err := Unmarshal(b)
	if err != nil {
		return fmt.Errorf("cannot encode JSON: %T: %w", v.Interface(), err)
	}
	return e.encode(reflect.ValueOf(x), depth+1)
}

// AppendFloat appends f as Marshal writes it: the shortest representation that reads back as the same float, in
// encoding/json's style (an exponent only below 1e-6 or from 1e21 on, "1e-7" not "1e-07"), always with a '.' or an
// exponent so it reads back as a float; NaN, Infinity and -Infinity for the non-finite values. bits is 32 or 64.
func AppendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, '.', '0')
}

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD; <, > and & are kept as they are.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	// Most strings need no escape: write them at once, up to the first byte that may.
	plain := 0
	for plain < len(s) {
		c := s[plain]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			break
		}
		plain++
	}
	b = append(b, s[:plain]...)
	for i := plain; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but they end lines in JavaScript; escape them as encoding/json does.
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Strict returns v with every non-finite float (at any depth of maps and lists) replaced by the string "NaN",
// "Infinity" or "-Infinity", for consumers that need strict JSON (a browser's JSON.parse). v itself is not changed;
// a tree without non-finite numbers is returned as is.
func Strict(v any) any {
	if !hasNonFinite(v) {
		return v
	}
	switch x := v.(type) {
	case float64:
		return FormatFloat(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Strict(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = Strict(e)
		}
		return l
	}
	return v
}

func hasNonFinite(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x) || math.IsInf(x, 0)
	case map[string]any:
		for _, e := range x {
			if hasNonFinite(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNonFinite(e) {
				return true
			}
		}
	}
	return false
}
