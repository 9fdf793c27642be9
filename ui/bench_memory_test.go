package ui

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkServerMemory serves the store of the repository GITEXP_BENCH_STORE (made by bench/genstore, with a run
// named big-metric as bench/ui.sh records it, if any), asks what bench/ui.sh asks (the runs table's first page:
// plain, sorted, filtered; the big metric thinned), and reports the server's memory: heap-MiB, the heap alive after
// a collection; peak-MiB, the peak resident memory of the process (the benchmark's too), of which file-MiB is
// mapped files (the store's cache file). With the collector set as git exp ui sets it (GOGC 25).
// GITEXP_BENCH_HEAP=FILE writes a heap profile of the server then (inuse_space: what it holds; alloc_space: what its
// requests allocated):
//
//	GITEXP_BENCH_STORE=REPO GITEXP_BENCH_HEAP=/tmp/h.out go test ./ui -run '^$' -bench BenchmarkServerMemory -benchtime 1x
//	go tool pprof -sample_index=inuse_space -top /tmp/h.out
func BenchmarkServerMemory(b *testing.B) {
	dir := os.Getenv("GITEXP_BENCH_STORE")
	if dir == "" {
		b.Skip("GITEXP_BENCH_STORE names no store (see bench/README.md)")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // the peak from here on
	for b.Loop() {
		s := newTestServer(b, dir, Options{})
		paths := []string{"/api/experiments?limit=100", "/api/experiments?limit=100&sort=-results.accuracy",
			"/api/experiments?limit=100&where=" + url.QueryEscape("lr > 0.001 and results.accuracy >= 0.5") + "&sort=-results.accuracy,lr"}
		var page struct{ Items []struct{ ID string } }
		s.getJSON(b, "/api/experiments?limit=1&name=big-metric", &page)
		if len(page.Items) == 1 {
			paths = append(paths, "/api/experiments/"+page.Items[0].ID+"/metrics?points=1000")
		}
		for _, p := range paths {
			for range 3 {
				if code, body := s.do(b, "GET", p, ""); code != 200 {
					b.Fatalf("GET %s: %d %s", p, code, body)
				}
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if p := os.Getenv("GITEXP_BENCH_HEAP"); p != "" {
			f, err := os.Create(p)
			if err != nil {
				b.Fatal(err)
			}
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(procStatus(b, "VmHWM")/1024, "peak-MiB")
		b.ReportMetric(procStatus(b, "RssFile")/1024, "file-MiB")
	}
}

// procStatus reads a field of /proc/self/status, in KiB.
func procStatus(b *testing.B, field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			f, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return f
		}
	}
	panic(fmt.Sprintf("no %s in /proc/self/status", field))
}
