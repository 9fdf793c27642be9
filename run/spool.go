package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/thin"
	"github.com/git-exp/git-exp/value"
)

// spoolEnd is how a run ended, kept in its spool (end.json) until the end is recorded.
type spoolEnd struct {
	ExitCode  int    `json:"exit_code"`
	Cancelled bool   `json:"cancelled,omitempty"`
	Signal    string `json:"signal,omitempty"`
	StartErr  string `json:"start_error,omitempty"`
	Started   string `json:"started"`
	Ended     string `json:"ended"`
}

// saveEndTo saves how a run ended in its spool, creating the spool.
func saveEndTo(st *gitstore.Store, id string, res Result) {
	spool := st.SpoolFor(id)
	if os.MkdirAll(spool.Dir, 0o755) == nil {
		saveEnd(spool, res)
	}
}

func saveEnd(spool gitstore.Spool, res Result) {
	e := spoolEnd{ExitCode: res.ExitCode, Cancelled: res.Cancelled, Signal: res.Signal,
		Started: res.Started.UTC().Format(time.RFC3339Nano), Ended: res.Started.Add(res.Duration).UTC().Format(time.RFC3339Nano)}
	if res.StartErr != nil {
		e.StartErr = res.StartErr.Error()
	}
	data, _ := json.Marshal(e)
	tmp := filepath.Join(spool.Dir, "end.json.tmp")
	if os.WriteFile(tmp, data, 0o644) == nil {
		os.Rename(tmp, filepath.Join(spool.Dir, "end.json"))
	}
}

// loadEnd reads how a run ended from its spool; ok is false when its runner never got to write it.
func loadEnd(spool gitstore.Spool) (res Result, ended time.Time, ok bool) {
	data, err := os.ReadFile(filepath.Join(spool.Dir, "end.json"))
	if err != nil {
		return res, ended, false
	}
	var e spoolEnd
	if json.Unmarshal(data, &e) != nil {
		return res, ended, false
	}
	res = Result{ExitCode: e.ExitCode, Cancelled: e.Cancelled, Signal: e.Signal}
	if e.StartErr != "" {
		res.StartErr = errors.New(e.StartErr)
	}
	res.Started, _ = time.Parse(time.RFC3339Nano, e.Started)
	ended, err = time.Parse(time.RFC3339Nano, e.Ended)
	return res, ended, err == nil
}

// prepareSpool stores what a run spooled — logs, metrics, results, artifacts (within exp.maxArtifactSize) — as
// objects, ready for the commit that records how it ended.
func (r *Runner) prepareSpool(spool gitstore.Spool) (*gitstore.Prepared, error) {
	st := r.Store
	maxArt, err := st.ConfigSize("exp.maxArtifactSize", 0)
	if err != nil {
		r.Warn("git exp: %v", err)
	}
	// One pass over the metrics file makes both its derived files and, when the script wrote no results, the results
	// (each metric's last value): at 1M points the pass is most of what the end of a run costs.
	derived := sync.OnceValues(func() (map[string][]byte, map[string]any) { return metricsDerived(spool) })
	return st.PrepareOutputs(gitstore.Outputs{Spool: spool,
		ResultsFrom: func() []byte {
			return resultsOf(spool, r.Warn, func() map[string]any { _, last := derived(); return last })
		},
		MetricsFilesFrom: func() map[string][]byte { files, _ := derived(); return files },
		MaxArtifactSize:  maxArt, Warn: r.Warn})
}

// restoreOutputs puts a previous attempt's artifacts (checkpoints included) and metrics back into the spool, so a
// continued experiment picks up where it stopped.
func restoreOutputs(ctx context.Context, st *gitstore.Store, id string, spool gitstore.Spool) error {
	arts, err := st.Artifacts(ctx, id)
	if err != nil {
		return err
	}
	if err := st.ExtractArtifacts(ctx, arts, spool.Out); err != nil {
		return fmt.Errorf("restoring artifacts: %w", err)
	}
	rc, ok, err := st.OpenFile(ctx, id, "metrics.jsonl")
	if err != nil || !ok {
		return err
	}
	defer rc.Close()
	return writeFileFrom(spool.Metrics, 0o666, rc)
}

// writeFileFrom writes what r holds to the file dst (created or truncated, with perm when created).
func writeFileFrom(dst string, perm os.FileMode, r io.Reader) error {
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// resultsOf returns results.json for a finished run: the explicit results the script wrote, else lastValues, the last
// value of each metric; nil when there are neither. NaN, Infinity and -Infinity (as Python's json writes them) are
// values like any other; a results file that is not a JSON object is stored exactly as written, and warn says so in
// one line.
func resultsOf(spool gitstore.Spool, warn func(format string, args ...any), lastValues func() map[string]any) []byte {
	if data, err := os.ReadFile(spool.Results); err == nil && len(bytes.TrimSpace(data)) > 0 {
		v, err := value.Unmarshal(data)
		if err == nil {
			if obj, ok := v.(map[string]any); ok {
				if out, err := value.MarshalIndent(obj); err == nil {
					return out // ends with a newline
				}
			}
			err = errors.New("not a JSON object")
		}
		warn("git exp: $GIT_EXP_RESULTS is not a JSON object of results (%v): stored as written, not shown as results", err)
		return data
	}
	last := lastValues()
	if len(last) == 0 {
		return nil
	}
	out, err := value.MarshalIndent(last)
	if err != nil {
		return nil
	}
	return append(out, '\n')
}

// metricsDerived is thin.DerivedAndLast of a finished run's metrics file: the files derived from it, and each
// metric's last value.
func metricsDerived(spool gitstore.Spool) (map[string][]byte, map[string]any) {
	fi, err := os.Stat(spool.Metrics)
	if err != nil {
		return nil, nil
	}
	return thin.DerivedAndLast(func() (io.ReadCloser, error) { return os.Open(spool.Metrics) }, fi.Size())
}
