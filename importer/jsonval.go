package importer

import (
	"strconv"

	"github.com/git-exp/git-exp/value"
)

// The value tree of params, results and metrics is stored with the value package's codec: typed JSON where NaN,
// +Inf and -Inf are the bare tokens NaN, Infinity and -Infinity (what Python's json module writes and reads, and
// what yanex's metrics.json holds).

// marshalObject encodes a parameters or results tree (keys sorted) with a final newline.
func marshalObject(m map[string]any) ([]byte, error) {
	if m == nil {
		m = map[string]any{}
	}
	b, err := value.Marshal(m)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// appendValue appends v as JSON: floats always carry a '.' or an exponent so they read back as floats.
func appendValue(b []byte, v any) ([]byte, error) { return value.AppendJSON(b, v) }

func appendInt(b []byte, i int64) []byte { return strconv.AppendInt(b, i, 10) }

func appendString(b []byte, s string) []byte { return value.AppendString(b, s) }

// decodeJSON reads JSON as written by Python (NaN, Infinity and -Infinity allowed as bare tokens) into the value tree.
func decodeJSON(data []byte) (any, error) { return value.Unmarshal(data) }
