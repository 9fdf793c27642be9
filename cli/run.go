package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/git-exp/git-exp/config"
	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
	"github.com/git-exp/git-exp/sweep"
	"github.com/git-exp/git-exp/value"
)

// RunCmd runs a script (or a command after --) as a tracked experiment, or a grid of them.
type RunCmd struct {
	Script      string   `arg:"" optional:"" help:"Script to run (.py, .go, .sh or executable). Or give a command after --."`
	Param       []string `sep:"none" short:"p" placeholder:"KEY=VALUE" help:"Set a parameter (dotted keys; YAML values; sweeps like lr=list(0.1,0.01)). Repeatable."`
	Config      []string `sep:"none" short:"c" placeholder:"FILE" help:"YAML config file (imports, dotted keys). Repeatable, merged in order."`
	Name        string   `short:"n" placeholder:"NAME" help:"Experiment name (default: the script's name; NAME[k=v,...] for each run of a sweep)."`
	Tag         []string `sep:"none" short:"t" help:"Tag the experiment. Repeatable."`
	Description string   `short:"d" placeholder:"TEXT" help:"Free-text description."`
	Quiet       bool     `short:"q" help:"Do not show the script's output (it is still recorded)."`
	DryRun      bool     `help:"Resolve and validate parameters, print them, run and record nothing."`
	JSON        bool     `name:"json" help:"With --dry-run: print the plan as JSON."`
	Stage       bool     `help:"Record the experiments as staged, to run later with --staged."`
	Staged      bool     `help:"Run every staged experiment, each from the snapshot it was staged with."`
	Batch       string   `placeholder:"ID" help:"With --staged: only this batch (id or prefix)."`
	Jobs        int      `short:"j" default:"1" placeholder:"N" help:"Run N experiments at a time (0: one per CPU)."`
	S           bool     `short:"s" name:"live" help:"Show every run's output live, prefixed by its run (same as --capture=no)."`
	Capture     string   `default:"yes" enum:"yes,no" help:"'no' streams each run's output, prefixed by its run."`
	Yes         bool     `short:"y" help:"Do not ask before running a grid of more than 1000 runs."`
	Retry       int      `placeholder:"N" help:"Retry a failing run up to N more times (each try is an attempt of the same experiment)."`

	// A dirty worktree is recorded in the snapshot; these are for those who want it refused (issue 18).
	RequireClean bool `help:"Refuse to run when the worktree has uncommitted changes or untracked files (default: git config exp.requireClean; otherwise the dirty state is recorded in the snapshot)."`
	IgnoreDirty  bool `help:"Run even when exp.requireClean is set (without it, a dirty worktree is recorded anyway: accepted for yanex users)."`
	ExecFlags

	cached int // members already complete (continue --batch), counted as cached
}

// plan is one experiment ready to be recorded and run.
type plan struct {
	m      *gitstore.Manifest
	params []byte
	dir    string // working directory of the script
	verb   string // how it starts: "" new, "run" staged, "continue" another attempt
}

// Run implements git exp run.
func (c *RunCmd) Run(ctx context.Context, env *Env) error {
	if env.detached = newDetachedReporter(); env.detached != nil {
		// The background process of --detach: nothing on a terminal, the output only in the spools.
		c.Quiet, c.S, c.Capture = true, false, "yes"
	}
	if c.Detach && env.detached == nil && !c.DryRun && !c.Stage {
		st, err := env.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if executor, err := c.executor(st); err != nil {
			return err
		} else if executor == "local" {
			return c.detach(ctx, env, st)
		}
	}
	if c.Staged {
		return c.runStaged(ctx, env)
	}
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Bare {
		return gitstore.ErrBare
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	// 1. Everything the user gave is checked before anything is recorded.
	argv, script, err := c.command(env, wd, st.Root)
	if err != nil {
		return err
	}
	params, sources, err := config.Resolve(st.Root, filepath.Join(st.Root, "config.yaml"), c.Config, os.Environ(), c.Param)
	if err != nil {
		return &usageError{err.Error()}
	}
	points, err := sweep.Expand(params)
	if err != nil {
		return &usageError{err.Error()}
	}
	if len(points) > 1000 && !c.Yes && !c.DryRun {
		if !env.IO.ErrTTY || !confirm(env.IO, fmt.Sprintf("This grid has %d runs. Run them all?", len(points))) {
			return usagef("this grid has %d runs: pass --yes to run it", len(points))
		}
	}
	name := c.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(script), filepath.Ext(script))
	}
	var plans []*plan
	batch := ""
	if len(points) > 1 || c.Stage {
		batch = gitstore.NewID()
	}
	relCwd, _ := filepath.Rel(st.Root, wd)
	for _, pt := range points {
		data, err := value.MarshalIndent(pt.Params)
		if err != nil {
			return &usageError{err.Error()}
		}
		m := &gitstore.Manifest{
			ID: gitstore.NewID(), Name: name, Description: c.Description, Tags: append([]string{}, c.Tag...),
			Script: script, Argv: argv, Cwd: filepath.ToSlash(relCwd), Executor: "local", Batch: batch,
			Sources: toSources(sources),
		}
		if len(points) > 1 {
			m.Name = name + "[" + sweep.Name(pt.Vars) + "]"
			m.Tags = appendUnique(m.Tags, "sweep")
		}
		plans = append(plans, &plan{m: m, params: append(data, '\n'), dir: wd})
	}
	if err := c.checkClean(ctx, st); err != nil {
		return err
	}
	if c.DryRun {
		return printPlan(env.IO, plans, c.JSON)
	}
	executor, err := c.executor(st)
	if err != nil {
		return err
	}
	maxUntracked, err := st.ConfigSize("exp.maxUntrackedSize", gitstore.DefaultMaxUntrackedSize)
	if err != nil {
		return &usageError{err.Error()}
	}
	// 2. The code, exactly as it is now.
	t0 := time.Now()
	snap, err := st.Snapshot(ctx, maxUntracked)
	if err == nil {
		snap, err = st.SettleSnapshot(ctx, snap)
	}
	if err != nil {
		return err
	}
	gitstore.Tracef("phase snapshot (%s)", time.Since(t0).Round(time.Microsecond))
	if len(snap.Skipped) > 0 {
		env.IO.Warnf("warning: left out of the snapshot, larger than exp.maxUntrackedSize (%d bytes): %s", maxUntracked, strings.Join(snap.Skipped, ", "))
	}
	host, _ := os.Hostname()
	userName, email := st.Ident()
	now := gitstore.Now()
	for _, p := range plans {
		p.m.Git = snap.Info
		p.m.Host, p.m.User, p.m.Email, p.m.Created = host, userName, email, now
	}
	if executor == "slurm" && !c.Stage {
		return c.submitSlurm(ctx, env, st, plans, batch)
	}
	if c.Stage || len(plans) > 1 {
		return c.runBatch(ctx, env, st, plans, c.Stage)
	}
	code, err := execute(ctx, env, st, plans[0], execOptions{live: !c.Quiet, retries: c.Retry})
	if err != nil {
		return err
	}
	reportEnd(ctx, env, st, plans[0].m)
	if code != 0 {
		return &exitError{code}
	}
	return nil
}

// checkClean refuses a dirty worktree under --require-clean or git config exp.requireClean (unless --ignore-dirty),
// naming what is uncommitted.
func (c *RunCmd) checkClean(ctx context.Context, st *gitstore.Store) error {
	require, err := st.ConfigBool("exp.requireClean", false)
	if err != nil {
		return &usageError{err.Error()}
	}
	if c.RequireClean && c.IgnoreDirty {
		return usagef("--require-clean and --ignore-dirty contradict each other: give one")
	}
	if !(c.RequireClean || require && !c.IgnoreDirty) {
		return nil
	}
	dirty, err := st.Uncommitted(ctx)
	if err != nil || len(dirty) == 0 {
		return err
	}
	const most = 10
	shown := dirty[:min(len(dirty), most)]
	more := ""
	if len(dirty) > most {
		more = fmt.Sprintf(" and %d more", len(dirty)-most)
	}
	why := "--require-clean"
	if !c.RequireClean {
		why = "git config exp.requireClean is true"
	}
	return usagef("the worktree is not clean (%s): %s%s; commit or stash them (git status), or pass --ignore-dirty to record them in the snapshot",
		why, strings.Join(shown, ", "), more)
}

// command works out the argv to run and the script to record.
func (c *RunCmd) command(env *Env, wd, root string) (argv []string, script string, err error) {
	if c.Script == "" {
		if len(env.Tail) == 0 {
			return nil, "", usagef("nothing to run: give a script (git exp run train.py) or a command after -- (git exp run -- python train.py)")
		}
		return env.Tail, env.Tail[0], nil
	}
	argv, err = run.Command(wd, root, c.Script, env.Tail)
	if err != nil {
		var ue *run.UsageError
		if errors.As(err, &ue) {
			return nil, "", &usageError{ue.Msg}
		}
		return nil, "", err
	}
	return argv, c.Script, nil
}

func toSources(src []config.Source) []gitstore.ParamSource {
	out := make([]gitstore.ParamSource, len(src))
	for i, s := range src {
		out[i] = gitstore.ParamSource{Kind: s.Kind, Path: s.Path, Keys: s.Keys}
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

type execOptions struct {
	live     bool           // show output live
	prefix   string         // prefix for each live line (batches with -s)
	verb     string         // "start" for a new experiment, "resume" for a staged one
	onStart  func()         // called once the experiment is recorded as running
	retries  int            // run failing experiments again, up to this many more times
	snapshot string         // run from a checkout of this snapshot instead of the worktree
	stdout   *prefixWriters // shared line-prefixing writers
}

// execute records p as running, runs it, stores its outputs and records how it ended. It returns the script's exit
// status. Errors are failures to record; a failing script is not an error.
func execute(ctx context.Context, env *Env, st *gitstore.Store, p *plan, o execOptions) (int, error) {
	rec := context.WithoutCancel(ctx) // recording must finish even after Ctrl-C
	m := p.m
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
	if err := begin(rec, st, m, p.params, o.verb); err != nil {
		var inc *gitstore.IncompleteError
		if !errors.As(err, &inc) {
			return 0, err
		}
		// The start is recorded, but a concurrent prune took objects it needs (its snapshot): do not run on a
		// broken record; record the failure, not a crash.
		env.IO.Warnf("git exp: %v", err)
		res := run.Result{ExitCode: 1, StartErr: err, Started: time.Now()}
		saveEndTo(st, m.ID, res)
		if ferr := finishRetrying(rec, st, m, st.SpoolFor(m.ID), res, env); ferr != nil {
			return 0, ferr
		}
		os.RemoveAll(st.SpoolFor(m.ID).Dir)
		return 1, nil
	}
	env.detached.report("exp", m.ID)
	// The spool is made once the experiment is this runner's (another `run --staged` may have taken it first).
	if err := os.MkdirAll(spool.Out, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(spool.Params, p.params, 0o644); err != nil {
		return 0, err
	}
	gitstore.Tracef("phase record start (%s)", time.Since(t0).Round(time.Microsecond))
	if m.Attempt > 1 {
		if err := restoreOutputs(rec, st, m.ID, spool); err != nil {
			env.IO.Warnf("git exp: %s", err)
			ferr := finishWith(rec, st, m, spool, run.Result{ExitCode: 1, StartErr: err}, env)
			recorded = ferr == nil
			return 1, ferr
		}
	}
	if o.onStart != nil {
		o.onStart()
	}
	dir := p.dir
	if o.snapshot != "" {
		checkout, err := st.Checkout(rec, o.snapshot, filepath.Join(spool.Dir, "src"))
		if err != nil {
			env.IO.Warnf("git exp: %s", err)
			ferr := finishWith(rec, st, m, spool, run.Result{ExitCode: 1, StartErr: err}, env)
			recorded = ferr == nil
			return 1, ferr
		}
		dir = filepath.Join(checkout, filepath.FromSlash(m.Cwd))
	}
	spec := run.Spec{
		Argv: m.Argv, Dir: dir, Env: append(scriptEnv(st, m, spool), pythonEnv(st, env.IO)...),
		StdoutPath: spool.Stdout, StderrPath: spool.Stderr,
	}
	if o.live {
		if o.stdout != nil {
			spec.Live, spec.LiveErr = o.stdout.For(o.prefix)
		} else {
			spec.Live, spec.LiveErr = env.IO.Out, env.IO.Err
		}
	}
	t0 = time.Now()
	res := run.Exec(ctx, spec)
	if res.StartErr != nil {
		env.IO.Warnf("git exp: %s", res.StartErr)
	}
	gitstore.Tracef("phase script (%s)", time.Since(t0).Round(time.Microsecond))
	t0 = time.Now()
	// How the run ended goes to the spool first: if recording it fails for good (or this process is killed now),
	// the next command records that end, not "crashed".
	saveEnd(spool, res)
	if err := finishRetrying(rec, st, m, spool, res, env); err != nil {
		return 0, err
	}
	recorded = true
	gitstore.Tracef("phase record finish (%s)", time.Since(t0).Round(time.Microsecond))
	if res.Cancelled {
		return 130, nil
	}
	if res.ExitCode != 0 && o.retries > 0 {
		env.IO.Warnf("git exp: %s failed (%s); retrying (%d more %s)", m.ID[:7], m.Error, o.retries, plural(o.retries, "try", "tries"))
		o.retries--
		o.verb = "continue"
		os.RemoveAll(spool.Dir)
		return execute(ctx, env, st, p, o)
	}
	return res.ExitCode, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// begin records that m starts running: a new experiment ("" verb), a staged or queued one ("run"), or another
// attempt of a failed, cancelled or crashed one ("continue").
func begin(ctx context.Context, st *gitstore.Store, m *gitstore.Manifest, params []byte, verb string) error {
	if verb == "" {
		m.Status, m.Runner, m.Started, m.Attempt = gitstore.StatusRunning, gitstore.ThisRunner(), gitstore.Now(), 1
		return st.Create(ctx, "start", m, params)
	}
	return transition(ctx, st, m, verb, gitstore.StatusRunning)
}

// transition moves a recorded experiment to target (running, or queued for a scheduler): "run" takes a staged or
// queued one; "continue" starts another attempt of a failed, cancelled or crashed one — same id, the previous
// attempt's logs kept under attempts/N/.
func transition(ctx context.Context, st *gitstore.Store, m *gitstore.Manifest, verb, target string) error {
	var runner *gitstore.Runner
	started := ""
	if target == gitstore.StatusRunning {
		runner, started = gitstore.ThisRunner(), gitstore.Now()
	}
	return st.Update(ctx, fmt.Sprintf("%s %s %s", verb, m.ID[:7], m.Name), func(tx *gitstore.Tx) error {
		cur, err := gitstore.ReadManifest(tx, m.ID)
		if err != nil {
			return err
		}
		again := verb == "continue" && !(target == gitstore.StatusRunning && cur.Status == gitstore.StatusQueued)
		switch {
		case verb == "run" && cur.Status != gitstore.StatusStaged && cur.Status != gitstore.StatusQueued:
			return &takenError{id: m.ID, status: cur.Status}
		case again && cur.Status == gitstore.StatusCompleted:
			return usagef("experiment %s is complete: nothing to continue (git exp rerun %s runs it again)", m.ID[:7], m.ID[:7])
		case again && cur.Status != gitstore.StatusFailed && cur.Status != gitstore.StatusCancelled && cur.Status != gitstore.StatusCrashed:
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
		if job := os.Getenv("SLURM_JOB_ID"); job != "" && target == gitstore.StatusRunning && cur.Executor == "slurm" {
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

// finishWith stores the outputs of a run and its final status.
func finishWith(ctx context.Context, st *gitstore.Store, m *gitstore.Manifest, spool gitstore.Spool, res run.Result, env *Env) error {
	prep, err := prepareSpool(st, env, spool)
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
func finishRetrying(ctx context.Context, st *gitstore.Store, m *gitstore.Manifest, spool gitstore.Spool, res run.Result, env *Env) error {
	wait := 50 * time.Millisecond
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := finishWith(ctx, st, m, spool, res, env)
		var inc *gitstore.IncompleteError
		if errors.As(err, &inc) {
			// Recorded, but a concurrent prune took objects that cannot be written again: say so, do not retry.
			env.IO.Warnf("git exp: %v", err)
			return nil
		}
		if err == nil {
			return nil
		}
		var ue *usageError
		if errors.As(err, &ue) || time.Now().After(deadline) {
			return fmt.Errorf("could not record the end of %s (%v); it is kept in %s and the next git exp command records it", m.ID[:7], err, spool.Dir)
		}
		env.IO.Warnf("git exp: recording the end of %s failed (%v); trying again", m.ID[:7], err)
		time.Sleep(wait)
		wait = min(wait*2, 5*time.Second)
	}
}

// applyEnd sets the final state of a manifest from how its run ended.
func applyEnd(cur *gitstore.Manifest, res run.Result, ended time.Time) {
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
func saveEndTo(st *gitstore.Store, id string, res run.Result) {
	spool := st.SpoolFor(id)
	if os.MkdirAll(spool.Dir, 0o755) == nil {
		saveEnd(spool, res)
	}
}

func saveEnd(spool gitstore.Spool, res run.Result) {
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
func loadEnd(spool gitstore.Spool) (res run.Result, ended time.Time, ok bool) {
	data, err := os.ReadFile(filepath.Join(spool.Dir, "end.json"))
	if err != nil {
		return res, ended, false
	}
	var e spoolEnd
	if json.Unmarshal(data, &e) != nil {
		return res, ended, false
	}
	res = run.Result{ExitCode: e.ExitCode, Cancelled: e.Cancelled, Signal: e.Signal}
	if e.StartErr != "" {
		res.StartErr = errors.New(e.StartErr)
	}
	res.Started, _ = time.Parse(time.RFC3339Nano, e.Started)
	ended, err = time.Parse(time.RFC3339Nano, e.Ended)
	return res, ended, err == nil
}

// prepareSpool stores what a run spooled — logs, metrics, results, artifacts (within exp.maxArtifactSize) — as
// objects, ready for the commit that records how it ended.
func prepareSpool(st *gitstore.Store, env *Env, spool gitstore.Spool) (*gitstore.Prepared, error) {
	maxArt, err := st.ConfigSize("exp.maxArtifactSize", 0)
	if err != nil {
		env.IO.Warnf("git exp: %v", err)
	}
	return st.PrepareOutputs(gitstore.Outputs{Spool: spool,
		ResultsFrom:        func() []byte { return resultsOf(spool, env.IO.Warnf) },
		MetricsSummaryFrom: func() []byte { return metricsSummary(spool) },
		MaxArtifactSize:    maxArt, Warn: env.IO.Warnf})
}

// recordEnd records the end of a run that its own process could not record (it crashed, or a scheduler killed it):
// what it spooled is stored and mutate sets the final state, in one commit; mutate returns ErrNoChange to record
// nothing (the run is still going, or its end is already recorded). The spool goes once its contents are stored.
func recordEnd(ctx context.Context, env *Env, st *gitstore.Store, id, verb string, mutate func(m *gitstore.Manifest) error) error {
	spool := st.SpoolFor(id)
	var prep *gitstore.Prepared
	if _, err := os.Stat(spool.Dir); err == nil {
		if prep, err = prepareSpool(st, env, spool); err != nil {
			return err
		}
	}
	applied := false
	err := st.Finish(context.WithoutCancel(ctx), verb, id, prep, func(m *gitstore.Manifest) error {
		applied = false
		if err := mutate(m); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err == nil && applied && prep != nil {
		os.RemoveAll(spool.Dir)
	}
	return err
}

// resultsOf returns results.json for a finished run: the explicit results the script wrote, else the last value of
// each metric; nil when there are neither. NaN, Infinity and -Infinity (as Python's json writes them) are values like
// any other; a results file that is not a JSON object is stored exactly as written, and warn says so in one line.
func resultsOf(spool gitstore.Spool, warn func(format string, args ...any)) []byte {
	if data, err := os.ReadFile(spool.Results); err == nil && len(bytes.TrimSpace(data)) > 0 {
		v, err := value.Unmarshal(data)
		if err == nil {
			if obj, ok := v.(map[string]any); ok {
				if out, err := value.MarshalIndent(obj); err == nil {
					return append(out, '\n')
				}
			}
			err = errors.New("not a JSON object")
		}
		warn("git exp: $GIT_EXP_RESULTS is not a JSON object of results (%v): stored as written, not shown as results", err)
		return data
	}
	f, err := os.Open(spool.Metrics)
	if err != nil {
		return nil
	}
	defer f.Close()
	last, err := exp.LastValues(f)
	if err != nil && len(last) == 0 || len(last) == 0 {
		return nil
	}
	out, err := value.MarshalIndent(last)
	if err != nil {
		return nil
	}
	return append(out, '\n')
}

// metricsSummary is metrics.summary.json for a finished run: each metric's last value (at the highest step) and,
// for numbers, its min and max; nil when no metric was logged. Filters and sorts read it as metrics.NAME (last),
// metrics.NAME.min and metrics.NAME.max, whatever results the script wrote.
func metricsSummary(spool gitstore.Spool) []byte {
	f, err := os.Open(spool.Metrics)
	if err != nil {
		return nil
	}
	defer f.Close()
	type agg struct {
		step          int64
		last          any
		min, max      float64
		numeric, seen bool
	}
	aggs := map[string]*agg{}
	s := exp.NewMetricsScanner(f)
	for s.Scan() {
		p := s.Point()
		for k, v := range p.Values {
			a := aggs[k]
			if a == nil {
				a = &agg{}
				aggs[k] = a
			}
			if !a.seen || p.Step >= a.step {
				a.step, a.last = p.Step, v
			}
			if x, ok := exp.Float(v); ok && !math.IsNaN(x) {
				if !a.numeric {
					a.min, a.max, a.numeric = x, x, true
				}
				a.min, a.max = min(a.min, x), max(a.max, x)
			}
			a.seen = true
		}
	}
	if len(aggs) == 0 {
		return nil
	}
	out := make(map[string]any, len(aggs))
	for k, a := range aggs {
		m := map[string]any{"last": a.last}
		if a.numeric {
			m["min"], m["max"] = a.min, a.max
		}
		out[k] = m
	}
	data, err := value.MarshalIndent(out)
	if err != nil {
		return nil
	}
	return append(data, '\n')
}

// scriptEnv is the environment of the script: the user's, plus the run protocol (DESIGN.md §4).
func scriptEnv(st *gitstore.Store, m *gitstore.Manifest, spool gitstore.Spool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_EXP_") && !strings.HasPrefix(k, "GIT_EXP_PARAM_") && k != "GIT_EXP_TRACE" {
			continue
		}
		if k == "GIT_INDEX_FILE" || k == "GIT_DIR" || k == "GIT_WORK_TREE" || k == "PYTHONPATH" {
			continue
		}
		env = append(env, kv)
	}
	attempt := m.Attempt
	if attempt == 0 {
		attempt = 1
	}
	return append(env,
		"GIT_EXP_ID="+m.ID,
		"GIT_EXP_NAME="+m.Name,
		"GIT_EXP_OUT="+spool.Out,
		"GIT_EXP_PARAMS="+spool.Params,
		"GIT_EXP_METRICS="+spool.Metrics,
		"GIT_EXP_RESULTS="+spool.Results,
		"GIT_EXP_REPO="+st.Root,
		fmt.Sprintf("GIT_EXP_ATTEMPT=%d", attempt),
		"GIT_EXP_PARENT="+m.Parent,
	)
}

// printPlan prints what --dry-run would run.
func printPlan(io *IO, plans []*plan, asJSON bool) error {
	if asJSON {
		type entry struct {
			Name    string                 `json:"name"`
			Argv    []string               `json:"argv"`
			Params  json.RawMessage        `json:"params"`
			Sources []gitstore.ParamSource `json:"param_sources"`
		}
		var out []entry
		for _, p := range plans {
			out = append(out, entry{p.m.Name, p.m.Argv, json.RawMessage(p.params), p.m.Sources})
		}
		return writeJSON(io.Out, out)
	}
	for i, p := range plans {
		if len(plans) > 1 {
			fmt.Fprintf(io.Out, "# run %d of %d: %s\n", i+1, len(plans), io.Text(p.m.Name))
		}
		fmt.Fprintf(io.Out, "command: %s\n", io.Text(strings.Join(p.m.Argv, " ")))
		v, _ := value.Unmarshal(p.params)
		fmt.Fprint(io.Out, "params:\n")
		printTree(io, io.Out, v, "  ")
		if len(p.m.Sources) > 0 {
			var src []string
			for _, s := range p.m.Sources {
				if s.Path != "" {
					src = append(src, s.Kind+" "+s.Path)
				} else {
					src = append(src, s.Kind+" ("+strings.Join(s.Keys, ", ")+")")
				}
			}
			fmt.Fprintf(io.Out, "from:    %s\n", strings.Join(src, "; "))
		}
	}
	fmt.Fprintf(io.Err, "dry run: nothing was run or recorded (%d experiment(s) planned)\n", len(plans))
	return nil
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
