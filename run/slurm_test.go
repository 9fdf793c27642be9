package run

import (
	"context"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
)

// What Slurm says of an ended job is recorded when the job's own git-exp could not record it, and overrides what
// that git-exp saw of being killed only for the scheduler's own verdicts (TIMEOUT, OUT_OF_MEMORY, ...). No Slurm
// is needed: the job states are given as Poll returns them.
func TestReconcileJob(t *testing.T) {
	r, _ := testRunner(t)
	ctx := context.Background()
	queued := func(status string) string {
		p := freshPlan(t, r, "job", "true")
		m := p.Manifest
		m.Executor, m.Status = string(Slurm), status
		m.Extra = map[string]string{"slurm_job_id": "42"}
		if status == gitstore.StatusRunning {
			m.Started = gitstore.Now()
		}
		if err := r.Store.Create(ctx, "queue", m, p.Params); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	for _, c := range []struct {
		name, before string
		js           JobState
		status, err  string
		exit         int
	}{
		{"timeout while running", gitstore.StatusRunning, JobState{State: "TIMEOUT", ExitCode: 0, Done: true, Known: true}, gitstore.StatusFailed, "TIMEOUT", 0},
		{"out of memory", gitstore.StatusRunning, JobState{State: "OUT_OF_MEMORY", ExitCode: 137, Done: true, Known: true}, gitstore.StatusFailed, "OUT_OF_MEMORY", 137},
		{"cancelled while pending", gitstore.StatusQueued, JobState{State: "CANCELLED", Done: true, Known: true}, gitstore.StatusCancelled, "CANCELLED", 0},
		{"forgotten before it started", gitstore.StatusQueued, JobState{Done: true}, gitstore.StatusCancelled, "the Slurm job is gone and never started", 0},
		{"forgotten while running", gitstore.StatusRunning, JobState{Done: true}, gitstore.StatusCrashed, "the Slurm job is gone", 0},
		{"completed without recording", gitstore.StatusRunning, JobState{State: "COMPLETED", Done: true, Known: true}, gitstore.StatusCrashed, "the Slurm job completed but git-exp inside it did not record the end", 0},
		{"node lost", gitstore.StatusRunning, JobState{State: "NODE_FAIL", Done: true, Known: true}, gitstore.StatusCrashed, "NODE_FAIL", 0},
	} {
		id := queued(c.before)
		m, err := r.reconcileJob(ctx, id, c.js)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		e := load(t, r, id)
		if m.Status != c.status || e.Status != c.status || e.Error != c.err || e.ExitCode == nil || *e.ExitCode != c.exit || e.Ended == "" {
			t.Errorf("%s: recorded %s %q (exit %v), returned %s; want %s %q (exit %d)", c.name, e.Status, e.Error, e.ExitCode, m.Status, c.status, c.err, c.exit)
		}
	}

	// A job still queued or running changes nothing.
	id := queued(gitstore.StatusRunning)
	before := commits(t, r)
	if m, err := r.reconcileJob(ctx, id, JobState{State: "RUNNING", Known: true}); err != nil || m.Status != gitstore.StatusRunning {
		t.Errorf("a running job: %v, %v", m, err)
	}
	// An end the job recorded itself stands, unless Slurm's own verdict says otherwise.
	code := 130
	if err := r.Store.Edit(ctx, "finish", id, func(m *gitstore.Manifest) error {
		m.Status, m.Error, m.ExitCode = gitstore.StatusCancelled, "cancelled (interrupted)", &code
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if m, _ := r.reconcileJob(ctx, id, JobState{State: "CANCELLED", Done: true, Known: true}); m.Status != gitstore.StatusCancelled || m.Error != "cancelled (interrupted)" {
		t.Errorf("the job's own end was overwritten: %s %q", m.Status, m.Error)
	}
	if got := commits(t, r); len(got) != len(before)+1 {
		t.Errorf("commits %q after %q: only the job's own finish was expected", got[len(before):], before)
	}
	if m, _ := r.reconcileJob(ctx, id, JobState{State: "TIMEOUT", ExitCode: 0, Done: true, Known: true}); m.Status != gitstore.StatusFailed || m.Error != "TIMEOUT" || *m.ExitCode != 130 {
		t.Errorf("TIMEOUT did not override the job's own cancelled: %s %q %v", m.Status, m.Error, *m.ExitCode)
	}
}

// Slurm's job states map onto experiment statuses.
func TestJobStateStatus(t *testing.T) {
	for state, want := range map[string]string{
		"PENDING": gitstore.StatusQueued, "REQUEUED": gitstore.StatusQueued, "RUNNING": gitstore.StatusRunning,
		"COMPLETING": gitstore.StatusRunning, "COMPLETED": gitstore.StatusCompleted, "CANCELLED": gitstore.StatusCancelled,
		"FAILED": gitstore.StatusFailed, "TIMEOUT": gitstore.StatusFailed, "OUT_OF_MEMORY": gitstore.StatusFailed,
		"PREEMPTED": gitstore.StatusFailed, "NODE_FAIL": gitstore.StatusCrashed, "BOOT_FAIL": gitstore.StatusCrashed, "": "",
	} {
		if got, _ := (JobState{State: state}).Status(); got != want {
			t.Errorf("%q: %q, want %q", state, got, want)
		}
	}
}
