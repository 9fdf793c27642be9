// Command genmlflow writes an MLflow file store (mlruns layout, as MLflow's FileStore writes it) for the import
// benchmark: one experiment of N runs, each with 5 params, 4 tags and M points of one metric "loss" (lines
// "timestamp value step"), and one small artifact.
//
//	go run ./bench/genmlflow -o DIR -runs 1000 -points 1000
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/git-exp/git-exp/importer/fixture"
)

func main() {
	out := flag.String("o", "mlruns", "directory to create")
	runs := flag.Int("runs", 1000, "number of runs")
	points := flag.Int("points", 1000, "metric points per run")
	flag.Parse()
	if err := gen(*out, *runs, *points); err != nil {
		fmt.Fprintln(os.Stderr, "genmlflow:", err)
		os.Exit(1)
	}
}

func gen(root string, runs, points int) error {
	if err := fixture.MLflowExperiment(root, "1", "bench", "active"); err != nil {
		return err
	}
	var b strings.Builder
	for r := 0; r < runs; r++ {
		start := int64(1700000000000 + r*100000)
		b.Reset()
		for i := 0; i < points; i++ {
			fmt.Fprintf(&b, "%d %g %d\n", start+int64(i)*10, 1/float64(i+1), i)
		}
		run := fixture.MLflowRun{
			ID: fmt.Sprintf("%032x", r+1), Name: fmt.Sprintf("run-%d", r), Status: 3, Start: start, End: start + int64(points)*10, User: "bench",
			Params:    map[string]string{"lr": fmt.Sprint(0.001 * float64(r%10+1)), "batch_size": "64", "optimizer": "adam", "layers": "4", "seed": fmt.Sprint(r)},
			Tags:      map[string]string{"team": "bench", "mlflow.source.name": "train.py"},
			Metrics:   map[string][]string{"loss": {strings.TrimSuffix(b.String(), "\n")}},
			Artifacts: map[string]string{"config.txt": fmt.Sprintf("run %d\n", r)},
		}
		if err := run.Write(root, "1"); err != nil {
			return err
		}
	}
	return nil
}
