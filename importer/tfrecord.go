package importer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// TFRecord framing (tensorflow/core/lib/io/record_writer.cc): each record is
//
//	uint64 length (little endian) | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)
//
// and TensorBoard's event files hold one serialized tensorflow.Event per record.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is TensorFlow's masked CRC-32C: rotate right by 15 bits and add a constant.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// maxRecord bounds the length a record may claim (a damaged length must not make us allocate gigabytes).
const maxRecord = 256 << 20

// RecordError says where a TFRecord file stopped being readable.
type RecordError struct {
	Offset int64 // byte offset of the damaged record
	Reason string
}

func (e *RecordError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset, e.Reason) }

// recordReader reads TFRecord records, checking both checksums.
type recordReader struct {
	r   *bufio.Reader
	off int64
	buf []byte
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next record (valid until the following call); io.EOF at a clean end, a *RecordError at damage.
func (rr *recordReader) next() ([]byte, error) {
	var head [12]byte
	n, err := io.ReadFull(rr.r, head[:])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &RecordError{rr.off, fmt.Sprintf("truncated record header (%d of 12 bytes)", n)}
		}
		return nil, err
	}
	if maskedCRC(head[:8]) != binary.LittleEndian.Uint32(head[8:]) {
		return nil, &RecordError{rr.off, "length checksum mismatch"}
	}
	size := binary.LittleEndian.Uint64(head[:8])
	if size > maxRecord {
		return nil, &RecordError{rr.off, fmt.Sprintf("record length %d is implausible", size)}
	}
	if cap(rr.buf) < int(size)+4 {
		rr.buf = make([]byte, int(size)+4)
	}
	rr.buf = rr.buf[:int(size)+4]
	if n, err := io.ReadFull(rr.r, rr.buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			return nil, &RecordError{rr.off, fmt.Sprintf("truncated record (%d of %d bytes)", n, size+4)}
		}
		return nil, err
	}
	data := rr.buf[:size]
	if maskedCRC(data) != binary.LittleEndian.Uint32(rr.buf[size:]) {
		return nil, &RecordError{rr.off, "data checksum mismatch"}
	}
	rr.off += 12 + int64(size) + 4
	return data, nil
}

// event is what we use of a tensorflow.Event (tensorflow/core/util/event.proto).
type event struct {
	WallTime float64
	Step     int64
	Values   []summaryValue
}

// summaryValue is a tensorflow.Summary.Value (tensorflow/core/framework/summary.proto).
type summaryValue struct {
	Tag       string
	Plugin    string // metadata.plugin_data.plugin_name ("" when the value carries no metadata)
	Content   []byte // metadata.plugin_data.content
	HasSimple bool
	Simple    float32
	Tensor    *tensor
}

// tensor is the part of a tensorflow.TensorProto a scalar needs (tensorflow/core/framework/tensor.proto).
type tensor struct {
	DType    int
	Elements int64 // product of the shape's dimensions (1 for a scalar)
	Content  []byte
	Floats   []float32
	Doubles  []float64
	Ints     []int64 // int_val, int64_val, bool_val, half_val
}

// TensorFlow DataType values.
const (
	dtFloat  = 1
	dtDouble = 2
	dtInt32  = 3
	dtUint8  = 4
	dtInt16  = 5
	dtInt8   = 6
	dtInt64  = 9
	dtBool   = 10
	dtHalf   = 19
)

// fieldFunc receives one field: v holds the varint or fixed value, b the bytes of a length-delimited field.
type fieldFunc func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error

// walkFields calls fn for every field of a message, in order.
func walkFields(msg []byte, fn fieldFunc) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
		var v uint64
		var b []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(msg)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(msg)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(msg)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(msg)
		default:
			n = protowire.ConsumeFieldValue(num, typ, msg)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
		if err := fn(num, typ, v, b); err != nil {
			return err
		}
	}
	return nil
}

// packed reads a repeated scalar field, packed (bytes) or not (one value).
func packed(typ protowire.Type, v uint64, b []byte, wire protowire.Type, add func(uint64)) error {
	if typ != protowire.BytesType {
		add(v)
		return nil
	}
	for len(b) > 0 {
		var x uint64
		var n int
		switch wire {
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		default:
			x, n = protowire.ConsumeVarint(b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		add(x)
	}
	return nil
}

func decodeEvent(data []byte) (*event, error) {
	ev := &event{}
	err := walkFields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			ev.WallTime = math.Float64frombits(v)
		case num == 2 && typ == protowire.VarintType:
			ev.Step = int64(v)
		case num == 5 && typ == protowire.BytesType: // summary
			return walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num != 1 || typ != protowire.BytesType {
					return nil
				}
				sv, err := decodeValue(b)
				if err != nil {
					return err
				}
				ev.Values = append(ev.Values, sv)
				return nil
			})
		}
		return nil
	})
	return ev, err
}

func decodeValue(data []byte) (summaryValue, error) {
	var sv summaryValue
	err := walkFields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			sv.Tag = string(b)
		case num == 2 && typ == protowire.Fixed32Type:
			sv.HasSimple, sv.Simple = true, math.Float32frombits(uint32(v))
		case num == 9 && typ == protowire.BytesType: // metadata
			return walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num != 1 || typ != protowire.BytesType { // plugin_data
					return nil
				}
				return walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
					switch {
					case num == 1 && typ == protowire.BytesType:
						sv.Plugin = string(b)
					case num == 2 && typ == protowire.BytesType:
						sv.Content = append([]byte(nil), b...)
					}
					return nil
				})
			})
		case num == 8 && typ == protowire.BytesType:
			t, err := decodeTensor(b)
			if err != nil {
				return err
			}
			sv.Tensor = t
		}
		return nil
	})
	return sv, err
}

func decodeTensor(data []byte) (*tensor, error) {
	t := &tensor{Elements: 1}
	err := walkFields(data, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case 1:
			t.DType = int(v)
		case 2: // tensor_shape: dim { size }
			return walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num != 2 || typ != protowire.BytesType {
					return nil
				}
				return walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
					if num == 1 && typ == protowire.VarintType {
						t.Elements *= int64(v)
					}
					return nil
				})
			})
		case 4:
			t.Content = append([]byte(nil), b...)
		case 5:
			return packed(typ, v, b, protowire.Fixed32Type, func(x uint64) { t.Floats = append(t.Floats, math.Float32frombits(uint32(x))) })
		case 6:
			return packed(typ, v, b, protowire.Fixed64Type, func(x uint64) { t.Doubles = append(t.Doubles, math.Float64frombits(x)) })
		case 7, 10, 11, 13:
			return packed(typ, v, b, protowire.VarintType, func(x uint64) { t.Ints = append(t.Ints, int64(x)) })
		}
		return nil
	})
	return t, err
}

// scalar is the value of a tensor holding one number, ok false for anything else.
func (t *tensor) scalar() (any, bool) {
	if t.Elements != 1 {
		return nil, false
	}
	c := t.Content
	switch t.DType {
	case dtFloat:
		switch {
		case len(t.Floats) > 0:
			return float32Value(t.Floats[0]), true
		case len(c) == 4:
			return float32Value(math.Float32frombits(binary.LittleEndian.Uint32(c))), true
		}
	case dtDouble:
		switch {
		case len(t.Doubles) > 0:
			return t.Doubles[0], true
		case len(c) == 8:
			return math.Float64frombits(binary.LittleEndian.Uint64(c)), true
		}
	case dtInt32, dtInt16, dtInt8, dtUint8:
		switch {
		case len(t.Ints) > 0:
			return int(int32(t.Ints[0])), true
		case len(c) == 4:
			return int(int32(binary.LittleEndian.Uint32(c))), true
		case len(c) == 2:
			return int(int16(binary.LittleEndian.Uint16(c))), true
		case len(c) == 1:
			if t.DType == dtUint8 {
				return int(c[0]), true
			}
			return int(int8(c[0])), true
		}
	case dtInt64:
		switch {
		case len(t.Ints) > 0:
			return int(t.Ints[0]), true
		case len(c) == 8:
			return int(int64(binary.LittleEndian.Uint64(c))), true
		}
	case dtBool:
		switch {
		case len(t.Ints) > 0:
			return t.Ints[0] != 0, true
		case len(c) == 1:
			return c[0] != 0, true
		}
	case dtHalf:
		switch {
		case len(t.Ints) > 0:
			return float32Value(halfToFloat(uint16(t.Ints[0]))), true
		case len(c) == 2:
			return float32Value(halfToFloat(binary.LittleEndian.Uint16(c))), true
		}
	}
	return nil, false
}

// float32Value is a float32 as the float64 with the same shortest decimal form (0.1f is 0.1, not 0.10000000149).
func float32Value(f float32) float64 {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return float64(f)
	}
	x, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return x
}

// halfToFloat converts IEEE 754 half precision bits.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(frac) / 1024 * float32(math.Pow(2, -14))
		if sign != 0 {
			return -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// hparams decodes an HParamsPluginData (tensorboard/plugins/hparams/plugin_data.proto): the session_start_info's
// hyperparameters, and the session_end_info's status (0 when absent).
func decodeHParams(content []byte) (params map[string]any, endStatus int, err error) {
	err = walkFields(content, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case num == 3 && typ == protowire.BytesType: // session_start_info
			return walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num != 1 || typ != protowire.BytesType { // map<string, google.protobuf.Value> hparams
					return nil
				}
				var key string
				var val any
				err := walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
					switch {
					case num == 1 && typ == protowire.BytesType:
						key = string(b)
					case num == 2 && typ == protowire.BytesType:
						x, err := decodeStructValue(b, 0)
						val = x
						return err
					}
					return nil
				})
				if err != nil {
					return err
				}
				if params == nil {
					params = map[string]any{}
				}
				params[key] = val
				return nil
			})
		case num == 4 && typ == protowire.BytesType: // session_end_info
			return walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num == 1 && typ == protowire.VarintType {
					endStatus = int(v)
				}
				return nil
			})
		}
		return nil
	})
	return params, endStatus, err
}

// decodeStructValue decodes a google.protobuf.Value. An integral number is an int (hyperparameters such as a batch
// size arrive as doubles).
func decodeStructValue(b []byte, depth int) (any, error) {
	if depth > 64 {
		return nil, errors.New("values nested too deep")
	}
	var out any
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch num {
		case 1:
			out = nil
		case 2:
			f := math.Float64frombits(v)
			if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				out = int(f)
			} else {
				out = f
			}
		case 3:
			out = string(b)
		case 4:
			out = v != 0
		case 5: // Struct { map<string, Value> fields = 1 }
			m := map[string]any{}
			err := walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num != 1 || typ != protowire.BytesType {
					return nil
				}
				var key string
				var val any
				err := walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
					switch {
					case num == 1 && typ == protowire.BytesType:
						key = string(b)
					case num == 2 && typ == protowire.BytesType:
						x, err := decodeStructValue(b, depth+1)
						val = x
						return err
					}
					return nil
				})
				m[key] = val
				return err
			})
			out = m
			return err
		case 6: // ListValue { repeated Value values = 1 }
			list := []any{}
			err := walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
				if num != 1 || typ != protowire.BytesType {
					return nil
				}
				x, err := decodeStructValue(b, depth+1)
				list = append(list, x)
				return err
			})
			out = list
			return err
		}
		return nil
	})
	return out, err
}
