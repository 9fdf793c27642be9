package results

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/value"
)

// lookupTop finds key among the typed top-level values of gitstore.EncodeTop and decodes its value as DecodeJSON
// would (ints as int, other numbers as float64, nested values from their JSON). valid is false when top cannot be
// read; the caller then decodes the JSON.
func lookupTop(top []byte, key string) (val any, found, valid bool) {
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
		case gitstore.TopNull:
		case gitstore.TopFalse:
			v = false
		case gitstore.TopTrue:
			v = true
		case gitstore.TopInt:
			x, w := binary.Varint(b)
			if w <= 0 {
				return nil, false, false
			}
			skip = w
			if hit {
				v = int(x)
			}
		case gitstore.TopFloat:
			if len(b) < 8 {
				return nil, false, false
			}
			skip = 8
			if hit {
				v = math.Float64frombits(binary.LittleEndian.Uint64(b))
			}
		case gitstore.TopString, gitstore.TopJSON:
			l, w := binary.Uvarint(b)
			if w <= 0 || uint64(len(b)-w) < l {
				return nil, false, false
			}
			skip = w + int(l)
			if hit {
				if kind == gitstore.TopString {
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
