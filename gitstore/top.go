package gitstore

import (
	"encoding/binary"
	"math"
	"sort"

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
