package gitstore

import (
	"unicode/utf8"

	"github.com/git-exp/git-exp/value"
)

// CapValue is the most the cache keeps of one value of a finished experiment's params, results or metrics summary:
// a string is cut to its first CapValue bytes (and "…"), a list to its first elements that fit in CapValue bytes of
// JSON; maps keep every key, each value cut by the same rule. The store keeps every value whole: `show`, `--json`
// and everything that reruns an experiment read it from there (Store.Full). A 50 MB value pulled from a teammate
// thus costs every later `list` nothing.
const CapValue = 4096

// capValues cuts the values of a JSON document longer than CapValue; cut says whether it did. A document that is
// not JSON and longer than CapValue is not kept at all (readers show a document that is not JSON as {}).
func capValues(raw []byte) (out []byte, cut bool) {
	if len(raw) <= CapValue { // no value is longer than the whole
		return raw, false
	}
	x, err := value.Unmarshal(raw)
	if err != nil {
		return nil, true
	}
	if x, cut = capTree(x); !cut {
		return raw, false
	}
	b, err := value.Marshal(x)
	if err != nil {
		return nil, true
	}
	return b, true
}

func capTree(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if len(x) > CapValue {
			n := CapValue
			for n > 0 && !utf8.RuneStart(x[n]) {
				n--
			}
			return x[:n] + "…", true
		}
	case map[string]any:
		cut := false
		for k, y := range x {
			if y, c := capTree(y); c {
				x[k], cut = y, true
			}
		}
		return x, cut
	case []any:
		if b, err := value.Marshal(x); err == nil && len(b) <= CapValue {
			return x, false
		}
		out := make([]any, 0, 16)
		size := 2 // []
		for _, y := range x {
			y, _ = capTree(y)
			b, err := value.Marshal(y)
			if err != nil || size+len(b)+1 > CapValue {
				break
			}
			out = append(out, y)
			size += len(b) + 1
		}
		return out, true
	}
	return v, false
}
