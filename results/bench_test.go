package results_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/git-exp/git-exp/internal/testrepo"
	"github.com/git-exp/git-exp/results"
)

// benchStore fabricates a repository with n experiments in one `git fast-import` stream (the approach of
// bench/genstore: the store's root commit, then one commit with n experiment directories holding experiment.json,
// params.json and results.json). It is cached under os.TempDir() for later runs.
func benchStore(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("git-exp-bench-results-%d-v1", n))
	if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "experiments", "main")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	b.Logf("generating %s (%d experiments, cached for later runs)", dir, n)
	testrepo.Git(b, os.TempDir(), "init", "-q", "-b", "main", dir)
	testrepo.Git(b, dir, "config", "user.name", "Bench User")
	testrepo.Git(b, dir, "config", "user.email", "bench@example.com")
	testrepo.Git(b, dir, "config", "gc.auto", "0")
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet", "--done")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	data := func(p []byte) {
		fmt.Fprintf(w, "data %d\n", len(p))
		w.Write(p)
		w.WriteByte('\n')
	}
	ref := "refs/experiments/main"
	fmt.Fprintf(w, "commit %s\nmark :1\ncommitter git-exp <git-exp@localhost> 0 +0000\n", ref)
	data([]byte("git-exp store, format 1\n"))
	fmt.Fprintf(w, "M 100644 inline VERSION\n")
	data([]byte("1\n"))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Fprintf(w, "commit %s\nmark :2\ncommitter Bench User <bench@example.com> %d +0000\n", ref, base.Unix())
	data([]byte("import\n"))
	fmt.Fprintf(w, "from :1\n")
	rng := rand.New(rand.NewPCG(1, 2))
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
	for i := range n {
		id := fmt.Sprintf("%016x", rng.Uint64())
		created := base.Add(time.Duration(i) * time.Minute)
		var lr any = []float64{0.1, 0.01, 0.001, 0.05}[i%4]
		if i%7 == 0 {
			lr = 1 // an int in some experiments
		}
		status := "completed"
		if i%10 == 9 {
			status = "failed"
		}
		code := 0
		m, _ := json.MarshalIndent(map[string]any{
			"format": 1, "id": id, "name": fmt.Sprintf("train[lr=%v]", lr), "description": "", "tags": []string{"bench"},
			"status": status, "script": "train.py", "argv": []string{"python3", "train.py"}, "executor": "local",
			"host": "bench", "user": "Bench User", "created": ts(created), "started": ts(created), "ended": ts(created.Add(time.Minute)),
			"updated": ts(created.Add(time.Minute)), "duration_s": 60.0, "exit_code": &code, "error": "", "batch": "", "parent": "",
			"git": map[string]any{"head": "", "branch": "main", "dirty": false, "remote": "", "snapshot": "", "skipped": []string{}},
		}, "", "  ")
		p, _ := json.MarshalIndent(map[string]any{"lr": lr, "batch_size": 32 << (i % 3), "epochs": 10,
			"model": map[string]any{"name": "resnet", "layers": 2 + i%6}}, "", "  ")
		r, _ := json.MarshalIndent(map[string]any{"acc": float64(rng.IntN(10000)) / 10000, "loss": rng.Float64()}, "", "  ")
		for _, f := range []struct {
			name string
			b    []byte
		}{{"experiment.json", m}, {"params.json", p}, {"results.json", r}} {
			fmt.Fprintf(w, "M 100644 inline %s/%s/%s\n", id[:2], id, f.name)
			data(append(f.b, '\n'))
		}
	}
	fmt.Fprintf(w, "\ndone\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		os.RemoveAll(dir)
		b.Fatal(err)
	}
	return dir
}

const benchWhere = "lr > 0.01 and results.acc >= 0.9"

// BenchmarkFind100k: Find with a --where and a sort over 100,000 experiments, warm (the store's cache built).
//
//	reused-db: a DB kept open (a notebook asking several questions): the cache file is read once.
//	fresh-db:  Open + Find + Close each time (what one git exp list --where ... --sort ... costs, minus process start).
func BenchmarkFind100k(b *testing.B) {
	dir := benchStore(b, 100_000)
	ctx := context.Background()
	warm, err := results.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer warm.Close()
	exps, err := warm.Find(ctx, results.Filter{Where: []string{benchWhere}}, results.Sort("-results.acc", "lr"))
	if err != nil {
		b.Fatal(err)
	}
	if len(exps) == 0 {
		b.Fatal("nothing matched")
	}
	b.Logf("%d of 100,000 match, GOMAXPROCS %d", len(exps), runtime.GOMAXPROCS(0))
	run := func(b *testing.B, fresh bool) {
		var ds []time.Duration
		for b.Loop() {
			t0 := time.Now()
			db := warm
			if fresh {
				if db, err = results.Open(dir); err != nil {
					b.Fatal(err)
				}
			}
			got, err := db.Find(ctx, results.Filter{Where: []string{benchWhere}}, results.Sort("-results.acc", "lr"))
			if err != nil || len(got) != len(exps) {
				b.Fatalf("%d results, %v", len(got), err)
			}
			if fresh {
				db.Close()
			}
			ds = append(ds, time.Since(t0))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
	}
	b.Run("reused-db", func(b *testing.B) { run(b, false) })
	b.Run("fresh-db", func(b *testing.B) { run(b, true) })
}
