package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// Cancel stops exps and returns how many it cancelled: a staged or queued experiment without a job is recorded as
// cancelled; a running one gets SIGINT sent to its runner (on this host only), which stops the script's process
// group and records the end itself; a Slurm job is cancelled with scancel, and its end recorded as Slurm reports it
// (waiting up to 15 s). An experiment that has ended is left as it is — an error when it is the only one given.
func (r *Runner) Cancel(ctx context.Context, exps []*gitstore.Experiment) (int, error) {
	st := r.Store
	rec := context.WithoutCancel(ctx)
	n := 0
	var slurmJobs []string
	for _, e := range exps {
		switch {
		case gitstore.Finished(e.Status):
			if len(exps) == 1 {
				return 0, usagef("experiment %s is already %s", e.ID[:7], e.Status)
			}
		case e.Executor == string(Slurm) && e.Extra["slurm_job_id"] != "":
			slurmJobs = append(slurmJobs, e.Extra["slurm_job_id"])
			n++
		case e.Status == gitstore.StatusRunning && e.Runner != nil:
			host, _ := os.Hostname()
			if e.Runner.Host != host {
				return n, fmt.Errorf("experiment %s runs on %s: cancel it there", e.ID[:7], e.Runner.Host)
			}
			if err := syscall.Kill(e.Runner.PID, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
				return n, fmt.Errorf("cannot signal the runner of %s (pid %d): %v", e.ID[:7], e.Runner.PID, err)
			}
			n++
		default: // staged or queued without a job
			if err := st.Edit(rec, "cancel", e.ID, func(m *gitstore.Manifest) error {
				if gitstore.Finished(m.Status) || m.Status == gitstore.StatusRunning {
					return gitstore.ErrNoChange
				}
				m.Status, m.Error, m.Ended = gitstore.StatusCancelled, "cancelled before it ran", gitstore.Now()
				return nil
			}); err != nil {
				return n, err
			}
			n++
		}
	}
	if len(slurmJobs) > 0 {
		sl := &SlurmCluster{}
		if err := sl.Cancel(rec, slurmJobs); err != nil {
			return n, err
		}
		// Wait (briefly) until Slurm reports them ended, and record it.
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			all, err := st.Experiments()
			if err != nil {
				return n, err
			}
			r.reconcileSlurm(rec, all)
			left := 0
			for _, e := range exps {
				cur, err := st.Load(e.ID)
				if err == nil && !gitstore.Finished(cur.Status) && cur.Executor == string(Slurm) {
					left++
				}
			}
			if left == 0 {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	return n, nil
}
