package gitstore

import "testing"

// BenchmarkAppendKV: the k=v form of params and results as bench/genstore writes them (what `git exp list` prints
// on a pipe, per row).
func BenchmarkAppendKV(b *testing.B) {
	e := Experiment{
		ParamsJSON:  []byte(`{"batch_size":128,"epochs":14,"lr":0.0001,"model":{"dropout":0.1,"layers":5,"name":"vit"},"seed":999999}`),
		ResultsJSON: []byte(`{"accuracy":0.8287,"loss":0.535267,"step":1000}`),
	}
	e.Index()
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(e.ParamsJSON) + len(e.ResultsJSON)))
	for b.Loop() {
		buf = e.AppendResultsKV(e.AppendParamsKV(buf[:0]))
	}
}
