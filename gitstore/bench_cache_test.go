package gitstore

import (
	"context"
	"os"
	"testing"
)

// BenchmarkCacheBreakdown reports what the cache stores per experiment, by field (bytes/exp), for the store at
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
		var doc, pj, kv, top, total int
		for _, e := range exps {
			doc += len(e.Doc)
			pj += len(e.ParamsJSON) + len(e.ResultsJSON)
			kv += len(e.ParamsKV) + len(e.ResultsKV)
			top += len(e.ParamsTop) + len(e.ResultsTop)
			var enc cacheEnc
			enc.experiment(e)
			total += len(enc.b)
		}
		n := float64(len(exps))
		b.ReportMetric(float64(total)/n, "cache-B/exp")
		b.ReportMetric(float64(doc)/n, "doc-B/exp")
		b.ReportMetric(float64(pj)/n, "json-B/exp")
		b.ReportMetric(float64(kv)/n, "kv-B/exp")
		b.ReportMetric(float64(top)/n, "top-B/exp")
		b.ReportMetric(float64(total-doc-pj-kv-top)/n, "manifest-B/exp")
	}
}
