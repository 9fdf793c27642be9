package cli

import (
	"context"
)

// ExecJobCmd is what a Slurm job runs: one queued experiment, from a checkout of its snapshot.
type ExecJobCmd struct {
	ID string `arg:"" help:"Experiment id."`
}

// Run implements git exp exec-job.
func (c *ExecJobCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	code, err := env.runner(st).ExecJob(ctx, c.ID, env.IO.Out, env.IO.Err)
	if err != nil {
		return err // Slurm's own output file stays: it is what tells why
	}
	if code != 0 {
		return &exitError{code}
	}
	return nil
}
