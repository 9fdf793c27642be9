package results

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
)

// Experiment is one experiment as stored: its manifest (experiment.json, with every edit note applied: tags, name,
// description) and its parameters and results decoded with their types kept (int for integers, float64 otherwise,
// string, bool, nil, []any, map[string]any).
type Experiment struct {
	gitstore.Manifest
	// Archived is set for experiments hidden by git exp archive.
	Archived bool
	// Params are the resolved parameters (params.json).
	Params map[string]any
	// Results are the final results (results.json): explicit results, else each metric's last value.
	Results map[string]any

	db *DB
}

func (db *DB) wrap(e *gitstore.Experiment, rec *query.Record) *Experiment {
	if e.Capped { // a value the cache cut (gitstore.CapValue): the API gives it whole
		if f, err := db.st.Full(e); err == nil {
			e, rec = f, nil
		}
	}
	x := &Experiment{Manifest: e.Manifest, Archived: e.Archived, db: db}
	// The manifest is shared with the DB's copy: give the caller slices of its own.
	x.Tags = append([]string{}, e.Tags...)
	x.Argv = append([]string{}, e.Argv...)
	x.Git.Skipped = append([]string{}, e.Git.Skipped...)
	x.Sources = slices.Clone(e.Sources)
	if rec != nil {
		x.Params, x.Results = rec.Params, rec.Results
	} else {
		x.Params, x.Results = DecodeJSON(e.ParamsJSON), DecodeJSON(e.ResultsJSON)
	}
	return x
}

// Short is the id's first 7 digits (as git exp list shows it when unique).
func (e *Experiment) Short() string { return e.ID[:min(7, len(e.ID))] }

// Value looks a name up as Where expressions and sort keys do: "params.x", "results.x", "meta.x", or an unqualified
// name (params, then results, then metadata). Dotted names descend into nested values ("model.name", "layers.0").
func (e *Experiment) Value(name string) (any, bool) {
	return query.Lookup(e.Record(), name)
}

// Record is what expressions see of the experiment.
func (e *Experiment) Record() query.Record {
	g := &gitstore.Experiment{Manifest: e.Manifest, Archived: e.Archived}
	return query.Record{Params: e.Params, Results: e.Results, Meta: metaOf(g)}
}

// Float returns a numeric value as a float64 (see Value for names); ok is false when it is missing or not a number.
func (e *Experiment) Float(name string) (float64, bool) {
	v, ok := e.Value(name)
	if !ok {
		return 0, false
	}
	return exp.Float(v)
}

// running reports whether the experiment's output is still in this machine's spool.
func (e *Experiment) running() bool { return e.Status == gitstore.StatusRunning }

// Metrics returns the metric series, merged by step and in step order (see exp.ReadMetrics). An experiment that
// logged none has none. While an experiment runs on this machine, its series so far is read from the spool.
// It holds the whole series: EachMetric and Series read it in constant memory.
func (e *Experiment) Metrics() ([]exp.Point, error) {
	var pts []exp.Point
	err := e.EachMetric(func(p exp.Point) error {
		pts = append(pts, p)
		return nil
	})
	return pts, err
}

// EachMetric calls fn with each point of the metric series, as Metrics returns them, without holding them (see
// exp.Series).
func (e *Experiment) EachMetric(fn func(exp.Point) error) error {
	s, err := e.Series()
	if err != nil {
		return err
	}
	if err := s.Each(fn); err != nil {
		return fmt.Errorf("metrics of %s: %w", e.Short(), err)
	}
	return nil
}

// Series reads the metric series once (its names, its length) and returns it for Each or Thin, which read it
// again, in memory independent of its length. An experiment that logged no metrics has an empty series.
func (e *Experiment) Series() (*exp.Series, error) {
	s, err := exp.ScanMetrics(func() (io.ReadCloser, error) {
		rc, err := e.open("metrics.jsonl", e.db.st.SpoolFor(e.ID).Metrics)
		if rc == nil && err == nil {
			rc = io.NopCloser(strings.NewReader(""))
		}
		return rc, err
	})
	if err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", e.Short(), err)
	}
	return s, nil
}

// open opens a file of the experiment's directory, or its spool copy while it runs here; nil when neither exists.
func (e *Experiment) open(name, spool string) (io.ReadCloser, error) {
	if e.running() {
		f, err := os.Open(spool)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	rc, ok, err := e.db.st.OpenFile(context.Background(), e.ID, name)
	if err != nil || !ok {
		return nil, err
	}
	return rc, nil
}

// Artifacts lists the paths of the stored artifacts (files the script wrote under $GIT_EXP_OUT), sorted.
func (e *Experiment) Artifacts() ([]string, error) {
	arts, err := e.db.st.Artifacts(context.Background(), e.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range arts {
		out = append(out, a.Path)
	}
	slices.Sort(out)
	return out, nil
}

// Artifact streams one artifact by its path relative to $GIT_EXP_OUT ("model.json", "plots/loss.png"). It is never
// held in memory whole. A missing artifact is an error wrapping os.ErrNotExist.
func (e *Experiment) Artifact(p string) (io.ReadCloser, error) {
	clean := path.Clean(strings.TrimPrefix(p, "/"))
	if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return nil, fmt.Errorf("artifact path %q: give a path inside the experiment's output directory", p)
	}
	rc, ok, err := e.db.st.OpenFile(context.Background(), e.ID, "artifacts/"+clean)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("experiment %s has no artifact %s: %w", e.Short(), clean, os.ErrNotExist)
	}
	return rc, nil
}

// Log streams the captured standard output (or, with stderr, the standard error), decompressed. While the
// experiment runs on this machine, it reads what was captured so far. An experiment that has not run yet has no
// log: the error wraps os.ErrNotExist.
func (e *Experiment) Log(stderr bool) (io.ReadCloser, error) {
	name, spool := "stdout.zst", e.db.st.SpoolFor(e.ID).Stdout
	if stderr {
		name, spool = "stderr.zst", e.db.st.SpoolFor(e.ID).Stderr
	}
	if e.running() {
		if f, err := os.Open(spool); err == nil {
			return f, nil
		}
	}
	rc, ok, err := e.db.st.OpenLog(context.Background(), e.ID, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("experiment %s (%s) has no stored %s: %w", e.Short(), e.Status, strings.TrimSuffix(name, ".zst"), os.ErrNotExist)
	}
	return rc, nil
}
