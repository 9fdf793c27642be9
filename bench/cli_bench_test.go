// Package bench holds in-process benchmarks of the git-exp commands, to profile a missed performance target:
//
//	go test ./bench -run '^$' -bench BenchmarkRunTrue -benchtime 30x -cpuprofile /tmp/run.prof
//	go tool pprof -top /tmp/run.prof
//
// They call cli.MainContext exactly as cmd/git-exp does, so the profile shows git-exp's own work (the git processes
// it starts show up only as time spent waiting). Process start-up of git-exp is not included: bench/run_overhead.sh
// measures the whole command.
package bench

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/cli"
)

func benchRepo(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"config", "user.name", "Bench User"},
		{"config", "user.email", "bench@example.com"},
		{"config", "gc.auto", "0"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for i := 0; i < 20; i++ {
		os.WriteFile(filepath.Join(dir, "m"+string(rune('a'+i))+".py"), []byte("print(1)\n"), 0o644)
	}
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "init"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func runCLI(b *testing.B, args ...string) {
	code := cli.MainContext(context.Background(), args, &cli.IO{In: nil, Out: io.Discard, Err: io.Discard, Width: 100})
	if code != 0 {
		b.Fatalf("git-exp %v: exit %d", args, code)
	}
}

func medianMS(d []time.Duration) float64 {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d) == 0 {
		return 0
	}
	m := d[len(d)/2]
	if len(d)%2 == 0 {
		m = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return float64(m) / 1e6
}

// BenchmarkRunTrue: `git exp run -q -- true` in-process, in a small repository.
func BenchmarkRunTrue(b *testing.B) {
	dir := benchRepo(b)
	runCLI(b, "-C", dir, "run", "-q", "--", "true") // the store's first commit
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		runCLI(b, "-C", dir, "run", "-q", "--", "true")
		ds = append(ds, time.Since(t0))
	}
	b.ReportMetric(medianMS(ds), "median-ms")
}

// BenchmarkList: `git exp list --json` in-process, warm, on the store named by GITEXP_BENCH_STORE (made by
// bench/genstore); skipped without it. GITEXP_BENCH_COLD=1 deletes the cache before every call;
// GITEXP_BENCH_TSV=1 times `git exp list` (TSV, as on a pipe) instead of --json; GITEXP_BENCH_WHERE=1 times the
// `list --where ... --sort ...` of issue 6 (as bench/list.sh does); GITEXP_BENCH_ARGS="--sort=name -n 20" times
// `list` with those arguments.
func BenchmarkList(b *testing.B) {
	dir := os.Getenv("GITEXP_BENCH_STORE")
	if dir == "" {
		b.Skip("GITEXP_BENCH_STORE is not set (bench/list.sh sets it)")
	}
	cold := os.Getenv("GITEXP_BENCH_COLD") == "1"
	args := []string{"-C", dir, "list", "--json"}
	if os.Getenv("GITEXP_BENCH_TSV") == "1" {
		args = args[:3]
	}
	if os.Getenv("GITEXP_BENCH_WHERE") == "1" {
		args = []string{"-C", dir, "list", "--where", "lr > 0.001 and results.accuracy >= 0.5", "--sort=-results.accuracy,lr"}
	}
	if a := os.Getenv("GITEXP_BENCH_ARGS"); a != "" { // e.g. "--sort=name -n 20": list with these (split at spaces)
		args = append([]string{"-C", dir, "list"}, strings.Fields(a)...)
	}
	runCLI(b, args...)
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cold {
			b.StopTimer()
			matches, _ := filepath.Glob(filepath.Join(dir, ".git", "exp", "cache*"))
			for _, m := range matches {
				os.RemoveAll(m)
			}
			b.StartTimer()
		}
		t0 := time.Now()
		runCLI(b, args...)
		ds = append(ds, time.Since(t0))
	}
	b.ReportMetric(medianMS(ds), "median-ms")
}

// BenchmarkSweepTrue: one batch of 50 runs of `true`, -j 1 (`git exp run -q --param 'i=range(50)' -j 1 -- true`),
// in-process; per-run-ms is the bookkeeping per run of issue 5.
func BenchmarkSweepTrue(b *testing.B) {
	dir := benchRepo(b)
	runCLI(b, "-C", dir, "run", "-q", "--", "true") // the store's first commit
	const runs = 50
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		runCLI(b, "-C", dir, "run", "-q", "--param", "i=range(50)", "-j", "1", "--", "true")
		ds = append(ds, time.Since(t0))
	}
	b.ReportMetric(medianMS(ds)/runs, "per-run-ms")
}

// BenchmarkComplete: what a TAB costs, `git exp __complete -- show PREFIX` in-process on the store named by
// GITEXP_BENCH_STORE (bench/genstore; skipped without it), with the completion index up to date (target at
// 100,000 experiments: < 50 ms, issue 18). GITEXP_BENCH_COLD=1 deletes the index before every call (the first TAB
// after the store moved rebuilds it from the listing cache).
func BenchmarkComplete(b *testing.B) {
	dir := os.Getenv("GITEXP_BENCH_STORE")
	if dir == "" {
		b.Skip("GITEXP_BENCH_STORE is not set (make a store with bench/genstore)")
	}
	cold := os.Getenv("GITEXP_BENCH_COLD") == "1"
	for _, args := range [][]string{
		{"-C", dir, "__complete", "--", "show", "a1"},
		{"-C", dir, "__complete", "--", "list", "--sort", "-res"},
	} {
		b.Run(args[4], func(b *testing.B) {
			runCLI(b, args...)
			var ds []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if cold {
					b.StopTimer()
					os.Remove(filepath.Join(dir, ".git", "exp", "complete-v1"))
					b.StartTimer()
				}
				t0 := time.Now()
				runCLI(b, args...)
				ds = append(ds, time.Since(t0))
			}
			b.ReportMetric(medianMS(ds), "median-ms")
		})
	}
}
