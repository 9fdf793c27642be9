package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/importer"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/value"
)

// experiments returns every experiment that is not deleted, after recording how the unfinished ones ended where
// that is known (recordEnded: it writes).
func experiments(ctx context.Context, env *Env, st *gitstore.Store) ([]*gitstore.Experiment, error) {
	all, err := st.Experiments()
	if err != nil {
		return nil, err
	}
	if recordEnded(ctx, env, st, all) {
		if all, err = st.Experiments(); err != nil {
			return nil, err
		}
	}
	out := all[:0:0]
	for _, e := range all {
		if !e.Deleted {
			out = append(out, e)
		}
	}
	return out, nil
}

// recordEnded writes to the store how the experiments among exps that still show as queued or running have ended,
// where that is known: a running experiment whose runner process is gone is recorded as crashed (its spooled
// output is stored: nothing written before a crash is lost, and an end the runner saved but could not record is
// recorded instead), and Slurm's verdict is recorded for its jobs (reconcileSlurm). It reports whether it recorded
// anything. Every reading command calls it (through experiments), and so does the web UI (ui.Options.RecordEnded):
// both show the same reconciled view.
func recordEnded(ctx context.Context, env *Env, st *gitstore.Store, exps []*gitstore.Experiment) bool {
	recovered := reconcileSlurm(ctx, env, st, exps)
	for _, e := range exps {
		if e.Executor == "slurm" && e.Extra["slurm_job_id"] != "" {
			continue // Slurm says how it ended (reconcileSlurm)
		}
		if e.Status == gitstore.StatusRunning && e.Runner != nil && !e.Runner.Alive() {
			if err := recoverCrashed(ctx, env, st, e); err != nil {
				env.IO.Warnf("git exp: could not record %s as crashed: %v", e.ID[:7], err)
				continue
			}
			recovered = true
		}
	}
	return recovered
}

// shortReader is called first by commands that read the whole store and end: they build one large, long-lived
// list, and collecting garbage meanwhile only rescans it (a third of a warm list of 100,000). The memory limit still
// bounds the heap. Commands that go on (runs, logs --follow) do not call it.
func shortReader() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(2 << 30)
}

// recoverCrashed records as crashed an experiment whose runner process is gone, storing what it had spooled.
func recoverCrashed(ctx context.Context, env *Env, st *gitstore.Store, e *gitstore.Experiment) error {
	runner := *e.Runner
	return recordEnd(ctx, env, st, e.ID, "crash", func(m *gitstore.Manifest) error {
		if m.Status != gitstore.StatusRunning || m.Runner == nil || *m.Runner != runner {
			return gitstore.ErrNoChange
		}
		if res, ended, ok := loadEnd(st.SpoolFor(e.ID)); ok {
			// The run ended and its runner saved how, but could not record it: record that, not a crash.
			applyEnd(m, res, ended)
			return nil
		}
		m.Status = gitstore.StatusCrashed
		m.Error = fmt.Sprintf("the git-exp process (pid %d on %s) ended without recording how the run ended", runner.PID, runner.Host)
		m.Ended = gitstore.Now()
		if t, err := gitstore.ParseTime(m.Started); err == nil {
			m.DurationS = float64(time.Since(t).Milliseconds()) / 1000
		}
		m.Runner = nil
		return nil
	})
}

// openOne opens the store and resolves the one experiment a command is about. The caller closes the store.
func (e *Env) openOne(ctx context.Context, query string) (*gitstore.Store, *gitstore.Experiment, error) {
	st, err := e.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	x, err := resolve(ctx, e, st, query)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, x, nil
}

// resolve finds one experiment by id, id prefix or name.
func resolve(ctx context.Context, env *Env, st *gitstore.Store, query string) (*gitstore.Experiment, error) {
	exps, err := experiments(ctx, env, st)
	if err != nil {
		return nil, err
	}
	e, err := gitstore.Resolve(exps, query)
	if err != nil {
		if hint := tagHint(exps, query); hint != "" && strings.HasPrefix(err.Error(), "no experiment matches") {
			return nil, &usageError{hint}
		}
		return nil, &usageError{err.Error()}
	}
	return e, nil
}

// shortIDs returns the short form of ids: the one the cache computed over the whole store, else computed here.
func shortIDs(exps []*gitstore.Experiment) func(*gitstore.Experiment) string {
	for _, e := range exps {
		if e.ShortID == "" {
			ids := make([]string, len(exps))
			for i, e := range exps {
				ids[i] = e.ID
			}
			m := gitstore.ShortIDs(ids)
			return func(e *gitstore.Experiment) string { return m[e.ID] }
		}
	}
	return func(e *gitstore.Experiment) string { return e.ShortID }
}

// docJSON is the documented --json object of one experiment (README "--json fields"): the store's precomputed
// document with short_id in front.
func docJSON(e *gitstore.Experiment, short string) []byte {
	out := make([]byte, 0, len(e.Doc)+32)
	out = append(out, `{"short_id":"`...)
	out = append(out, short...)
	out = append(out, `",`...)
	return append(out, e.Doc[1:]...)
}

// decodeTree decodes stored params or results (see results.DecodeJSON).
func decodeTree(raw []byte) map[string]any { return results.DecodeJSON(raw) }

// flat decodes stored params or results into dotted keys.
func flat(raw []byte) map[string]any { return value.Flatten(results.DecodeJSON(raw)) }

// tagHint says so when what was given for an experiment is a tag (git exp show best): a tag names a set.
func tagHint(exps []*gitstore.Experiment, query string) string {
	n := 0
	for _, e := range exps {
		for _, t := range e.Tags {
			if t == query {
				n++
				break
			}
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("no experiment has the id or name %q, but %d %s it as a tag: give an id or name (git exp list --tag %s lists them)",
		query, n, plural(n, "has", "have"), query)
}

// noSnapshot is the error of a command that needs an experiment's code when the experiment has none: imported
// experiments say why (the source recorded no commit, or the commit is not in this repository).
func noSnapshot(e *gitstore.Experiment, what string) error {
	if why := e.Extra[importer.ExtraNoSnapshot]; why != "" {
		return fmt.Errorf("experiment %s has no snapshot %s: it was imported (%s) and %s", e.ID[:7], what, e.Extra[importer.ExtraImportedFrom], why)
	}
	return fmt.Errorf("experiment %s has no snapshot %s", e.ID[:7], what)
}
