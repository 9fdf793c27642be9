package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// slurmOutDir holds Slurm's own output file of each job (sbatch --output), for a job whose git-exp failed to start
// or record.
func slurmOutDir(st *gitstore.Store) string { return filepath.Join(st.ExpDir(), "slurm") }

// Submission is experiments submitted to Slurm, one job each.
type Submission struct {
	Jobs map[string]*Plan // job id → its plan
	IDs  []string         // job ids, in the order submitted
}

// SubmitSlurm records plans as queued — Fresh ones created (one batch, with id batch and made by command, when
// batch is set or there are several), Staged and Continue ones moved to queued — then submits one Slurm job per
// plan (the job runs `git-exp exec-job ID`) and records each job's id. A bad partition, a missing sbatch or a
// controller that is down is a usage error and records nothing.
func (r *Runner) SubmitSlurm(ctx context.Context, sl *SlurmCluster, plans []*Plan, batch string, command []string) (*Submission, error) {
	st := r.Store
	rec := context.WithoutCancel(ctx)
	if err := sl.Check(ctx, st.Root); err != nil {
		return nil, usagef("%v", err)
	}
	// The job runs the git-exp that git finds on PATH (sbatch passes the environment on), else this binary.
	self, err := exec.LookPath("git-exp")
	if err == nil {
		self, err = filepath.Abs(self)
	}
	if err != nil {
		if self, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	logDir := slurmOutDir(st)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	// 1. Record every plan as queued.
	var fresh []gitstore.NewRecord
	for _, p := range plans {
		p.Manifest.Executor = string(Slurm)
		if p.Mode == Fresh {
			p.Manifest.Status = gitstore.StatusQueued
			fresh = append(fresh, gitstore.NewRecord{Manifest: p.Manifest, Params: p.Params})
		}
	}
	if len(fresh) == 1 && batch == "" {
		if err := st.Create(rec, "queue", fresh[0].Manifest, fresh[0].Params); err != nil {
			return nil, err
		}
	} else if len(fresh) > 0 {
		b := &gitstore.Batch{ID: batch, Created: gitstore.Now(), Command: command, Snapshot: fresh[0].Manifest.Git.Snapshot,
			Executor: string(Slurm), User: fresh[0].Manifest.User, Host: fresh[0].Manifest.Host}
		for _, r := range fresh {
			b.Runs = append(b.Runs, r.Manifest.ID)
		}
		if err := st.CreateBatch(rec, "queue", b, fresh); err != nil {
			return nil, err
		}
	}
	for _, p := range plans {
		if p.Mode != Fresh {
			if err := transition(rec, st, p.Manifest, p.Mode, gitstore.StatusQueued); err != nil {
				return nil, err
			}
			p.Manifest.Executor = string(Slurm)
		}
		p.Mode = Staged // what its job does: take the queued experiment
	}
	// 2. Submit.
	sub := &Submission{Jobs: map[string]*Plan{}}
	for i, p := range plans {
		argv := []string{self, "-C", st.Root, "exec-job", p.Manifest.ID}
		id, err := sl.Submit(ctx, "git-exp:"+p.Manifest.Name, st.Root, filepath.Join(logDir, p.Manifest.ID+".out"), argv)
		if err != nil {
			for _, q := range plans[i:] {
				markFailed(rec, st, q.Manifest.ID, "not submitted: "+err.Error())
			}
			recordJobIDs(rec, st, sub.Jobs)
			return nil, fmt.Errorf("submitting to Slurm failed after %d of %d job(s): %v", i, len(plans), err)
		}
		sub.Jobs[id] = p
		sub.IDs = append(sub.IDs, id)
	}
	if err := recordJobIDs(rec, st, sub.Jobs); err != nil {
		return nil, err
	}
	return sub, nil
}

// FollowResult is how the jobs of a submission ended.
type FollowResult struct {
	Failed    int  // experiments that did not complete
	Cancelled bool // ctx was cancelled: the jobs still queued or running were cancelled
	Lost      bool // Slurm stopped answering (said with Warn): the jobs go on, unfollowed
}

// FollowSlurm polls the jobs of sub until they end, telling prog, and records what Slurm says of each ended job
// that its git-exp could not record (see reconcileJob); the plans' manifests end as recorded. Cancelling ctx
// cancels the jobs still queued or running (scancel) and waits up to 30 s for Slurm to end them.
func (r *Runner) FollowSlurm(ctx context.Context, sl *SlurmCluster, sub *Submission, prog Progress) FollowResult {
	rec := context.WithoutCancel(ctx)
	pending := append([]string(nil), sub.IDs...)
	seenRunning := map[string]bool{}
	var out FollowResult
	var cancelDeadline time.Time
	started := time.Now()
	for len(pending) > 0 {
		if ctx.Err() != nil && !out.Cancelled {
			out.Cancelled = true
			cancelDeadline = time.Now().Add(30 * time.Second)
			if err := sl.Cancel(rec, pending); err != nil {
				r.Warn("git exp: scancel failed: %v", err)
			}
		}
		states, err := sl.Poll(rec, pending)
		if err != nil {
			r.Warn("git exp: cannot follow the jobs: %v (they keep running; see git exp list)", err)
			out.Lost = true
			return out
		}
		var next []string
		for _, id := range pending {
			js := states[id]
			p := sub.Jobs[id]
			status, _ := js.Status()
			if status == gitstore.StatusRunning && !seenRunning[id] {
				seenRunning[id] = true
				prog.Started(p.Manifest)
			}
			if !js.Done && !(out.Cancelled && time.Now().After(cancelDeadline)) {
				next = append(next, id)
				continue
			}
			m, err := r.reconcileJob(rec, p.Manifest.ID, js)
			if err != nil {
				r.Warn("git exp: %s: %v", p.Manifest.ID[:7], err)
			}
			if m != nil {
				*p.Manifest = *m
			}
			if p.Manifest.Status != gitstore.StatusCompleted {
				out.Failed++
			}
			code := 0
			if p.Manifest.ExitCode != nil {
				code = *p.Manifest.ExitCode
			}
			prog.Finished(p.Manifest, code, nil)
		}
		pending = next
		if len(pending) > 0 {
			select {
			case <-time.After(pollInterval(time.Since(started))):
			case <-ctx.Done():
			}
		}
	}
	return out
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
func recordJobIDs(ctx context.Context, st *gitstore.Store, jobs map[string]*Plan) error {
	if len(jobs) == 0 {
		return nil
	}
	return st.Update(ctx, fmt.Sprintf("submit %d Slurm job(s)", len(jobs)), func(tx *gitstore.Tx) error {
		for id, p := range jobs {
			m, err := gitstore.ReadManifest(tx, p.Manifest.ID)
			if err != nil {
				return err
			}
			if m.Extra == nil {
				m.Extra = map[string]string{}
			}
			m.Extra["slurm_job_id"] = id
			m.Executor = string(Slurm)
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

// reconcileJob records what Slurm says of an ended job when the job itself could not: a job cancelled while
// pending, killed at its time limit (TIMEOUT) or out of memory, or lost with its node. Whatever output the job
// spooled is stored. It returns the experiment's manifest afterwards.
func (r *Runner) reconcileJob(ctx context.Context, id string, js JobState) (*gitstore.Manifest, error) {
	status, reason := js.Status()
	var out *gitstore.Manifest
	err := r.recordEnd(ctx, id, "slurm", func(m *gitstore.Manifest) error {
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
		e, err := r.Store.Load(id)
		if err != nil {
			return nil, err
		}
		m := e.Manifest
		out = &m
	}
	return out, nil
}

// reconcileSlurm brings the store up to date with Slurm for experiments still queued or running there (called by
// every reading command through RecordEndsAndList, like crash recovery). Without Slurm's commands it does
// nothing. It reports whether it recorded anything.
func (r *Runner) reconcileSlurm(ctx context.Context, exps []*gitstore.Experiment) bool {
	jobs := map[string]string{}
	var ids []string
	for _, e := range exps {
		if e.Executor == string(Slurm) && (e.Status == gitstore.StatusQueued || e.Status == gitstore.StatusRunning) && e.Extra["slurm_job_id"] != "" {
			jobs[e.Extra["slurm_job_id"]] = e.ID
			ids = append(ids, e.Extra["slurm_job_id"])
		}
	}
	if len(ids) == 0 {
		return false
	}
	states, err := (&SlurmCluster{}).Poll(ctx, ids)
	if err != nil {
		return false
	}
	changed := false
	sort.Strings(ids)
	for _, id := range ids {
		if js := states[id]; js.Done {
			if _, err := r.reconcileJob(context.WithoutCancel(ctx), jobs[id], js); err == nil {
				changed = true
			}
		}
	}
	return changed
}

// ExecJob is what a Slurm job runs: the queued experiment id, from a checkout of its snapshot, its output live on
// the job's stdout and stderr (Slurm's output file). Once the run is recorded with its logs, that file holds nothing
// more and is removed; when recording fails it stays, since it is what tells why.
func (r *Runner) ExecJob(ctx context.Context, id string, stdout, stderr io.Writer) (int, error) {
	e, err := r.Store.Load(id)
	if err != nil {
		return 0, err
	}
	m := e.Manifest
	p := &Plan{Manifest: &m, Params: e.ParamsJSON, Mode: Staged}
	code, err := r.Execute(ctx, p, Options{Live: stdout, LiveErr: stderr, Snapshot: m.Git.Snapshot})
	if err != nil {
		return 0, err
	}
	os.Remove(filepath.Join(slurmOutDir(r.Store), id+".out"))
	return code, nil
}
