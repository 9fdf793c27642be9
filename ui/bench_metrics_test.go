package ui

import (
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/internal/testrepo"
)

// BenchmarkMetricsThin reads one stored metric series of GITEXP_BENCH_POINTS points (default 1,000,000) as the
// metrics API does on a cold request (thinned to 2,000 points), next to one plain reading of the same series
// (results.Experiment.Series and Each, nothing kept), alternating: the thinning must cost no more than the reading
// (thin/read about 1). The thinned answer is the API's first cold path for a run without a stored summary (a store
// written before it): the file read once into the summary (which is then kept on disk), drawn from it. stored-ms is the same cold answer for
// the same series recorded with its summary (thin.FileName), as the end of a run stores it; cached-ms the cold
// answer for the run without it once its summary is kept on disk (thinCache: a server started after one that read
// the file).
//
//	go test ./ui -run '^$' -bench BenchmarkMetricsThin -benchtime 3x
func BenchmarkMetricsThin(b *testing.B) {
	n := 1000000
	if v := os.Getenv("GITEXP_BENCH_POINTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dir := testrepo.New(b)
	st := testrepo.Open(b, dir)
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `{"step": %d, "loss": %.6g}`+"\n", i, math.Exp(-float64(i)/float64(n)*5)+0.01*math.Sin(float64(i)))
	}
	id := testrepo.Record(b, st, testrepo.Run{Name: "big", Metrics: sb.String()})
	withSummary := testrepo.Record(b, st, testrepo.Run{Name: "big-stored", Metrics: sb.String(), Thin: true})
	sb.Reset()
	s := newTestServer(b, dir, Options{})
	x, e, err := s.get(httptest.NewRequest("GET", "/", nil), id)
	if err != nil {
		b.Fatal(err)
	}
	xs, es, err := s.get(httptest.NewRequest("GET", "/", nil), withSummary)
	if err != nil {
		b.Fatal(err)
	}
	// The three alternate, so that a loaded machine weighs on all alike.
	var read, thin, stored, cached time.Duration
	for b.Loop() {
		t0 := time.Now()
		sr, err := x.Series()
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		if err := sr.Each(func(exp.Point) error { got++; return nil }); err != nil || got != n {
			b.Fatal(got, err)
		}
		os.RemoveAll(s.thinCache.dir)
		t1 := time.Now()
		s.metricsCache = newMetricsCache() // cold: the file is read (and its summary kept on disk)
		if _, _, err := s.metricsAnswer(x, e, nil, 2000, math.Inf(-1), math.Inf(1)); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		s.metricsCache = newMetricsCache()
		if _, _, err := s.metricsAnswer(xs, es, nil, 2000, math.Inf(-1), math.Inf(1)); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		s.metricsCache = newMetricsCache() // cold again, as after a restart: the summary kept on disk
		if _, _, err := s.metricsAnswer(x, e, nil, 2000, math.Inf(-1), math.Inf(1)); err != nil {
			b.Fatal(err)
		}
		read, thin, stored, cached = read+t1.Sub(t0), thin+t2.Sub(t1), stored+t3.Sub(t2), cached+time.Since(t3)
	}
	if ents, _ := os.ReadDir(s.thinCache.dir); len(ents) != 1 {
		b.Fatalf("%d summaries kept on disk, want 1", len(ents))
	}
	b.ReportMetric(float64(read.Milliseconds())/float64(b.N), "read-ms")
	b.ReportMetric(float64(thin.Milliseconds())/float64(b.N), "thin2000-ms")
	b.ReportMetric(float64(thin)/float64(read), "thin/read")
	b.ReportMetric(float64(stored.Microseconds())/1000/float64(b.N), "stored-ms")
	b.ReportMetric(float64(cached.Microseconds())/1000/float64(b.N), "cached-ms")
}
