// Package run is the experiment lifecycle, the domain between the commands (cli, the web UI) and the store
// (gitstore): it records an experiment as it starts, runs its script in its own process group with the GIT_EXP_*
// environment, captures the output to a spool (and shows it live), stores the outputs and records how the run ended;
// it starts further attempts (retry, continue, with the previous attempt's outputs restored), records the end of
// runs whose runner died (crash recovery), runs batches on a pool of workers, and submits to and follows Slurm.
//
// A command says what it wants run as [Plan]s — each with its [StartMode] (a new experiment, a staged or queued one
// taken, another attempt) — and renders what comes back; it never moves an experiment from one status to another
// itself. Dependencies go one way: cli → run → gitstore → internal/gitcmd.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/value"
)

// StartMode says how an experiment starts running: which transition of its record the start is.
type StartMode int

const (
	// Fresh is a new experiment, recorded as it starts (a run, a rerun): commit "start ID NAME".
	Fresh StartMode = iota
	// Staged takes a recorded staged or queued experiment (run --staged, a batch's member, a Slurm job): commit
	// "run ID NAME". It fails with a taken error when another runner took it first.
	Staged
	// Continue starts another attempt of a failed, cancelled or crashed experiment: same id, the previous attempt's
	// logs kept under attempts/N/, its artifacts and metrics restored into the spool. Commit "continue ID NAME".
	Continue
)

// verb is the commit verb of the start.
func (s StartMode) verb() string {
	switch s {
	case Staged:
		return "run"
	case Continue:
		return "continue"
	}
	return "start"
}

func (s StartMode) String() string {
	switch s {
	case Staged:
		return "staged"
	case Continue:
		return "continue"
	}
	return "fresh"
}

// Executor is where experiments run.
type Executor string

const (
	Local Executor = "local" // processes of this machine (in the foreground, or detached in the background)
	Slurm Executor = "slurm" // one Slurm job per experiment (see SlurmCluster)
)

// ParseExecutor checks an executor's name (from --executor or git config exp.executor).
func ParseExecutor(name string) (Executor, error) {
	switch e := Executor(name); e {
	case Local, Slurm:
		return e, nil
	}
	return "", usagef("unknown executor %q: use local or slurm", name)
}

// Plan is one experiment ready to be recorded (Fresh) or recorded already (Staged, Continue), and run.
type Plan struct {
	Manifest *gitstore.Manifest
	Params   []byte    // the resolved parameters, as stored in params.json
	Dir      string    // working directory of the script when it runs from the worktree
	Mode     StartMode // how it starts
	// Results, after Execute: the results file the run wrote (at most 1 MiB); nil when it wrote none (the store may
	// hold results derived from its metrics); empty, not nil, when the store holds none.
	Results []byte
}

// Runner runs the experiments of one store.
type Runner struct {
	Store *gitstore.Store
	// Warn says one line to the user (stderr). Required.
	Warn func(format string, args ...any)
	// Recorded, when set, is told what was recorded ("exp" ID or "batch" ID) before anything runs: the background
	// process of run --detach tells its starter.
	Recorded func(kind, id string)
}

func (r *Runner) recorded(kind, id string) {
	if r.Recorded != nil {
		r.Recorded(kind, id)
	}
}

// Options say how one experiment runs.
type Options struct {
	Live, LiveErr io.Writer // live copies of the script's stdout and stderr; nil: quiet (the spool has everything)
	Retries       int       // run a failing experiment again, up to this many more times (attempts of the same id)
	Snapshot      string    // run from a checkout of this snapshot commit instead of the plan's Dir
	OnStart       func()    // called once the experiment is recorded as running
}

// UsageError is a mistake in what the user asked for (not a failure of the script).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// Execute records p as running (as its Mode says), runs it, stores its outputs and records how it ended; a failing
// run is tried again as a further attempt while o.Retries allow. It returns the script's exit status (130 when
// cancelled). Errors are failures to record; a failing script is not an error.
func (r *Runner) Execute(ctx context.Context, p *Plan, o Options) (int, error) {
	st := r.Store
	rec := context.WithoutCancel(ctx) // recording must finish even after Ctrl-C
	m := p.Manifest
	spool := st.SpoolFor(m.ID)
	// The spool goes only once its contents are stored: if recording fails (the process is being killed), the
	// next command that reads the store recovers it (crashed, or Slurm's reason) with the output.
	recorded := false
	defer func() {
		if recorded {
			os.RemoveAll(spool.Dir)
		}
	}()
	t0 := time.Now()
	if err := begin(rec, st, m, p.Params, p.Mode); err != nil {
		var inc *gitstore.IncompleteError
		if !errors.As(err, &inc) {
			return 0, err
		}
		// The start is recorded, but a concurrent prune took objects it needs (its snapshot): do not run on a
		// broken record; record the failure, not a crash.
		r.Warn("git exp: %v", err)
		res := Result{ExitCode: 1, StartErr: err, Started: time.Now()}
		saveEndTo(st, m.ID, res)
		if ferr := r.finishRetrying(rec, m, st.SpoolFor(m.ID), res); ferr != nil {
			return 0, ferr
		}
		os.RemoveAll(st.SpoolFor(m.ID).Dir)
		return 1, nil
	}
	r.recorded("exp", m.ID)
	// The spool is made once the experiment is this runner's (another `run --staged` may have taken it first).
	if err := os.MkdirAll(spool.Out, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(spool.Params, paramsFile(p.Params), 0o644); err != nil {
		return 0, err
	}
	gitstore.Tracef("phase record start (%s)", time.Since(t0).Round(time.Microsecond))
	if m.Attempt > 1 {
		if err := restoreOutputs(rec, st, m.ID, spool); err != nil {
			r.Warn("git exp: %s", err)
			ferr := r.finish(rec, m, spool, Result{ExitCode: 1, StartErr: err})
			recorded = ferr == nil
			return 1, ferr
		}
	}
	if o.OnStart != nil {
		o.OnStart()
	}
	dir := p.Dir
	if o.Snapshot != "" {
		checkout, err := st.Checkout(rec, o.Snapshot, filepath.Join(spool.Dir, "src"))
		if err != nil {
			r.Warn("git exp: %s", err)
			ferr := r.finish(rec, m, spool, Result{ExitCode: 1, StartErr: err})
			recorded = ferr == nil
			return 1, ferr
		}
		dir = filepath.Join(checkout, filepath.FromSlash(m.Cwd))
	}
	spec := Spec{
		Argv: m.Argv, Dir: dir, Env: append(scriptEnv(st, m, spool), r.pythonEnv()...),
		StdoutPath: spool.Stdout, StderrPath: spool.Stderr,
		Live: o.Live, LiveErr: o.LiveErr,
	}
	t0 = time.Now()
	res := Exec(ctx, spec)
	if res.StartErr != nil {
		r.Warn("git exp: %s", res.StartErr)
	}
	gitstore.Tracef("phase script (%s)", time.Since(t0).Round(time.Microsecond))
	t0 = time.Now()
	// How the run ended goes to the spool first: if recording it fails for good (or this process is killed now),
	// the next command records that end, not "crashed".
	saveEnd(spool, res)
	if err := r.finishRetrying(rec, m, spool, res); err != nil {
		return 0, err
	}
	recorded = true
	// What the run recorded as results, for the line that ends it: read here, from the spool, rather than again from
	// the store, which other writers may be moving (a read of the tip between a prune and its repair fails).
	p.Results = nil
	if f, err := os.Open(spool.Results); err == nil {
		p.Results, _ = io.ReadAll(io.LimitReader(f, 1<<20))
		f.Close()
	} else if _, err := os.Stat(spool.Metrics); errors.Is(err, fs.ErrNotExist) && m.Attempt <= 1 {
		// No results file and no metrics to derive results from, in a first attempt (a later one may keep an
		// earlier attempt's): the store holds none, and the end line need not look there.
		p.Results = []byte{}
	}
	gitstore.Tracef("phase record finish (%s)", time.Since(t0).Round(time.Microsecond))
	if res.Cancelled {
		return 130, nil
	}
	if res.ExitCode != 0 && o.Retries > 0 {
		r.Warn("git exp: %s failed (%s); retrying (%d more %s)", m.ID[:7], m.Error, o.Retries, plural(o.Retries, "try", "tries"))
		o.Retries--
		p.Mode = Continue
		os.RemoveAll(spool.Dir)
		return r.Execute(ctx, p, o)
	}
	return res.ExitCode, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// begin records that m starts running, as mode says.
func begin(ctx context.Context, st *gitstore.Store, m *gitstore.Manifest, params []byte, mode StartMode) error {
	if mode == Fresh {
		m.Status, m.Runner, m.Started, m.Attempt = gitstore.StatusRunning, gitstore.ThisRunner(), gitstore.Now(), 1
		return st.Create(ctx, "start", m, params)
	}
	return transition(ctx, st, m, mode, gitstore.StatusRunning)
}

// transition moves a recorded experiment to target (running, or queued for a scheduler): Staged takes a staged or
// queued one; Continue starts another attempt of a failed, cancelled or crashed one — same id, the previous
// attempt's logs kept under attempts/N/.
func transition(ctx context.Context, st *gitstore.Store, m *gitstore.Manifest, mode StartMode, target string) error {
	var runner *gitstore.Runner
	started := ""
	if target == gitstore.StatusRunning {
		runner, started = gitstore.ThisRunner(), gitstore.Now()
	}
	return st.Update(ctx, fmt.Sprintf("%s %s %s", mode.verb(), m.ID[:7], m.Name), func(tx *gitstore.Tx) error {
		cur, err := gitstore.ReadManifest(tx, m.ID)
		if err != nil {
			return err
		}
		again := mode == Continue && !(target == gitstore.StatusRunning && cur.Status == gitstore.StatusQueued)
		switch {
		case mode == Staged && cur.Status != gitstore.StatusStaged && cur.Status != gitstore.StatusQueued:
			return &takenError{id: m.ID, status: cur.Status}
		case again && cur.Status == gitstore.StatusCompleted:
			return usagef("experiment %s is complete: nothing to continue (git exp rerun %s runs it again)", m.ID[:7], m.ID[:7])
		case again && !Continuable(cur.Status):
			return usagef("experiment %s is %s: only failed, cancelled or crashed experiments can be continued", m.ID[:7], cur.Status)
		}
		if again {
			// Keep every attempt's output: move this attempt's logs aside.
			prev := max(cur.Attempt, 1)
			dir := gitstore.ExpPath(m.ID)
			for _, f := range []string{"stdout.zst", "stderr.zst"} {
				if e, ok, err := tx.Entry(dir + "/" + f); err != nil {
					return err
				} else if ok {
					if err := tx.Put(fmt.Sprintf("%s/attempts/%d/%s", dir, prev, f), e); err != nil {
						return err
					}
					if err := tx.Remove(dir + "/" + f); err != nil {
						return err
					}
				}
			}
			cur.Attempt = prev + 1
			cur.ExitCode, cur.Error, cur.Ended, cur.DurationS = nil, "", "", 0
		}
		cur.Status, cur.Runner = target, runner
		if started != "" {
			cur.Started = started
			cur.Attempt = max(cur.Attempt, 1) // a staged or queued experiment's first run is attempt 1
		}
		if job := os.Getenv("SLURM_JOB_ID"); job != "" && target == gitstore.StatusRunning && cur.Executor == string(Slurm) {
			if cur.Extra == nil {
				cur.Extra = map[string]string{}
			}
			cur.Extra["slurm_job_id"] = job
		}
		*m = *cur
		return gitstore.WriteManifest(tx, m)
	})
}

// takenError says that a staged or queued experiment is no longer waiting: another `git exp run --staged` (or a
// cancel) took it first. A batch runner skips it: it is not this runner's run.
type takenError struct{ id, status string }

func (e *takenError) Error() string {
	return fmt.Sprintf("experiment %s is %s, not staged or queued", e.id[:7], e.status)
}

// finish stores the outputs of a run and its final status.
func (r *Runner) finish(ctx context.Context, m *gitstore.Manifest, spool gitstore.Spool, res Result) error {
	st := r.Store
	prep, err := r.prepareSpool(spool)
	if err != nil {
		return err
	}
	ended := time.Now()
	if !res.Started.IsZero() && res.Duration > 0 {
		ended = res.Started.Add(res.Duration)
	}
	return st.Finish(ctx, "finish", m.ID, prep, func(cur *gitstore.Manifest) error {
		if gitstore.Finished(cur.Status) {
			// Someone recorded the end first (the scheduler's verdict, e.g. a Slurm TIMEOUT reconciled while
			// this job was being stopped): keep it, and add the outputs.
			cur.Runner = nil
			*m = *cur
			return nil
		}
		applyEnd(cur, res, ended)
		*m = *cur
		return nil
	})
}

// finishRetrying records the end of a run, trying again with a growing wait when the store cannot be written for a
// while (a busy disk, git's housekeeping): a run that ended must be recorded as it ended, never as crashed. It gives
// up after about two minutes; the end stays in the spool (saveEnd) for the next command to record.
func (r *Runner) finishRetrying(ctx context.Context, m *gitstore.Manifest, spool gitstore.Spool, res Result) error {
	wait := 50 * time.Millisecond
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := r.finish(ctx, m, spool, res)
		var inc *gitstore.IncompleteError
		if errors.As(err, &inc) {
			// Recorded, but a concurrent prune took objects that cannot be written again: say so, do not retry.
			r.Warn("git exp: %v", err)
			return nil
		}
		if err == nil {
			return nil
		}
		var ue *UsageError
		if errors.As(err, &ue) || time.Now().After(deadline) {
			return fmt.Errorf("could not record the end of %s (%v); it is kept in %s and the next git exp command records it", m.ID[:7], err, spool.Dir)
		}
		r.Warn("git exp: recording the end of %s failed (%v); trying again", m.ID[:7], err)
		time.Sleep(wait)
		wait = min(wait*2, 5*time.Second)
	}
}

// applyEnd sets the final state of a manifest from how its run ended.
func applyEnd(cur *gitstore.Manifest, res Result, ended time.Time) {
	code := res.ExitCode
	cur.ExitCode = &code
	cur.Ended = gitstore.FormatTime(ended)
	if !res.Started.IsZero() {
		cur.DurationS = float64(ended.Sub(res.Started).Milliseconds()) / 1000
	}
	switch {
	case res.Cancelled:
		cur.Status, cur.Error = gitstore.StatusCancelled, "cancelled (interrupted)"
	case res.StartErr != nil:
		cur.Status, cur.Error = gitstore.StatusFailed, res.StartErr.Error()
	case res.Signal != "":
		cur.Status, cur.Error = gitstore.StatusFailed, "killed by signal "+res.Signal
	case code != 0:
		cur.Status, cur.Error = gitstore.StatusFailed, fmt.Sprintf("exit status %d", code)
	default:
		cur.Status, cur.Error = gitstore.StatusCompleted, ""
	}
	cur.Runner = nil
}

// Snapshot records the code as it is now — tracked changes and untracked files up to git config
// exp.maxUntrackedSize — as one snapshot commit for plans (new experiments), and fills in each plan's git state,
// host, user and creation time. It returns the untracked files left out for size, and that size.
func (r *Runner) Snapshot(ctx context.Context, plans []*Plan) (skipped []string, maxUntracked int64, err error) {
	st := r.Store
	maxUntracked, err = st.ConfigSize("exp.maxUntrackedSize", gitstore.DefaultMaxUntrackedSize)
	if err != nil {
		return nil, 0, &UsageError{err.Error()}
	}
	t0 := time.Now()
	snap, err := st.Snapshot(ctx, maxUntracked)
	if err == nil {
		snap, err = st.SettleSnapshot(ctx, snap)
	}
	if err != nil {
		return nil, 0, err
	}
	gitstore.Tracef("phase snapshot (%s)", time.Since(t0).Round(time.Microsecond))
	host, _ := os.Hostname()
	user, email := st.Ident()
	now := gitstore.Now()
	for _, p := range plans {
		p.Manifest.Git = snap.Info
		p.Manifest.Host, p.Manifest.User, p.Manifest.Email, p.Manifest.Created = host, user, email, now
	}
	return snap.Skipped, maxUntracked, nil
}

// RerunOf is a new experiment that runs o again from o's snapshot: a new id, o as its parent, o's name, command,
// tags and parameter sources, and nothing of o's state (status, times, exit, attempts, runner, extra). The caller
// sets its name, batch and place in the batch when they differ.
func (r *Runner) RerunOf(o *gitstore.Experiment) *gitstore.Manifest {
	host, _ := os.Hostname()
	user, email := r.Store.Ident()
	m := o.Manifest
	m.ID, m.Parent, m.Batch, m.Seq = gitstore.NewID(), o.ID, "", 0
	m.Created, m.Host, m.User, m.Email = gitstore.Now(), host, user, email
	m.Status, m.ExitCode, m.Error, m.Started, m.Ended, m.DurationS, m.Attempt = "", nil, "", "", "", 0, 0
	m.Runner, m.Extra = nil, nil
	m.Tags = append([]string{}, o.Tags...)
	return &m
}

// Continuable says whether an experiment with this status can be continued (another attempt): failed, cancelled
// and crashed ones can.
func Continuable(status string) bool {
	return status == gitstore.StatusFailed || status == gitstore.StatusCancelled || status == gitstore.StatusCrashed
}

// paramsFile is the content of the file GIT_EXP_PARAMS names: the parameters as indented JSON ending with a newline,
// whichever way the plan got them (resolved now, or read back for a staged, queued or continued experiment), so a
// script reads the same file however it was started.
func paramsFile(params []byte) []byte {
	tree, err := value.Unmarshal(params)
	if err != nil {
		return params
	}
	out, err := value.MarshalIndent(tree)
	if err != nil {
		return params
	}
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	return out
}
