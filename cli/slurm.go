package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
)

// ExecFlags choose where experiments run; shared by run, rerun and continue.
type ExecFlags struct {
	Executor  string   `placeholder:"NAME" help:"Where to run: local or slurm (default: git config exp.executor, else local)."`
	Partition string   `help:"Slurm partition (default: git config exp.slurm.partition)."`
	Time      string   `help:"Slurm time limit, e.g. 10, 1:30:00 (default: exp.slurm.time)."`
	CPUs      int      `name:"cpus" help:"Slurm CPUs per task (default: exp.slurm.cpus)."`
	Mem       string   `help:"Slurm memory, e.g. 4G (default: exp.slurm.mem)."`
	Gres      string   `help:"Slurm generic resources, e.g. gpu:1 (default: exp.slurm.gres)."`
	SbatchArg []string `sep:"none" placeholder:"ARG" help:"Another sbatch argument, as given (repeatable)."`
	Detach    bool     `help:"Return at once: locally, the run goes on in a background process (follow it with git exp logs -f ID); with slurm, once submitted."`
}

func (f *ExecFlags) executor(st *gitstore.Store) (string, error) {
	e := f.Executor
	if e == "" {
		e = st.ConfigString("exp.executor", "local")
	}
	switch e {
	case "local", "slurm":
		return e, nil
	}
	return "", usagef("unknown executor %q: use local or slurm", e)
}

func (f *ExecFlags) slurm(st *gitstore.Store) (*run.Slurm, error) {
	r := run.Resources{
		Partition: or(f.Partition, st.ConfigString("exp.slurm.partition", "")),
		Time:      or(f.Time, st.ConfigString("exp.slurm.time", "")),
		Mem:       or(f.Mem, st.ConfigString("exp.slurm.mem", "")),
		Gres:      or(f.Gres, st.ConfigString("exp.slurm.gres", "")),
		CPUs:      f.CPUs,
		Extra:     f.SbatchArg,
	}
	if r.CPUs == 0 {
		if s := st.ConfigString("exp.slurm.cpus", ""); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, usagef("git config exp.slurm.cpus = %q is not a number", s)
			}
			r.CPUs = n
		}
	}
	return &run.Slurm{Resources: r}, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// submitSlurm records plans as queued, submits one Slurm job per plan, and (unless detached) follows them with the
// same progress report as local runs, reconciling Slurm's final states into the store.
func (c *RunCmd) submitSlurm(ctx context.Context, env *Env, st *gitstore.Store, plans []*plan, batch string) error {
	rec := context.WithoutCancel(ctx)
	sl, err := c.slurm(st)
	if err != nil {
		return err
	}
	// A bad partition, a missing sbatch or a controller that is down: one line, nothing recorded.
	if err := sl.Check(ctx, st.Root); err != nil {
		return usagef("%v", err)
	}
	// The job runs the git-exp that git finds on PATH (sbatch passes the environment on), else this binary.
	self, err := exec.LookPath("git-exp")
	if err == nil {
		self, err = filepath.Abs(self)
	}
	if err != nil {
		if self, err = os.Executable(); err != nil {
			return err
		}
	}
	logDir := slurmOutDir(st)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	// 1. Record every plan as queued.
	var fresh []gitstore.NewRecord
	for _, p := range plans {
		p.m.Executor = "slurm"
		if p.verb == "" {
			p.m.Status = gitstore.StatusQueued
			fresh = append(fresh, gitstore.NewRecord{Manifest: p.m, Params: p.params})
		}
	}
	if len(fresh) == 1 && batch == "" {
		if err := st.Create(rec, "queue", fresh[0].Manifest, fresh[0].Params); err != nil {
			return err
		}
	} else if len(fresh) > 0 {
		b := &gitstore.Batch{ID: batch, Created: gitstore.Now(), Command: os.Args, Snapshot: fresh[0].Manifest.Git.Snapshot,
			Executor: "slurm", User: fresh[0].Manifest.User, Host: fresh[0].Manifest.Host}
		for _, r := range fresh {
			b.Runs = append(b.Runs, r.Manifest.ID)
		}
		if err := st.CreateBatch(rec, "queue", b, fresh); err != nil {
			return err
		}
	}
	for _, p := range plans {
		if p.verb != "" {
			if err := transition(rec, st, p.m, p.verb, gitstore.StatusQueued); err != nil {
				return err
			}
			p.m.Executor = "slurm"
		}
	}
	// 2. Submit.
	jobs := map[string]*plan{} // job id -> plan
	var ids []string
	for i, p := range plans {
		argv := []string{self, "-C", st.Root, "exec-job", p.m.ID}
		id, err := sl.Submit(ctx, "git-exp:"+p.m.Name, st.Root, filepath.Join(logDir, p.m.ID+".out"), argv)
		if err != nil {
			for _, q := range plans[i:] {
				markFailed(rec, st, q.m.ID, "not submitted: "+err.Error())
			}
			recordJobIDs(rec, st, jobs)
			return fmt.Errorf("submitting to Slurm failed after %d of %d job(s): %v", i, len(plans), err)
		}
		jobs[id] = p
		ids = append(ids, id)
	}
	if err := recordJobIDs(rec, st, jobs); err != nil {
		return err
	}
	if c.Detach {
		fmt.Fprintf(env.IO.Err, "submitted %d Slurm job(s); follow them with git exp list, cancel with git exp cancel\n", len(ids))
		for _, id := range ids {
			fmt.Fprintf(env.IO.Out, "%s\t%s\t%s\n", jobs[id].m.ID, id, env.IO.Text(jobs[id].m.Name))
		}
		return nil
	}
	return c.follow(ctx, env, st, sl, jobs, ids, batch)
}

// follow polls the jobs until they end, showing progress; Ctrl-C cancels the jobs still queued or running.
func (c *RunCmd) follow(ctx context.Context, env *Env, st *gitstore.Store, sl *run.Slurm, jobs map[string]*plan, ids []string, batch string) error {
	rec := context.WithoutCancel(ctx)
	prog := newProgress(env.IO, len(ids)+c.cached, false)
	prog.cache(c.cached)
	pending := append([]string(nil), ids...)
	seenRunning := map[string]bool{}
	failed := 0
	cancelled := false
	var cancelDeadline time.Time
	started := time.Now()
	for len(pending) > 0 {
		if ctx.Err() != nil && !cancelled {
			cancelled = true
			cancelDeadline = time.Now().Add(30 * time.Second)
			if err := sl.Cancel(rec, pending); err != nil {
				env.IO.Warnf("git exp: scancel failed: %v", err)
			}
		}
		states, err := sl.Poll(rec, pending)
		if err != nil {
			env.IO.Warnf("git exp: cannot follow the jobs: %v (they keep running; see git exp list)", err)
			prog.wait()
			return &exitError{1}
		}
		var next []string
		for _, id := range pending {
			js := states[id]
			p := jobs[id]
			status, _ := js.Status()
			if status == "running" && !seenRunning[id] {
				seenRunning[id] = true
				prog.started(p.m)
			}
			if !js.Done && !(cancelled && time.Now().After(cancelDeadline)) {
				next = append(next, id)
				continue
			}
			m, err := reconcile(rec, env, st, p.m.ID, js)
			if err != nil {
				env.IO.Warnf("git exp: %s: %v", p.m.ID[:7], err)
			}
			if m != nil {
				*p.m = *m
			}
			if p.m.Status != gitstore.StatusCompleted {
				failed++
			}
			code := 0
			if p.m.ExitCode != nil {
				code = *p.m.ExitCode
			}
			prog.finished(p.m, code, nil)
		}
		pending = next
		if len(pending) > 0 {
			select {
			case <-time.After(pollInterval(time.Since(started))):
			case <-ctx.Done():
			}
		}
	}
	prog.wait()
	if cancelled {
		fmt.Fprintln(env.IO.Err, "interrupted: the Slurm jobs were cancelled")
		return &exitError{130}
	}
	if len(ids) == 1 && batch == "" {
		// One experiment: its own end line, and the script's exit status, as a local run gives them.
		m := jobs[ids[0]].m
		reportEnd(ctx, env, st, m)
		if m.Status != gitstore.StatusCompleted {
			if m.ExitCode != nil && *m.ExitCode != 0 {
				return &exitError{*m.ExitCode}
			}
			return &exitError{1}
		}
	}
	if failed > 0 {
		return &exitError{1}
	}
	return nil
}

// pollInterval follows short jobs closely and backs off for long ones, so a cluster's controller is not asked
// several times a second for hours.
func pollInterval(elapsed time.Duration) time.Duration {
	switch {
	case elapsed < 5*time.Second:
		return 100 * time.Millisecond
	case elapsed < time.Minute:
		return 500 * time.Millisecond
	case elapsed < 10*time.Minute:
		return 2 * time.Second
	}
	return 5 * time.Second
}

// recordJobIDs writes the Slurm job id into each experiment's manifest, in one commit.
func recordJobIDs(ctx context.Context, st *gitstore.Store, jobs map[string]*plan) error {
	if len(jobs) == 0 {
		return nil
	}
	return st.Update(ctx, fmt.Sprintf("submit %d Slurm job(s)", len(jobs)), func(tx *gitstore.Tx) error {
		for id, p := range jobs {
			m, err := gitstore.ReadManifest(tx, p.m.ID)
			if err != nil {
				return err
			}
			if m.Extra == nil {
				m.Extra = map[string]string{}
			}
			m.Extra["slurm_job_id"] = id
			m.Executor = "slurm"
			if err := gitstore.WriteManifest(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func markFailed(ctx context.Context, st *gitstore.Store, id, reason string) {
	st.Edit(ctx, "fail", id, func(m *gitstore.Manifest) error {
		if gitstore.Finished(m.Status) {
			return gitstore.ErrNoChange
		}
		m.Status, m.Error, m.Ended = gitstore.StatusFailed, reason, gitstore.Now()
		return nil
	})
}

// reconcile records what Slurm says of an ended job when the job itself could not: a job cancelled while pending,
// killed at its time limit (TIMEOUT) or out of memory, or lost with its node. Whatever output the job spooled is
// stored. It returns the experiment's manifest afterwards.
func reconcile(ctx context.Context, env *Env, st *gitstore.Store, id string, js run.JobState) (*gitstore.Manifest, error) {
	status, reason := js.Status()
	var out *gitstore.Manifest
	err := recordEnd(ctx, env, st, id, "slurm", func(m *gitstore.Manifest) error {
		out = m
		verdict, why := status, reason
		overrides := why == "TIMEOUT" || why == "OUT_OF_MEMORY" || why == "NODE_FAIL" || why == "DEADLINE" || why == "PREEMPTED"
		// Slurm's verdict (TIMEOUT, ...) wins over what the job itself saw of being killed (cancelled, or failed by
		// a signal, depending on which process the signal reached first).
		if gitstore.Finished(m.Status) && !(overrides && m.Status != gitstore.StatusCompleted && (m.Status != verdict || m.Error != why)) {
			return gitstore.ErrNoChange
		}
		if verdict == "" || verdict == gitstore.StatusQueued || verdict == gitstore.StatusRunning {
			switch {
			case !js.Known && m.Status == gitstore.StatusQueued:
				verdict, why = gitstore.StatusCancelled, "the Slurm job is gone and never started"
			case !js.Known:
				verdict, why = gitstore.StatusCrashed, "the Slurm job is gone"
			default:
				return gitstore.ErrNoChange // still queued or running
			}
		}
		if verdict == gitstore.StatusCompleted && !gitstore.Finished(m.Status) {
			verdict, why = gitstore.StatusCrashed, "the Slurm job completed but git-exp inside it did not record the end"
		}
		m.Status = verdict
		if why != "" {
			m.Error = why
		}
		if js.ExitCode != 0 || m.ExitCode == nil {
			code := js.ExitCode
			m.ExitCode = &code
		}
		if m.Ended == "" {
			m.Ended = gitstore.Now()
		}
		if t, err := gitstore.ParseTime(m.Started); err == nil && m.DurationS == 0 {
			m.DurationS = float64(time.Since(t).Milliseconds()) / 1000
		}
		m.Runner = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		e, err := st.Load(id)
		if err != nil {
			return nil, err
		}
		m := e.Manifest
		out = &m
	}
	return out, nil
}

// reconcileSlurm brings the store up to date with Slurm for experiments still queued or running there (called by
// every reading command, like crash detection). Without Slurm's commands it does nothing.
func reconcileSlurm(ctx context.Context, env *Env, st *gitstore.Store, exps []*gitstore.Experiment) bool {
	jobs := map[string]string{}
	var ids []string
	for _, e := range exps {
		if e.Executor == "slurm" && (e.Status == gitstore.StatusQueued || e.Status == gitstore.StatusRunning) && e.Extra["slurm_job_id"] != "" {
			jobs[e.Extra["slurm_job_id"]] = e.ID
			ids = append(ids, e.Extra["slurm_job_id"])
		}
	}
	if len(ids) == 0 {
		return false
	}
	states, err := (&run.Slurm{}).Poll(ctx, ids)
	if err != nil {
		return false
	}
	changed := false
	sort.Strings(ids)
	for _, id := range ids {
		if js := states[id]; js.Done {
			if _, err := reconcile(context.WithoutCancel(ctx), env, st, jobs[id], js); err == nil {
				changed = true
			}
		}
	}
	return changed
}

// slurmOutDir holds Slurm's own output file of each job (sbatch --output), for a job whose git-exp failed to start
// or record.
func slurmOutDir(st *gitstore.Store) string { return filepath.Join(st.ExpDir(), "slurm") }
