package gitstore

import (
	"context"
	"os"
	"testing"
)

// BenchmarkCacheBreakdown reports what the cache stores per experiment, by part (bytes/exp), for the store at
// GITEXP_BENCH_STORE (made by bench/genstore; skipped without it): what a smaller cache format could leave out.
//
//	GITEXP_BENCH_STORE=REPO go test ./gitstore -run '^$' -bench BenchmarkCacheBreakdown -benchtime 1x
func BenchmarkCacheBreakdown(b *testing.B) {
	dir := os.Getenv("GITEXP_BENCH_STORE")
	if dir == "" {
		b.Skip("GITEXP_BENCH_STORE is not set")
	}
	st, err := Open(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i := 0; i < b.N; i++ {
		exps, err := st.Experiments()
		if err != nil {
			b.Fatal(err)
		}
		SortNewest(exps)
		var pj, mj, total, alone int
		for i, e := range exps {
			pj += len(e.ParamsJSON) + len(e.ResultsJSON)
			mj += len(e.MetricsJSON)
			var prev *Experiment
			if i%cacheBlock != 0 {
				prev = exps[i-1]
			}
			var enc cacheEnc
			enc.experiment(e, prev)
			total += len(enc.b)
			enc.b = enc.b[:0]
			enc.experiment(e, nil)
			alone += len(enc.b)
		}
		n := float64(len(exps))
		b.ReportMetric(float64(total)/n, "cache-B/exp")
		b.ReportMetric(float64(alone)/n, "alone-B/exp") // without references to the experiment before
		b.ReportMetric(float64(pj)/n, "json-B/exp")
		b.ReportMetric(float64(mj)/n, "metrics-B/exp")
		b.ReportMetric(float64(total-pj-mj)/n, "manifest-B/exp")
	}
}
