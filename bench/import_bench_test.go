package bench

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/importer/fixture"
)

// BenchmarkImportMLflow: `git exp import mlflow` in-process of a store of 200 runs x 1,000 points (bench/import.sh
// measures the 1,000 x 1,000 target with the real binary), each iteration into a fresh repository:
//
//	go test ./bench -run '^$' -bench BenchmarkImportMLflow -benchtime 3x -cpuprofile /tmp/import.prof
func BenchmarkImportMLflow(b *testing.B) {
	const runs, points = 200, 1000
	root := filepath.Join(b.TempDir(), "mlruns")
	if err := fixture.MLflowExperiment(root, "1", "bench", "active"); err != nil {
		b.Fatal(err)
	}
	for r := 0; r < runs; r++ {
		var lines []string
		for i := 0; i < points; i++ {
			lines = append(lines, fmt.Sprintf("%d %g %d", 1700000000000+int64(r*100000+i*10), 1/float64(i+1), i))
		}
		run := fixture.MLflowRun{ID: fmt.Sprintf("%032x", r+1), Name: fmt.Sprintf("run-%d", r), Status: 3, Start: 1700000000000,
			End: 1700000100000, User: "bench", Params: map[string]string{"lr": "0.01", "seed": fmt.Sprint(r)},
			Metrics: map[string][]string{"loss": lines}, Artifacts: map[string]string{"config.txt": fmt.Sprint(r)}}
		if err := run.Write(root, "1"); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		for _, args := range [][]string{{"init", "-q"}, {"config", "user.name", "B"}, {"config", "user.email", "b@e"}, {"config", "gc.auto", "0"}} {
			if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
				b.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		b.StartTimer()
		runCLI(b, "-C", dir, "import", "mlflow", root)
		b.StopTimer()
		out, _ := exec.Command("git", "-C", dir, "rev-list", "--count", "refs/experiments/main").Output()
		if strings.TrimSpace(string(out)) != "2" {
			b.Fatalf("commits: %s", out)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/runs, "ms/run")
}
