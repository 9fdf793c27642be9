package cli

import (
	"context"
	"fmt"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
)

// ContinueCmd resumes a failed, cancelled or crashed experiment (or a batch's unfinished members).
type ContinueCmd struct {
	ID    string `arg:"" optional:"" help:"Experiment id, id prefix or name."`
	Batch string `help:"Continue every member of this batch that did not complete."`
	Quiet bool   `short:"q" help:"Do not show the output live."`
	Jobs  int    `short:"j" default:"1" help:"With --batch: run N at a time."`
	Retry int    `help:"Retry a failing run up to N more times."`
	ExecFlags
}

// Run implements git exp continue.
func (c *ContinueCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	exps, err := pick(ctx, env, st, c.ID, c.Batch)
	if err != nil {
		return err
	}
	if c.ID != "" {
		e := exps[0]
		switch {
		case e.Status == gitstore.StatusCompleted:
			fmt.Fprintf(env.IO.Err, "experiment %s is complete: nothing to continue (git exp rerun %s runs it again)\n", e.ID[:7], e.ID[:7])
			return nil
		case !run.Continuable(e.Status):
			return usagef("experiment %s is %s: only failed, cancelled or crashed experiments can be continued", e.ID[:7], e.Status)
		}
		m := e.Manifest
		p := &run.Plan{Manifest: &m, Params: e.ParamsJSON, Mode: run.Continue}
		if executor, err := c.executor(st); err != nil {
			return err
		} else if executor == run.Slurm {
			return c.dispatch(0).submitSlurm(ctx, env, st, []*run.Plan{p}, "")
		}
		o := run.Options{Snapshot: m.Git.Snapshot, Retries: c.Retry}
		o.Live, o.LiveErr = env.live(!c.Quiet)
		code, err := env.runner(st).Execute(ctx, p, o)
		if err != nil {
			return err
		}
		reportEnd(ctx, env, st, p.Manifest, p.Results)
		if code != 0 {
			return &exitError{code}
		}
		return nil
	}
	plans, cached := run.ContinuePlans(exps)
	if len(plans) == 0 {
		fmt.Fprintf(env.IO.Err, "every experiment of batch %s is complete or still running: nothing to continue\n", exps[0].Batch[:7])
		return nil
	}
	return c.dispatch(cached).runPlans(ctx, env, st, plans, exps[0].Batch, true)
}

func (c *ContinueCmd) dispatch(cached int) *dispatch {
	return &dispatch{ExecFlags: c.ExecFlags, jobs: c.Jobs, retry: c.Retry, cached: cached}
}
