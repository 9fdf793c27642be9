package cli

import (
	"context"
	"os"
	"path/filepath"
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
	e, err := st.Load(c.ID)
	if err != nil {
		return err
	}
	m := e.Manifest
	p := &plan{m: &m, params: e.ParamsJSON}
	code, err := execute(ctx, env, st, p, execOptions{live: true, verb: "run", snapshot: m.Git.Snapshot})
	if err != nil {
		return err // Slurm's own output file stays: it is what tells why
	}
	// The run is recorded with its logs: Slurm's output file (still open by Slurm, which is fine) holds nothing more.
	os.Remove(filepath.Join(slurmOutDir(st), c.ID+".out"))
	if code != 0 {
		return &exitError{code}
	}
	return nil
}
