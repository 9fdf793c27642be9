package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting when encoding, so a self-referencing value fails instead of overflowing the stack.
const maxJSONDepth = 10000

// MarshalJSON encodes a parameters or results tree as compact JSON that keeps its types: a float64 always carries a
// '.' or an exponent ("1.0", not "1") so it decodes as a float again, ints are plain integers, map keys are
// sorted, and HTML characters are not escaped. NaN and ±Inf are errors, as JSON cannot hold them.
//
// Besides the tree types (int, float64, bool, nil, string, []any, map[string]any) it accepts every integer, float,
// slice, array, pointer and string-keyed map type; anything else (structs, json.Marshaler) goes through
// encoding/json and then the rules above.
func MarshalJSON(v any) ([]byte, error) {
	e := &jsonEncoder{}
	if err := e.encodeAny(v, 0); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

// MarshalJSONIndent is MarshalJSON with two-space indentation and a final newline.
func MarshalJSONIndent(v any) ([]byte, error) {
	b, err := MarshalJSON(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// UnmarshalJSON decodes one JSON value keeping number types: a number without '.' or exponent is an int (a float64
// when it does not fit an int64), any other number a float64; objects are map[string]any and arrays []any.
func UnmarshalJSON(data []byte) (any, error) {
	if v, ok := fastUnmarshal(data); ok {
		return v, nil
	}
	return unmarshalStd(data)
}

// CheckJSONDepth reports an error when the JSON text data nests objects and arrays more than MaxDepth levels deep.
// It reads data once, without decoding it, so that a deeply nested value is refused before any decoder (or code
// that walks the decoded tree) spends time on it.
func CheckJSONDepth(data []byte) error {
	depth, inString := 0, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("invalid JSON: nested more than %d levels deep", MaxDepth)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// unmarshalStd is UnmarshalJSON through encoding/json, for what fastUnmarshal does not handle.
func unmarshalStd(data []byte) (any, error) {
	if err := CheckJSONDepth(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid JSON: unexpected data after the value")
	}
	return fromJSON(v)
}

// fromJSON replaces json.Numbers with ints and float64s.
func fromJSON(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		return parseNumber(string(v))
	case map[string]any:
		for k, e := range v {
			x, err := fromJSON(e)
			if err != nil {
				return nil, err
			}
			v[k] = x
		}
	case []any:
		for i, e := range v {
			x, err := fromJSON(e)
			if err != nil {
				return nil, err
			}
			v[i] = x
		}
	}
	return v, nil
}

func parseNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: number %s is out of range", s)
	}
	return f, nil
}

type jsonEncoder struct {
	buf bytes.Buffer
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// encodeAny encodes the tree types directly (the common case: params, results, exported rows), anything else
// through reflection (encode). Both give the same bytes.
func (e *jsonEncoder) encodeAny(v any, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("cannot encode JSON: nested more than %d levels (a value that contains itself?)", maxJSONDepth)
	}
	switch x := v.(type) {
	case nil:
		e.buf.WriteString("null")
	case string:
		e.string(x)
	case int:
		e.buf.WriteString(strconv.Itoa(x))
	case float64:
		return e.float(x, 64)
	case bool:
		e.buf.WriteString(strconv.FormatBool(x))
	case map[string]any:
		if x == nil {
			e.buf.WriteString("null")
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.string(k)
			e.buf.WriteByte(':')
			if err := e.encodeAny(x[k], depth+1); err != nil {
				return err
			}
		}
		e.buf.WriteByte('}')
	case []any:
		if x == nil {
			e.buf.WriteString("null")
			return nil
		}
		e.buf.WriteByte('[')
		for i, el := range x {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			if err := e.encodeAny(el, depth+1); err != nil {
				return err
			}
		}
		e.buf.WriteByte(']')
	default:
		return e.encode(reflect.ValueOf(v), depth)
	}
	return nil
}

func (e *jsonEncoder) encode(v reflect.Value, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("cannot encode JSON: nested more than %d levels (a value that contains itself?)", maxJSONDepth)
	}
	if !v.IsValid() {
		e.buf.WriteString("null")
		return nil
	}
	if v.Type().Implements(marshalerType) && v.Kind() != reflect.Interface {
		return e.viaStdlib(v, depth)
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		return e.encode(v.Elem(), depth+1)
	case reflect.Bool:
		e.buf.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return e.float(v.Float(), v.Type().Bits())
	case reflect.String:
		e.string(v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return e.viaStdlib(v, depth) // []byte is base64, as in encoding/json
		}
		return e.array(v, depth)
	case reflect.Array:
		return e.array(v, depth)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return e.viaStdlib(v, depth)
		}
		if v.IsNil() {
			e.buf.WriteString("null")
			return nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		e.buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.string(k.String())
			e.buf.WriteByte(':')
			if err := e.encode(v.MapIndex(k), depth+1); err != nil {
				return err
			}
		}
		e.buf.WriteByte('}')
	default:
		return e.viaStdlib(v, depth)
	}
	return nil
}

func (e *jsonEncoder) array(v reflect.Value, depth int) error {
	e.buf.WriteByte('[')
	for i := range v.Len() {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		if err := e.encode(v.Index(i), depth+1); err != nil {
			return err
		}
	}
	e.buf.WriteByte(']')
	return nil
}

// viaStdlib encodes v with encoding/json, then decodes and re-encodes the result so the rules above hold.
func (e *jsonEncoder) viaStdlib(v reflect.Value, depth int) error {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return fmt.Errorf("cannot encode JSON: %w", err)
	}
	x, err := UnmarshalJSON(b)
	if err != nil {
		return fmt.Errorf("cannot encode JSON: %T: %w", v.Interface(), err)
	}
	return e.encode(reflect.ValueOf(x), depth+1)
}

func (e *jsonEncoder) float(f float64, bits int) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("cannot encode JSON: %v is not a number JSON can hold", f)
	}
	// The shortest representation, as encoding/json writes it (exponent only for very large or small values).
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	s := strconv.FormatFloat(f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
	}
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	e.buf.WriteString(s)
	return nil
}

// string writes s as a JSON string. Invalid UTF-8 becomes U+FFFD; <, > and & are kept as they are.
func (e *jsonEncoder) string(s string) {
	const hex = "0123456789abcdef"
	e.buf.WriteByte('"')
	// Most strings need no escape: write them at once, up to the first byte that may.
	plain := 0
	for plain < len(s) {
		c := s[plain]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			break
		}
		plain++
	}
	e.buf.WriteString(s[:plain])
	for i := plain; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				e.buf.WriteByte('\\')
				e.buf.WriteByte(c)
			case c == '\n':
				e.buf.WriteString(`\n`)
			case c == '\r':
				e.buf.WriteString(`\r`)
			case c == '\t':
				e.buf.WriteString(`\t`)
			case c < 0x20:
				e.buf.WriteString(`\u00`)
				e.buf.WriteByte(hex[c>>4])
				e.buf.WriteByte(hex[c&0xf])
			default:
				e.buf.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			e.buf.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but they end lines in JavaScript; escape them as encoding/json does.
			e.buf.WriteString(`\u202`)
			e.buf.WriteByte(hex[r&0xf])
		default:
			e.buf.WriteString(s[i : i+size])
		}
		i += size
	}
	e.buf.WriteByte('"')
}
