package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The value tree of params, results and metrics as stored: typed JSON where NaN, +Inf and -Inf are the bare tokens
// NaN, Infinity and -Infinity (what Python's json module writes and reads). These few functions stand in for the
// shared value package until it lands; they follow its convention exactly.

// marshalObject encodes a parameters or results tree (keys sorted) with a final newline.
func marshalObject(m map[string]any) ([]byte, error) {
	if m == nil {
		m = map[string]any{}
	}
	b, err := appendValue(nil, m)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// appendValue appends v as JSON: floats always carry a '.' or an exponent so they read back as floats.
func appendValue(b []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return appendInt(b, int64(x)), nil
	case int64:
		return appendInt(b, x), nil
	case float64:
		return appendFloat(b, x), nil
	case string:
		return appendString(b, x), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendValue(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("cannot store a value of type %T", v)
}

func appendInt(b []byte, i int64) []byte { return strconv.AppendInt(b, i, 10) }

// appendFloat writes NaN, Infinity and -Infinity as tokens, and every other float so that it reads back as a float.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if !bytes.ContainsAny(b[n:], ".e") {
		b = append(b, ".0"...)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}

// nonFinite marks a NaN/Infinity token turned into a string so encoding/json can read the document (written
// escaped as nonFiniteJSON; no JSON text holds a NUL character unescaped).
const (
	nonFinite     = "\x00nonfinite:"
	nonFiniteJSON = `\u0000nonfinite:`
)

// decodeJSON reads JSON as written by Python (NaN, Infinity and -Infinity allowed as bare tokens) into the value tree:
// integers as int, other numbers as float64, objects as map[string]any.
func decodeJSON(data []byte) (any, error) {
	var out []byte
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
		case bytes.HasPrefix(data[i:], []byte("NaN")):
			out = append(out, `"`+nonFiniteJSON+`NaN"`...)
			i += len("NaN") - 1
			continue
		case bytes.HasPrefix(data[i:], []byte("Infinity")):
			out = append(out, `"`+nonFiniteJSON+`Infinity"`...)
			i += len("Infinity") - 1
			continue
		case bytes.HasPrefix(data[i:], []byte("-Infinity")):
			out = append(out, `"`+nonFiniteJSON+`-Infinity"`...)
			i += len("-Infinity") - 1
			continue
		}
		out = append(out, c)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return typed(v), nil
}

// typed turns json.Numbers and marked tokens into ints and floats.
func typed(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 0); err == nil {
				return int(i)
			}
		}
		f, _ := strconv.ParseFloat(s, 64) // out of range is ±Inf, as the convention wants
		return f
	case string:
		if t, ok := strings.CutPrefix(x, nonFinite); ok {
			f, _ := strconv.ParseFloat(t, 64) // "NaN", "Infinity", "-Infinity"
			return f
		}
	case map[string]any:
		for k, e := range x {
			x[k] = typed(e)
		}
	case []any:
		for i, e := range x {
			x[i] = typed(e)
		}
	}
	return v
}
