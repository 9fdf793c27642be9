package run

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// RecordEndsAndList is the reconciled view every reading command starts from, and it writes: it first records the
// end of every run whose runner is gone (RecordEnds), then returns every experiment that is not deleted.
func (r *Runner) RecordEndsAndList(ctx context.Context) ([]*gitstore.Experiment, error) {
	st := r.Store
	all, err := st.Experiments()
	if err != nil {
		return nil, err
	}
	if r.RecordEnds(ctx, all) {
		if all, err = st.Experiments(); err != nil {
			return nil, err
		}
	}
	// all is this call's own copy of the list: filtered in place. Appending to a new slice grew it by copies that
	// summed to 5x its size (43 MB at 1,000,000 experiments, 4% of what the listing holds).
	out := all[:0]
	for _, e := range all {
		if !e.Deleted {
			out = append(out, e)
		}
	}
	return out, nil
}

// RecordEndsAndStream is RecordEndsAndList for a listing that reads the experiments a round at a time
// (gitstore.Stream): the runs that show as queued or running are looked at first, and only they are decoded before
// the listing.
func (r *Runner) RecordEndsAndStream(ctx context.Context) (*gitstore.Stream, error) {
	s, err := r.Store.Stream()
	if err != nil {
		return nil, err
	}
	active, err := s.Active()
	if err != nil {
		return nil, err
	}
	if r.RecordEnds(ctx, active) {
		return r.Store.Stream()
	}
	return s, nil
}

// RecordEnds writes to the store how the experiments among exps that still show as queued or running have ended,
// where that is known: a run whose runner is gone (RunnerGone) as crashed — with the output it had spooled — or as
// it ended when its runner saved that end but could not record it; a Slurm job as Slurm says it ended. A run whose
// end cannot be recorded is said in one line and left as it is. It reports whether it recorded anything.
func (r *Runner) RecordEnds(ctx context.Context, exps []*gitstore.Experiment) bool {
	recorded := r.reconcileSlurm(ctx, exps)
	for _, e := range exps {
		if RunnerGone(e) {
			if err := r.RecordCrash(ctx, e); err != nil {
				r.Warn("git exp: could not record %s as crashed: %v", e.ID[:7], err)
				continue
			}
			recorded = true
		}
	}
	return recorded
}

// RunnerGone says whether e is recorded running on this machine by a git-exp process that is gone (or by one on a
// machine that rebooted since): its end can only be recorded by someone else (RecordCrash). A Slurm job's end is
// Slurm's to tell (reconcileSlurm).
func RunnerGone(e *gitstore.Experiment) bool {
	if e.Executor == string(Slurm) && e.Extra["slurm_job_id"] != "" {
		return false
	}
	return e.Status == gitstore.StatusRunning && e.Runner != nil && !e.Runner.Alive()
}

// RecordCrash records as crashed an experiment whose runner process is gone, storing what it had spooled; when
// the runner saved how the run ended (and only failed to record it), that end is recorded instead. It records
// nothing when the experiment is no longer running under that runner.
func (r *Runner) RecordCrash(ctx context.Context, e *gitstore.Experiment) error {
	st := r.Store
	runner := *e.Runner
	return r.recordEnd(ctx, e.ID, "crash", func(m *gitstore.Manifest) error {
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

// recordEnd records the end of a run that its own process could not record (it crashed, or a scheduler killed it):
// what it spooled is stored and mutate sets the final state, in one commit; mutate returns ErrNoChange to record
// nothing (the run is still going, or its end is already recorded). The spool goes once its contents are stored.
func (r *Runner) recordEnd(ctx context.Context, id, verb string, mutate func(m *gitstore.Manifest) error) error {
	st := r.Store
	spool := st.SpoolFor(id)
	var prep *gitstore.Prepared
	if _, err := os.Stat(spool.Dir); err == nil {
		if prep, err = r.prepareSpool(spool); err != nil {
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
