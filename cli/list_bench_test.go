package cli

import (
	"fmt"
	"io"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
)

// benchExperiments are n experiments as bench/genstore makes them (the fields a listing prints), in memory.
func benchExperiments(n int) []*gitstore.Experiment {
	exps := make([]*gitstore.Experiment, n)
	for i := range exps {
		e := &gitstore.Experiment{
			ParamsJSON: fmt.Appendf(nil, `{"batch_size":%d,"epochs":%d,"lr":%g,"model":{"dropout":0.1,"layers":%d,"name":%q},"seed":%d}`,
				16<<(i%4), 10+i%5, []float64{0.0001, 0.001, 0.01, 0.1}[i%4], 2+i%6, []string{"mlp", "cnn", "resnet", "vit"}[i%4], i),
			ResultsJSON: fmt.Appendf(nil, `{"accuracy":0.%04d,"loss":0.%06d,"step":1000}`, i*7919%10000, i*104729%1000000),
		}
		e.ID = fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		e.ShortID = e.ID[:7]
		e.Name = fmt.Sprintf("train[lr=%g,bs=%d]", []float64{0.0001, 0.001, 0.01, 0.1}[i%4], 16<<(i%4))
		e.Status = "completed"
		e.Created = fmt.Sprintf("2026-11-26T10:%02d:00.000Z", i%60)
		e.DurationS = float64(i%60000) / 1000
		e.Tags = []string{"bench", "sweep"}[:1+i%2]
		e.Index()
		exps[i] = e
	}
	return exps
}

// BenchmarkWriteTSV: the rows of `git exp list` on a pipe (its default columns), without the cache's decoding.
func BenchmarkWriteTSV(b *testing.B) {
	exps := benchExperiments(20000)
	env := &Env{IO: &IO{Out: io.Discard}}
	cols := []string{"id", "name", "status", "created", "duration", "tags", "params", "results"}
	short := func(e *gitstore.Experiment) string { return e.ShortID }
	b.ResetTimer()
	for range b.N {
		if _, _, err := writeTSV(env, nil, sliceSource(exps, len(exps)), cols, short, "", false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(exps)), "ns/row")
}
