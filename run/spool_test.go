package run

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/thin"
)

// TestMetricsFiles: the end of a run derives metrics.summary.json from every metrics file and, from a long one, the
// chart summary (thin.FileName) that a reading of the series gives — within the same pass when the steps are in
// order, from a Series when they go back. A short file gets none.
func TestMetricsFiles(t *testing.T) {
	dir := t.TempDir()
	spool := gitstore.Spool{Metrics: filepath.Join(dir, "metrics.jsonl")}
	write := func(n int, back bool) string {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, `{"step": %d, "time": "2026-01-01T00:00:00Z", "loss": %g, "acc": %d}`+"\n", i, 1/float64(i+1), i%100)
			if back && i == n/2 {
				sb.WriteString(`{"step": 3, "loss": NaN}` + "\n")
			}
		}
		if err := os.WriteFile(spool.Metrics, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return sb.String()
	}
	for _, back := range []bool{false, true} {
		text := write(80000, back)
		if len(text) < thin.MinFileBytes {
			t.Fatalf("the long file holds %d bytes", len(text))
		}
		files, _ := metricsDerived(spool)
		sr, err := exp.ScanMetrics(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil })
		if err != nil {
			t.Fatal(err)
		}
		want, err := thin.Build(sr)
		if err != nil {
			t.Fatal(err)
		}
		if got := files[thin.FileName]; !bytes.Equal(got, want) {
			t.Fatalf("steps back %v: stored %.200s, want %.200s", back, got, want)
		}
		if !bytes.Contains(files["metrics.summary.json"], []byte(`"last": 99`)) {
			t.Fatalf("summary: %s", files["metrics.summary.json"])
		}
	}
	write(100, false)
	if files, _ := metricsDerived(spool); files[thin.FileName] != nil || files["metrics.summary.json"] == nil {
		t.Fatalf("a short file: %v", files)
	}
}
