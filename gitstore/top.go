package gitstore

import (
	"encoding/binary"
	"math"
	"sort"
	"unsafe"

	"github.com/git-exp/git-exp/value"
)

// Top-level values of params.json and results.json, encoded once when an experiment is read from git and kept in
// the cache, so that filtering 100,000 experiments reads typed values instead of parsing JSON:
// a sequence of (key, kind, value), keys sorted. Nested maps and lists are kept as JSON (kind TopJSON).
const (
	TopNull byte = iota
	TopFalse
	TopTrue
	TopInt    // varint
	TopFloat  // 8 bytes, little endian
	TopString // uvarint length + bytes
	TopJSON   // uvarint length + JSON
)

// EncodeTop encodes the top level of a JSON object; nil when it is not one.
func EncodeTop(raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	v, err := value.Unmarshal(raw)
	if err != nil {
		return nil
	}
	return encodeTop(v)
}

// encodeTop is EncodeTop of the decoded JSON.
func encodeTop(v any) []byte {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{}
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		switch x := m[k].(type) {
		case nil:
			b = append(b, TopNull)
		case bool:
			if x {
				b = append(b, TopTrue)
			} else {
				b = append(b, TopFalse)
			}
		case int:
			b = append(b, TopInt)
			b = binary.AppendVarint(b, int64(x))
		case float64:
			b = append(b, TopFloat)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		case string:
			b = append(b, TopString)
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		default:
			j, err := value.Marshal(x)
			if err != nil {
				return nil
			}
			b = append(b, TopJSON)
			b = binary.AppendUvarint(b, uint64(len(j)))
			b = append(b, j...)
		}
	}
	return b
}

// LookupTop finds key among the typed top-level values of EncodeTop and decodes its value as DecodeJSON
// would (ints as int, other numbers as float64, nested values from their JSON). valid is false when top cannot be
// read; the caller then decodes the JSON.
func LookupTop(top []byte, key string) (val any, found, valid bool) {
	b := top
	for len(b) > 0 {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n+1 {
			return nil, false, false
		}
		k := b[w : w+int(n)]
		kind := b[w+int(n)]
		b = b[w+int(n)+1:]
		hit := string(k) == key // compares without allocating
		var v any
		skip := 0
		switch kind {
		case TopNull:
		case TopFalse:
			v = false
		case TopTrue:
			v = true
		case TopInt:
			x, w := binary.Varint(b)
			if w <= 0 {
				return nil, false, false
			}
			skip = w
			if hit {
				v = int(x)
			}
		case TopFloat:
			if len(b) < 8 {
				return nil, false, false
			}
			skip = 8
			if hit {
				v = math.Float64frombits(binary.LittleEndian.Uint64(b))
			}
		case TopString, TopJSON:
			l, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w) < l {
				return nil, false, false
			}
			skip = w + int(l)
			if hit {
				if kind == TopString {
					v = unsafe.String(unsafe.SliceData(b[w:skip]), skip-w) // top is never modified
				} else if v, _ = value.Unmarshal(b[w:skip]); v == nil {
					return nil, false, false
				}
			}
		default:
			return nil, false, false
		}
		if hit {
			return v, true, true
		}
		b = b[skip:]
	}
	return nil, false, true
}
