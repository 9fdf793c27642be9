package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/git-exp/git-exp/config"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/run"
	"github.com/git-exp/git-exp/sweep"
	"github.com/git-exp/git-exp/value"
)

// RerunCmd runs an experiment again from its snapshot as a new experiment.
type RerunCmd struct {
	ID    string   `arg:"" optional:"" help:"Experiment id, id prefix or name."`
	Batch string   `help:"Rerun every experiment of this batch (id or prefix) as a new batch."`
	Param []string `sep:"none" short:"p" placeholder:"KEY=VALUE" help:"Override a parameter. Repeatable."`
	Name  string   `short:"n" placeholder:"NAME" help:"Name of the new experiment (default: the original's, with NAME[k=v] for changed parameters)."`
	Quiet bool     `short:"q" help:"Do not show the output live."`
	Jobs  int      `short:"j" default:"1" help:"With --batch: run N at a time."`
	Retry int      `help:"Retry a failing run up to N more times."`
	ExecFlags
}

// Run implements git exp rerun.
func (c *RerunCmd) Run(ctx context.Context, env *Env) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	originals, err := pick(ctx, env, st, c.ID, c.Batch)
	if err != nil {
		return err
	}
	var plans []*run.Plan
	batch := ""
	if c.Batch != "" {
		batch = gitstore.NewID()
	}
	r := env.runner(st)
	// The same pipeline as run: resolve (the recorded parameters, then each --param), then expand, so
	// --param 'lr=list(0.1, 0.2)' reruns the experiment once per value, as a batch.
	for _, o := range originals {
		params := decodeTree(o.ParamsJSON)
		keys, err := config.ApplyParams(params, c.Param)
		if err != nil {
			return &usageError{err.Error()}
		}
		points, err := sweep.Expand(params)
		if err != nil {
			return &usageError{err.Error()}
		}
		if len(points) > 1 && batch == "" {
			batch = gitstore.NewID()
			for _, p := range plans {
				p.Manifest.Batch = batch
			}
		}
		for _, pt := range points {
			data, err := value.MarshalIndent(pt.Params)
			if err != nil {
				return &usageError{err.Error()}
			}
			m := r.RerunOf(o)
			m.Batch, m.Seq = batch, len(plans)+1
			switch {
			case len(points) > 1:
				base := o.Name
				if c.Name != "" {
					base = c.Name
				}
				m.Name = base + "[" + sweep.Name(pt.Vars) + "]"
				m.Tags = appendUnique(m.Tags, "sweep")
			case c.Name != "":
				m.Name = c.Name
			case len(c.Param) > 0:
				m.Name = o.Name + "[" + changedName(c.Param) + "]" // what changed, as a sweep names its members
			}
			if len(keys) > 0 {
				m.Sources = append(append([]gitstore.ParamSource{}, m.Sources...), gitstore.ParamSource{Kind: "param", Keys: keys})
			}
			plans = append(plans, &run.Plan{Manifest: m, Params: data})
		}
	}
	executor, err := c.executor(st)
	if err != nil {
		return err
	}
	d := &dispatch{ExecFlags: c.ExecFlags, jobs: c.Jobs, retry: c.Retry}
	if executor == run.Slurm {
		return d.submitSlurm(ctx, env, st, plans, batch)
	}
	if batch != "" {
		if _, err := r.Stage(ctx, plans, env.Argv); err != nil {
			return err
		}
		return d.runPlans(ctx, env, st, plans, batch, true)
	}
	p := plans[0]
	o := run.Options{Snapshot: p.Manifest.Git.Snapshot, Retries: c.Retry}
	o.Live, o.LiveErr = env.live(!c.Quiet)
	code, err := r.Execute(ctx, p, o)
	if err != nil {
		return err
	}
	reportEnd(ctx, env, st, p.Manifest, p.Results)
	printBeside(env, originals[0], p.Manifest.ID, st)
	if code != 0 {
		return &exitError{code}
	}
	return nil
}

// changedName is the k=v list of the --param overrides of a rerun, for its name (the last value of a key wins).
func changedName(params []string) string {
	var vars []sweep.Var
	for _, kv := range params {
		k, v, err := config.ParseParam(kv)
		if err != nil {
			continue
		}
		vars = slices.DeleteFunc(vars, func(x sweep.Var) bool { return x.Key == k })
		vars = append(vars, sweep.Var{Key: k, Value: v})
	}
	return sweep.Name(vars)
}

// printBeside prints the original's results beside the new run's, with a header (on a pipe too) and the change of
// each number: 6 significant digits on a terminal, every digit on a pipe.
func printBeside(env *Env, orig *gitstore.Experiment, newID string, st *gitstore.Store) {
	cur, err := st.Load(newID)
	if err != nil {
		return
	}
	a, b := flat(orig.ResultsJSON), flat(cur.ResultsJSON)
	names := results.Keys(a, b)
	if len(names) == 0 {
		return
	}
	human := env.IO.ErrTTY
	rows := make([][]string, 0, len(names))
	for _, k := range names {
		rows = append(rows, []string{k, tableCell(a, k, human), tableCell(b, k, human), delta(a[k], b[k], human)})
	}
	io := *env.IO
	io.Out = env.IO.Err
	io.OutTTY = env.IO.ErrTTY
	header := []string{"RESULT", orig.ID[:7] + " (original)", newID[:7] + " (rerun)", "DELTA"}
	if !io.OutTTY {
		fmt.Fprintln(io.Out, strings.Join(header, "\t"))
	}
	table(&io, header, rows)
}
