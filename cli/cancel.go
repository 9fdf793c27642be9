package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
)

// CancelCmd cancels queued, staged or running experiments.
type CancelCmd struct {
	IDs   []string `arg:"" optional:"" help:"Experiment ids, id prefixes or names."`
	Batch string   `help:"Cancel every unfinished experiment of this batch."`
}

// Run implements git exp cancel.
func (c *CancelCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var exps []*gitstore.Experiment
	if c.Batch != "" {
		if len(c.IDs) > 0 {
			return usagef("give experiment ids or --batch, not both")
		}
		if exps, err = pick(ctx, env, st, "", c.Batch); err != nil {
			return err
		}
	} else if len(c.IDs) == 0 {
		return usagef("give the experiments to cancel (ids, or --batch ID)")
	} else if exps, err = resolveAll(ctx, env, st, c.IDs); err != nil {
		return err
	}
	rec := context.WithoutCancel(ctx)
	n := 0
	var slurmJobs []string
	for _, e := range exps {
		switch {
		case gitstore.Finished(e.Status):
			if len(exps) == 1 {
				return usagef("experiment %s is already %s", e.ID[:7], e.Status)
			}
		case e.Executor == "slurm" && e.Extra["slurm_job_id"] != "":
			slurmJobs = append(slurmJobs, e.Extra["slurm_job_id"])
			n++
		case e.Status == gitstore.StatusRunning && e.Runner != nil:
			host, _ := os.Hostname()
			if e.Runner.Host != host {
				return fmt.Errorf("experiment %s runs on %s: cancel it there", e.ID[:7], e.Runner.Host)
			}
			if err := syscall.Kill(e.Runner.PID, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("cannot signal the runner of %s (pid %d): %v", e.ID[:7], e.Runner.PID, err)
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
				return err
			}
			n++
		}
	}
	if len(slurmJobs) > 0 {
		sl := &run.Slurm{}
		if err := sl.Cancel(rec, slurmJobs); err != nil {
			return err
		}
		// Wait (briefly) until Slurm reports them ended, and record it.
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			all, err := st.Experiments()
			if err != nil {
				return err
			}
			reconcileSlurm(rec, env, st, all)
			left := 0
			for _, e := range exps {
				cur, err := st.Load(e.ID)
				if err == nil && !gitstore.Finished(cur.Status) && cur.Executor == "slurm" {
					left++
				}
			}
			if left == 0 {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	if n == 0 {
		fmt.Fprintln(env.IO.Err, "nothing to cancel: every experiment given has ended")
		return nil
	}
	fmt.Fprintf(env.IO.Err, "cancelled %d experiment(s)\n", n)
	return nil
}
