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

// BenchmarkAppendDoc: the --json object of an experiment as bench/genstore writes them (what `git exp list --json`
// prints, per row).
func BenchmarkAppendDoc(b *testing.B) {
	code := 1
	e := Experiment{
		ParamsJSON:  []byte(`{"batch_size":128,"epochs":14,"lr":0.0001,"model":{"dropout":0.1,"layers":5,"name":"vit"},"seed":999999}`),
		ResultsJSON: []byte(`{"accuracy":0.8287,"loss":0.535267,"step":1000}`),
	}
	m := &e.Manifest
	m.Format, m.ID, m.Name, m.Tags, m.Status, m.Script = 1, "9d46b291d57219e9", "train[lr=0.0001,bs=128]", []string{"bench", "sweep"}, "failed", "train.py"
	m.Argv, m.Executor, m.Host, m.User = []string{"python3", "-u", "train.py"}, "local", "bench-host", "Bench User"
	m.Created, m.Started, m.Ended, m.Updated = "2026-11-26T10:39:00.000Z", "2026-11-26T10:39:00.000Z", "2026-11-26T10:39:32.977Z", "2026-11-26T10:39:32.977Z"
	m.DurationS, m.ExitCode, m.Error, m.Attempt = 32.977, &code, "exit status 1", 1
	m.Git = GitInfo{Head: "ecb19f488d2cc2b705d98553925f101f8bc85d2b", Branch: "main", Snapshot: "72c5d1a8a4778b352783d1272952b7e2b2359905"}
	e.Index()
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(e.AppendDoc(nil))))
	for b.Loop() {
		buf = e.AppendDoc(buf[:0])
	}
}
