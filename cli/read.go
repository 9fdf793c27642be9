package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/value"
)

// experiments returns every experiment that is not deleted, after recording as crashed the running ones whose runner
// process is gone (their spooled output is stored: nothing written before a crash is lost).
func experiments(ctx context.Context, env *Env, st *gitstore.Store) ([]*gitstore.Experiment, error) {
	all, err := st.Experiments()
	if err != nil {
		return nil, err
	}
	recovered := reconcileSlurm(ctx, env, st, all)
	for _, e := range all {
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
	if recovered {
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

// ShowCmd shows one experiment.
type ShowCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	JSON bool   `name:"json" help:"Print the manifest with params and results as JSON."`
}

// Run implements git exp show.
func (c *ShowCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	if c.JSON {
		_, err := env.IO.Out.Write(value.Indent(docJSON(e, e.ID[:7])))
		return err
	}
	w := env.IO.Out
	title := e.ID
	if e.Name != "" {
		title += "  " + e.Name
	}
	fmt.Fprintf(w, "experiment %s\n", env.IO.Text(title))
	status := colorStatus(env.IO, env.IO.Text(e.Status))
	if e.ExitCode != nil {
		status += fmt.Sprintf(" (exit %d)", *e.ExitCode)
	}
	if e.DurationS > 0 {
		status += " in " + humanDuration(e.DurationS)
	}
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-12s %s\n", k+":", env.IO.Text(v))
		}
	}
	fmt.Fprintf(w, "%-12s %s\n", "status:", status) // escaped before it was coloured
	line("error", e.Error)
	line("command", strings.Join(e.Argv, " "))
	line("created", e.Created+" ("+relTime(e.Created)+")")
	line("ended", e.Ended)
	line("tags", strings.Join(e.Tags, ", "))
	line("description", e.Description)
	line("by", strings.TrimSpace(e.User+" on "+e.Host))
	if e.Archived {
		line("archived", "yes")
	}
	line("batch", e.Batch)
	if e.Attempt > 1 {
		line("attempt", strconv.Itoa(e.Attempt))
	}
	line("parent", e.Parent)
	g := e.Git
	gitLine := g.Branch
	if g.Head != "" {
		gitLine += " @ " + g.Head[:min(10, len(g.Head))]
	}
	if g.Dirty {
		gitLine += " (with uncommitted changes)"
	}
	line("git", strings.TrimSpace(gitLine))
	if g.Snapshot != "" {
		line("snapshot", g.Snapshot)
	}
	if len(g.Skipped) > 0 {
		line("left out", strings.Join(g.Skipped, ", "))
	}
	if job := e.Extra["slurm_job_id"]; job != "" {
		line("slurm job", job)
	}
	if params := decodeTree(e.ParamsJSON); len(params) > 0 {
		fmt.Fprintln(w, "params:")
		printTree(env.IO, w, params, "  ")
	} else {
		fmt.Fprintln(w, "params:     (none)")
	}
	if res := decodeTree(e.ResultsJSON); len(res) > 0 {
		fmt.Fprintln(w, "results:")
		printTree(env.IO, w, res, "  ")
	}
	return nil
}

// LogsCmd prints an experiment's output.
type LogsCmd struct {
	ID     string `arg:"" help:"Experiment id, id prefix or name."`
	Stderr bool   `help:"Print stderr instead of stdout."`
	Follow bool   `short:"f" help:"Keep printing output while the experiment runs."`
}

// Run implements git exp logs.
func (c *LogsCmd) Run(ctx context.Context, env *Env) error {
	if !c.Follow {
		shortReader()
	}
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	name, spoolPath := "stdout.zst", st.SpoolFor(e.ID).Stdout
	if c.Stderr {
		name, spoolPath = "stderr.zst", st.SpoolFor(e.ID).Stderr
	}
	var printed int64
	if e.Status == gitstore.StatusRunning && !imported(e) {
		// While it runs, the output is in the spool (on this machine).
		for {
			n, err := copyFrom(env.IO.Out, spoolPath, printed)
			printed += n
			if err != nil && !os.IsNotExist(err) {
				return err
			}
			if !c.Follow {
				if os.IsNotExist(err) && printed == 0 {
					env.IO.Warnf("git exp: %s is running on %s; its output is not visible from here until it ends", e.ID[:7], e.Host)
				}
				return nil
			}
			cur, lerr := st.Load(e.ID)
			if lerr == nil && cur.Status != gitstore.StatusRunning {
				break // ended: the rest is in the store
			}
			if lerr == nil && cur.Runner != nil && !cur.Runner.Alive() && cur.Executor != "slurm" {
				// Its runner died: record the crash with what it captured (the spool), then print the rest.
				if err := recoverCrashed(ctx, env, st, cur); err != nil {
					return fmt.Errorf("%s: its git-exp process (pid %d) is gone, and recording the crash failed: %w", e.ID[:7], cur.Runner.PID, err)
				}
				break
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
		if e, err = st.Load(e.ID); err != nil {
			return err
		}
		if e.Status == gitstore.StatusCrashed {
			defer env.IO.Warnf("git exp: %s crashed: %s; above is what it had captured", e.ID[:7], e.Error)
		}
	}
	r, closeFn, err := openStoredLog(ctx, st, e, name)
	if err != nil {
		return err
	}
	if r == nil {
		return nil
	}
	defer closeFn()
	if printed > 0 {
		if _, err := io.CopyN(io.Discard, r, printed); err != nil {
			return nil
		}
	}
	_, err = io.Copy(env.IO.Out, r)
	return err
}

// copyFrom prints a file from an offset and returns how much it printed.
func copyFrom(w io.Writer, path string, off int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, f)
}

// openStoredLog streams a stored zstd log through `git cat-file blob` and a decoder (never whole in memory).
func openStoredLog(ctx context.Context, st *gitstore.Store, e *gitstore.Experiment, name string) (io.Reader, func(), error) {
	rc, ok, err := st.OpenLog(ctx, e.ID, name)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		if e.Status == gitstore.StatusStaged || e.Status == gitstore.StatusQueued {
			return nil, nil, usagef("%s has not run yet (status %s)", e.ID[:7], e.Status)
		}
		return nil, nil, fmt.Errorf("%s has no stored %s", e.ID[:7], name)
	}
	return rc, func() { rc.Close() }, nil
}

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
