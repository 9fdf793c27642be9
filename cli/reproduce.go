package cli

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/git-exp/git-exp/config"
	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/importer"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/sweep"
	"github.com/git-exp/git-exp/value"
)

// CheckoutCmd restores an experiment's snapshot.
type CheckoutCmd struct {
	ID    string `arg:"" help:"Experiment id, id prefix or name."`
	To    string `placeholder:"DIR" help:"Write a separate copy into DIR instead of the worktree."`
	Force bool   `short:"f" help:"Overwrite uncommitted changes (or a non-empty DIR)."`
}

// Run implements git exp checkout.
func (c *CheckoutCmd) Run(ctx context.Context, env *Env) error {
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	snap := e.Git.Snapshot
	if snap == "" {
		return noSnapshot(e, "to restore")
	}
	if err := st.MissingObjects(ctx, snap); err != nil {
		return err
	}
	if c.To != "" {
		if ents, err := os.ReadDir(c.To); err == nil && len(ents) > 0 && !c.Force {
			return usagef("%s is not empty: choose another directory or pass --force", c.To)
		}
		dir, err := st.Checkout(ctx, snap, c.To)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.IO.Err, "wrote the snapshot of %s (%s) into %s\n", e.ID[:7], snap[:10], dir)
		warnSubmodules(env, st, e.ID, dir, false)
		return nil
	}
	if st.Bare {
		return gitstore.ErrBare
	}
	changes, err := st.RestoreSnapshot(ctx, snap, c.Force)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.IO.Err, "restored the files of %s (snapshot %s): %d changed; HEAD and the index are unchanged (see git status)\n", e.ID[:7], snap[:10], changes)
	warnSubmodules(env, st, e.ID, st.Root, true)
	return nil
}

// BranchCmd creates a branch at an experiment's snapshot.
type BranchCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	Name string `arg:"" help:"Name of the new branch."`
}

// Run implements git exp branch.
func (c *BranchCmd) Run(ctx context.Context, env *Env) error {
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	if e.Git.Snapshot == "" {
		return noSnapshot(e, "to branch from")
	}
	if err := st.CreateBranch(ctx, c.Name, e.Git.Snapshot); err != nil {
		return &usageError{err.Error()}
	}
	fmt.Fprintf(env.IO.Err, "branch %s at the snapshot of %s (%s)\n", c.Name, e.ID[:7], e.Git.Snapshot[:10])
	return nil
}

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
	var plans []*plan
	batch := ""
	if c.Batch != "" {
		batch = gitstore.NewID()
	}
	host, _ := os.Hostname()
	user, email := st.Ident()
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
				p.m.Batch = batch
			}
		}
		for _, pt := range points {
			data, err := value.MarshalIndent(pt.Params)
			if err != nil {
				return &usageError{err.Error()}
			}
			m := o.Manifest
			m.ID, m.Parent, m.Batch, m.Seq = gitstore.NewID(), o.ID, batch, len(plans)+1
			m.Created, m.Host, m.User, m.Email = gitstore.Now(), host, user, email
			m.Status, m.ExitCode, m.Error, m.Started, m.Ended, m.DurationS, m.Attempt = "", nil, "", "", "", 0, 0
			m.Runner, m.Extra = nil, nil
			m.Tags = append([]string{}, o.Tags...)
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
			plans = append(plans, &plan{m: &m, params: data})
		}
	}
	executor, err := c.executor(st)
	if err != nil {
		return err
	}
	if executor == "slurm" {
		for _, p := range plans {
			p.m.Executor = "slurm"
		}
		run := &RunCmd{Jobs: c.Jobs, Capture: "yes", Retry: c.Retry, ExecFlags: c.ExecFlags}
		return run.submitSlurm(ctx, env, st, plans, batch)
	}
	if batch != "" {
		run := &RunCmd{Jobs: c.Jobs, Capture: "yes", Retry: c.Retry}
		b := &gitstore.Batch{ID: batch, Created: gitstore.Now(), Command: os.Args, Snapshot: plans[0].m.Git.Snapshot, Executor: "local", User: user, Host: host}
		recs := make([]gitstore.NewRecord, len(plans))
		for i, p := range plans {
			p.m.Status = gitstore.StatusStaged
			b.Runs = append(b.Runs, p.m.ID)
			recs[i] = gitstore.NewRecord{Manifest: p.m, Params: p.params}
		}
		if err := st.CreateBatch(context.WithoutCancel(ctx), "stage", b, recs); err != nil {
			return err
		}
		return run.runPlans(ctx, env, st, plans, batch, true)
	}
	p := plans[0]
	code, err := execute(ctx, env, st, p, execOptions{live: !c.Quiet, snapshot: p.m.Git.Snapshot, retries: c.Retry})
	if err != nil {
		return err
	}
	reportEnd(ctx, env, st, p.m)
	printBeside(env, originals[0], p.m.ID, st)
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

// delta is how b differs from a: "same", the difference of two numbers (signed), or "" when they cannot be
// subtracted.
func delta(a, b any, human bool) string {
	if a != nil && b != nil && formatValue(a) == formatValue(b) {
		return "same"
	}
	x, xok := exp.Float(a)
	y, yok := exp.Float(b)
	if !xok || !yok {
		return ""
	}
	switch d := y - x; {
	case math.IsNaN(d): // a NaN on either side, or Infinity minus Infinity: no delta
		return ""
	case math.IsInf(d, 1):
		return "+Infinity"
	case math.IsInf(d, -1):
		return "-Infinity"
	}
	if human {
		return fmt.Sprintf("%+.6g", y-x)
	}
	// Every digit, of the decimal difference: 0.95 - 0.9 is 0.05, not the float subtraction's 0.04999999999999993.
	s, ok := decimalDelta(formatValue(a), formatValue(b))
	if !ok {
		s = strconv.FormatFloat(y-x, 'g', -1, 64)
	}
	if !strings.HasPrefix(s, "-") && y-x > 0 {
		s = "+" + s
	}
	return s
}

// decimalDelta subtracts two plain decimal numbers exactly (b - a), with as many decimals as the longer of them.
func decimalDelta(a, b string) (string, bool) {
	if strings.ContainsAny(a+b, "eEInfa") {
		return "", false
	}
	ra, ok1 := new(big.Rat).SetString(a)
	rb, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		return "", false
	}
	decimals := func(s string) int {
		if _, frac, ok := strings.Cut(s, "."); ok {
			return len(frac)
		}
		return 0
	}
	return rb.Sub(rb, ra).FloatString(max(decimals(a), decimals(b))), true
}

func cell(m map[string]any, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return formatValue(v)
}

// pick returns the experiment named by id, or every member of a batch.
func pick(ctx context.Context, env *Env, st *gitstore.Store, id, batch string) ([]*gitstore.Experiment, error) {
	if (id == "") == (batch == "") {
		return nil, usagef("give an experiment id or --batch ID (one of them)")
	}
	if id != "" {
		e, err := resolve(ctx, env, st, id)
		if err != nil {
			return nil, err
		}
		if e.Git.Snapshot == "" {
			return nil, noSnapshot(e, "to run from")
		}
		if len(e.Argv) == 0 {
			return nil, usagef("experiment %s has no recorded command to run (%s): run its script with git exp run", e.ID[:7], cmp.Or(e.Extra[importer.ExtraImportedFrom], "none recorded"))
		}
		return []*gitstore.Experiment{e}, nil
	}
	exps, err := experiments(ctx, env, st)
	if err != nil {
		return nil, err
	}
	var out []*gitstore.Experiment
	ids := map[string]bool{}
	for _, e := range exps {
		if e.Batch != "" && strings.HasPrefix(e.Batch, batch) {
			out = append(out, e)
			ids[e.Batch] = true
		}
	}
	if len(ids) > 1 {
		return nil, usagef("batch prefix %q is ambiguous: use more digits", batch)
	}
	if len(out) == 0 {
		return nil, usagef("no batch matches %q (see git exp batches)", batch)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Seq < out[j].Seq || out[i].Seq == out[j].Seq && out[i].ID < out[j].ID
	})
	return out, nil
}

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
		switch e.Status {
		case gitstore.StatusCompleted:
			fmt.Fprintf(env.IO.Err, "experiment %s is complete: nothing to continue (git exp rerun %s runs it again)\n", e.ID[:7], e.ID[:7])
			return nil
		case gitstore.StatusFailed, gitstore.StatusCancelled, gitstore.StatusCrashed:
		default:
			return usagef("experiment %s is %s: only failed, cancelled or crashed experiments can be continued", e.ID[:7], e.Status)
		}
		m := e.Manifest
		p := &plan{m: &m, params: e.ParamsJSON, verb: "continue"}
		if executor, err := c.executor(st); err != nil {
			return err
		} else if executor == "slurm" {
			run := &RunCmd{Jobs: c.Jobs, Capture: "yes", Retry: c.Retry, ExecFlags: c.ExecFlags}
			return run.submitSlurm(ctx, env, st, []*plan{p}, "")
		}
		code, err := execute(ctx, env, st, p, execOptions{live: !c.Quiet, verb: "continue", snapshot: m.Git.Snapshot, retries: c.Retry})
		if err != nil {
			return err
		}
		reportEnd(ctx, env, st, p.m)
		if code != 0 {
			return &exitError{code}
		}
		return nil
	}
	var plans []*plan
	cached := 0
	for _, e := range exps {
		m := e.Manifest
		switch e.Status {
		case gitstore.StatusCompleted:
			cached++
			continue
		case gitstore.StatusFailed, gitstore.StatusCancelled, gitstore.StatusCrashed, gitstore.StatusStaged:
			verb := "continue"
			if e.Status == gitstore.StatusStaged {
				verb = "run"
			}
			plans = append(plans, &plan{m: &m, params: e.ParamsJSON, verb: verb})
		}
	}
	if len(plans) == 0 {
		fmt.Fprintf(env.IO.Err, "every experiment of batch %s is complete or still running: nothing to continue\n", exps[0].Batch[:7])
		return nil
	}
	run := &RunCmd{Jobs: c.Jobs, Capture: "yes", Retry: c.Retry, cached: cached, ExecFlags: c.ExecFlags}
	return run.runPlans(ctx, env, st, plans, exps[0].Batch, true)
}

// warnSubmodules says what a checkout did not restore: submodules are recorded as commits, not as files, and
// their uncommitted changes not at all.
func warnSubmodules(env *Env, st *gitstore.Store, id, dir string, worktree bool) {
	e, err := st.Load(id)
	if err != nil {
		return
	}
	for _, sm := range e.Git.Submodules {
		msg := fmt.Sprintf("note: submodule %s is not restored: the experiment ran with it at %s", sm.Path, sm.Commit)
		if sm.Dirty {
			msg += " with uncommitted changes, which were not recorded and cannot be restored"
		}
		path := filepath.Join(dir, filepath.FromSlash(sm.Path))
		if worktree {
			msg += fmt.Sprintf("; to check that commit out: git -C %s checkout %s", path, sm.Commit)
		} else {
			msg += fmt.Sprintf("; to get it: clone its URL (see .gitmodules) into %s and check out %s", path, sm.Commit)
		}
		env.IO.Warnf("%s", msg)
	}
}
