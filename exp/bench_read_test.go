package exp

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkReadMetrics reads a metrics file of 10,000 lines as Log writes them.
func BenchmarkReadMetrics(b *testing.B) {
	var buf bytes.Buffer
	for i := range 10000 {
		fmt.Fprintf(&buf, `{"step":%d,"time":"2025-01-01T00:00:00.123456789Z","acc":0.%04d,"loss":1.%04d,"lr":0.001}`+"\n", i, i, i)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		pts, err := ReadMetrics(bytes.NewReader(data))
		if err != nil || len(pts) != 10000 {
			b.Fatal(len(pts), err)
		}
	}
}
