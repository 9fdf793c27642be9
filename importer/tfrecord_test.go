package importer

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/git-exp/git-exp/importer/fixture"
)

func TestRecordChecksums(t *testing.T) {
	good := fixture.Events(
		fixture.Event{WallTime: 1, Step: 1, Scalars: []fixture.Scalar{{Tag: "a", Value: 1}}},
		fixture.Event{WallTime: 2, Step: 2, Scalars: []fixture.Scalar{{Tag: "a", Value: 2}}},
	)
	first := len(fixture.Record(fixture.EncodeEvent(fixture.Event{WallTime: 1, Step: 1, Scalars: []fixture.Scalar{{Tag: "a", Value: 1}}})))
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
		reason string
	}{
		{"length crc", func(b []byte) []byte { b[first+8] ^= 1; return b }, "length checksum mismatch"},
		{"data crc", func(b []byte) []byte { b[first+14] ^= 1; return b }, "data checksum mismatch"},
		{"cut header", func(b []byte) []byte { return b[:first+5] }, "truncated record header (5 of 12 bytes)"},
		{"cut data", func(b []byte) []byte { return b[:len(b)-1] }, "truncated record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := &tbRun{run: &Run{}, plugins: map[string]string{}, first: math.Inf(1), last: math.Inf(-1)}
			n, err := rs.read(bytes.NewReader(tc.damage(bytes.Clone(good))))
			var re *RecordError
			if !errors.As(err, &re) || re.Offset != int64(first) || !bytes.Contains([]byte(re.Reason), []byte(tc.reason)) || n != 1 || len(rs.run.Metrics) != 1 {
				t.Fatalf("n=%d err=%v metrics=%v", n, err, rs.run.Metrics)
			}
		})
	}
}

func TestScalarTensors(t *testing.T) {
	for _, tc := range []struct {
		t    tensor
		want any
	}{
		{tensor{DType: dtDouble, Elements: 1, Doubles: []float64{0.1}}, 0.1},
		{tensor{DType: dtFloat, Elements: 1, Content: []byte{0xcd, 0xcc, 0xcc, 0x3d}}, 0.1},
		{tensor{DType: dtInt64, Elements: 1, Ints: []int64{-3}}, -3},
		{tensor{DType: dtBool, Elements: 1, Ints: []int64{1}}, true},
		{tensor{DType: dtHalf, Elements: 1, Ints: []int64{0x3c00}}, 1.0},
	} {
		if got, ok := tc.t.scalar(); !ok || got != tc.want {
			t.Errorf("%+v: %v %v, want %v", tc.t, got, ok, tc.want)
		}
	}
	if _, ok := (&tensor{DType: dtFloat, Elements: 3, Floats: []float32{1, 2, 3}}).scalar(); ok {
		t.Error("a vector is not a scalar")
	}
}

// FuzzEventFile feeds arbitrary bytes to the TFRecord and Event readers: they must never panic, must stop at the
// first damage with a RecordError, and keep every event before it.
func FuzzEventFile(f *testing.F) {
	f.Add(fixture.Events(
		fixture.Event{WallTime: 1, FileVersion: "brain.Event:2"},
		fixture.Event{WallTime: 2, Step: 1, Scalars: []fixture.Scalar{{Tag: "loss", Value: 0.5}, {Tag: "acc", Value: 0.1, Tensor: true, Plugin: "scalars"}}},
		fixture.Event{WallTime: 3, HParams: map[string]any{"lr": 0.1, "name": "x", "on": true}},
		fixture.Event{WallTime: 4, EndStatus: 1},
	))
	f.Add([]byte{})
	f.Add(fixture.Record([]byte{0x2a, 0xff}))
	f.Add(fixture.Record([]byte{0x2a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x61}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs := &tbRun{run: &Run{}, plugins: map[string]string{}, first: math.Inf(1), last: math.Inf(-1)}
		n, err := rs.read(bytes.NewReader(data))
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error of another kind: %v", err)
		}
		if n < 0 || (err == nil && len(data) > 0 && n == 0) {
			t.Fatalf("n=%d err=%v for %d bytes", n, err, len(data))
		}
		for _, p := range rs.run.Metrics {
			if _, err := appendValue(nil, p.Value); err != nil {
				t.Fatalf("metric %q not storable: %v", p.Name, err)
			}
		}
		if _, err := marshalObject(rs.params); err != nil {
			t.Fatalf("params not storable: %v", err)
		}
	})
}

// FuzzEventMessage frames arbitrary bytes as a valid record, so the fuzzer reaches the Event decoder past the
// checksums: a message that is not an Event is a RecordError, anything else is read without panicking.
func FuzzEventMessage(f *testing.F) {
	f.Add(fixture.EncodeEvent(fixture.Event{WallTime: 2, Step: 1, Scalars: []fixture.Scalar{{Tag: "loss", Value: 0.5}, {Tag: "acc", Value: 0.1, Tensor: true, Plugin: "scalars"}}}))
	f.Add(fixture.EncodeEvent(fixture.Event{WallTime: 3, HParams: map[string]any{"lr": 0.1, "name": "x", "on": true}}))
	f.Add(fixture.EncodeEvent(fixture.Event{WallTime: 4, EndStatus: 2}))
	f.Fuzz(func(t *testing.T, msg []byte) {
		rs := &tbRun{run: &Run{}, plugins: map[string]string{}, first: math.Inf(1), last: math.Inf(-1)}
		_, err := rs.read(bytes.NewReader(fixture.Record(msg)))
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error of another kind: %v", err)
		}
		for _, p := range rs.run.Metrics {
			if _, err := appendValue(nil, p.Value); err != nil {
				t.Fatalf("metric %q not storable: %v", p.Name, err)
			}
		}
		if _, err := marshalObject(rs.params); err != nil {
			t.Fatalf("params not storable: %v", err)
		}
	})
}
