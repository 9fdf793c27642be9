package query

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func benchRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		var lr any = float64(i%100) / 1000 // 0 .. 0.099
		if i%3 == 0 {
			lr = i % 2 // an int in some experiments
		}
		recs[i] = Record{
			Params:  map[string]any{"lr": lr, "bs": 32 << (i % 3), "opt": "adam", "model": map[string]any{"name": "resnet"}},
			Results: map[string]any{"acc": float64(i%1000) / 1000, "loss": 0.1},
			Meta: map[string]any{
				"id": fmt.Sprintf("%08x", i), "status": "done", "tags": []any{"a", "b"},
				"created": "2024-05-03T10:00:00Z",
			},
		}
	}
	return recs
}

// BenchmarkEval evaluates the example over 100,000 records per
// iteration; the "ms/100k" metric is the figure to keep well under 100 ms.
func BenchmarkEval(b *testing.B) {
	recs := benchRecords(100_000)
	e, err := Parse("lr > 0.01 and results.acc >= 0.9")
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC() // don't time the collection of the set-up garbage
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	matched := 0
	for b.Loop() {
		matched = 0
		for _, r := range recs {
			if e.Eval(r) {
				matched++
			}
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/1e6, "ms/100k")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/float64(len(recs)), "ns/record")
	if matched == 0 {
		b.Fatal("nothing matched")
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`lr > 0.01 and results.acc >= 0.9 or (model.name == "resnet" and bs in [32, 64] and not tags == "bad")`); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvalSpeed guards the budget loosely (the benchmark gives the figure):
// 100,000 evaluations must stay far below 100 ms even on a slow machine.
func TestEvalSpeed(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing test")
	}
	recs := benchRecords(100_000)
	e, err := Parse("lr > 0.01 and results.acc >= 0.9")
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	best := time.Hour
	for range 5 {
		start := time.Now()
		for _, r := range recs {
			e.Eval(r)
		}
		best = min(best, time.Since(start))
	}
	t.Logf("100,000 records: %v", best)
	if best > 100*time.Millisecond {
		t.Errorf("100,000 evaluations took %v, budget 100 ms", best)
	}
	if allocs := testing.AllocsPerRun(100, func() { e.Eval(recs[7]) }); allocs != 0 {
		t.Errorf("Eval allocates %v times per call", allocs)
	}
}
