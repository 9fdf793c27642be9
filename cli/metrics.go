package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
)

// MetricsCmd prints an experiment's metric series.
type MetricsCmd struct {
	ID    string   `arg:"" help:"Experiment id, id prefix or name."`
	Names []string `arg:"" optional:"" help:"Only these metrics."`
	JSON  bool     `name:"json" help:"Print a JSON array of {step, time, <metric>: value}."`
	CSV   bool     `name:"csv" help:"Print CSV with a header row."`
}

// Run implements git exp metrics.
func (c *MetricsCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	// Only the id and the status are kept: the experiment points into the store's list (a slab of every
	// experiment), which becomes garbage here.
	id, running := strings.Clone(e.ID), e.Status == gitstore.StatusRunning
	e = nil
	// The series streams (exp.Series): one pass learns the metric names and whether the steps go back, a second
	// one prints, so memory does not grow with the series. Every point read is garbage once printed: collect it,
	// but only when 48 MiB have piled up above what is live now (a few points: a collection costs little, and
	// collecting at every doubling of so small a heap would be constant work).
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(int64(ms.HeapAlloc) + 48<<20)
	open := func() (io.ReadCloser, error) {
		if running {
			f, err := os.Open(st.SpoolFor(id).Metrics)
			if err == nil {
				return f, nil
			}
			if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
		rc, ok, err := st.OpenFile(ctx, id, "metrics.jsonl")
		if err != nil || !ok {
			return io.NopCloser(strings.NewReader("")), err
		}
		return rc, nil
	}
	series, err := exp.ScanMetrics(open)
	if err != nil {
		return fmt.Errorf("metrics of %s: %v", id[:7], err)
	}
	names := c.Names
	if len(names) == 0 {
		names = series.Names()
	}
	var w metricsWriter
	switch {
	case c.JSON:
		w = newMetricsJSON(env.IO.Out, names)
	case c.CSV:
		w = newMetricsCSV(env.IO.Out, names, env.IO.OutTTY)
	case series.Len() == 0:
		fmt.Fprintf(env.IO.Err, "%s logged no metrics\n", id[:7])
		return nil
	default:
		w = newMetricsTable(env.IO, names)
	}
	if err := series.Each(w.point); err != nil {
		return fmt.Errorf("metrics of %s: %v", id[:7], err)
	}
	return w.close()
}
