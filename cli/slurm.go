package cli

import (
	"context"
	"fmt"
	"strconv"

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

func (f *ExecFlags) executor(st *gitstore.Store) (run.Executor, error) {
	e := f.Executor
	if e == "" {
		e = st.ConfigString("exp.executor", "local")
	}
	return run.ParseExecutor(e)
}

func (f *ExecFlags) slurm(st *gitstore.Store) (*run.SlurmCluster, error) {
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
	return &run.SlurmCluster{Resources: r}, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// submitSlurm records plans as queued, submits one Slurm job per plan, and (unless detached) follows them with the
// same progress report as local runs, reconciling Slurm's final states into the store.
func (c *dispatch) submitSlurm(ctx context.Context, env *Env, st *gitstore.Store, plans []*run.Plan, batch string) error {
	sl, err := c.slurm(st)
	if err != nil {
		return err
	}
	r := env.runner(st)
	sub, err := r.SubmitSlurm(ctx, sl, plans, batch, env.Argv)
	if err != nil {
		return err
	}
	if c.Detach {
		fmt.Fprintf(env.IO.Err, "submitted %d Slurm job(s); follow them with git exp list, cancel with git exp cancel\n", len(sub.IDs))
		for _, id := range sub.IDs {
			fmt.Fprintf(env.IO.Out, "%s\t%s\t%s\n", sub.Jobs[id].Manifest.ID, id, env.IO.Text(sub.Jobs[id].Manifest.Name))
		}
		return nil
	}
	prog := newProgress(env.IO, len(sub.IDs)+c.cached, false)
	prog.cache(c.cached)
	res := r.FollowSlurm(ctx, sl, sub, prog)
	prog.wait()
	if res.Lost {
		return &exitError{1}
	}
	if res.Cancelled {
		fmt.Fprintln(env.IO.Err, "interrupted: the Slurm jobs were cancelled")
		return &exitError{130}
	}
	if len(sub.IDs) == 1 && batch == "" {
		// One experiment: its own end line, and the script's exit status, as a local run gives them.
		m := sub.Jobs[sub.IDs[0]].Manifest
		reportEnd(ctx, env, st, m, nil)
		if m.Status != gitstore.StatusCompleted {
			if m.ExitCode != nil && *m.ExitCode != 0 {
				return &exitError{*m.ExitCode}
			}
			return &exitError{1}
		}
	}
	if res.Failed > 0 {
		return &exitError{1}
	}
	return nil
}
