package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-exp/git-exp/config"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
	"github.com/git-exp/git-exp/sweep"
	"github.com/git-exp/git-exp/value"
)

// RunCmd runs a script (or a command after --) as a tracked experiment, or a grid of them.
type RunCmd struct {
	Script      string   `arg:"" optional:"" help:"Script to run (.py, .go, .sh or executable). Or give a command after --."`
	Param       []string `sep:"none" short:"p" placeholder:"KEY=VALUE" help:"Set a parameter (dotted keys; YAML values; sweeps like lr=list(0.1,0.01)). Repeatable."`
	Config      []string `sep:"none" short:"c" placeholder:"FILE" help:"YAML config file (imports, dotted keys). Repeatable, merged in order."`
	Name        string   `short:"n" placeholder:"NAME" help:"Experiment name (default: the script's name; NAME[k=v,...] for each run of a sweep)."`
	Tag         []string `sep:"none" short:"t" help:"Tag the experiment. Repeatable."`
	Description string   `short:"d" placeholder:"TEXT" help:"Free-text description."`
	Quiet       bool     `short:"q" help:"Do not show the script's output (it is still recorded)."`
	DryRun      bool     `help:"Resolve and validate parameters, print them, run and record nothing."`
	JSON        bool     `name:"json" help:"With --dry-run: print the plan as JSON."`
	Stage       bool     `help:"Record the experiments as staged, to run later with --staged."`
	Staged      bool     `help:"Run every staged experiment, each from the snapshot it was staged with."`
	Batch       string   `placeholder:"ID" help:"With --staged: only this batch (id or prefix)."`
	Jobs        int      `short:"j" default:"1" placeholder:"N" help:"Run N experiments at a time (0: one per CPU)."`
	S           bool     `short:"s" name:"live" help:"Show every run's output live, prefixed by its run (same as --capture=no)."`
	Capture     string   `default:"yes" enum:"yes,no" help:"'no' streams each run's output, prefixed by its run."`
	Yes         bool     `short:"y" help:"Do not ask before running a grid of more than 1000 runs."`
	Retry       int      `placeholder:"N" help:"Retry a failing run up to N more times (each try is an attempt of the same experiment)."`

	// A dirty worktree is recorded in the snapshot; these are for those who want it refused (issue 18).
	RequireClean bool `help:"Refuse to run when the worktree has uncommitted changes or untracked files (default: git config exp.requireClean; otherwise the dirty state is recorded in the snapshot)."`
	IgnoreDirty  bool `help:"Run even when exp.requireClean is set (without it, a dirty worktree is recorded anyway: accepted for yanex users)."`
	ExecFlags
}

// Run implements git exp run.
func (c *RunCmd) Run(ctx context.Context, env *Env) error {
	if env.detached = run.NewDetachedReporter(); env.detached != nil {
		// The background process of --detach: nothing on a terminal, the output only in the spools.
		c.Quiet, c.S, c.Capture = true, false, "yes"
	}
	if c.Detach && env.detached == nil && !c.DryRun && !c.Stage {
		st, err := env.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if executor, err := c.executor(st); err != nil {
			return err
		} else if executor == run.Local {
			return c.detach(ctx, env, st)
		}
	}
	if c.Staged {
		return c.runStaged(ctx, env)
	}
	open := env.open
	if !c.DryRun {
		open = env.openForRun
	}
	st, err := open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Bare {
		return gitstore.ErrBare
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	// 1. Everything the user gave is checked before anything is recorded.
	argv, script, err := c.command(env, wd, st.Root)
	if err != nil {
		return err
	}
	params, sources, err := config.Resolve(st.Root, filepath.Join(st.Root, "config.yaml"), c.Config, os.Environ(), c.Param)
	if err != nil {
		return &usageError{err.Error()}
	}
	points, err := sweep.Expand(params)
	if err != nil {
		return &usageError{err.Error()}
	}
	if len(points) > 1000 && !c.Yes && !c.DryRun {
		if !env.IO.ErrTTY || !confirm(env.IO, fmt.Sprintf("This grid has %d runs. Run them all?", len(points))) {
			return usagef("this grid has %d runs: pass --yes to run it", len(points))
		}
	}
	name := c.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(script), filepath.Ext(script))
	}
	var plans []*run.Plan
	batch := ""
	if len(points) > 1 || c.Stage {
		batch = gitstore.NewID()
	}
	relCwd, _ := filepath.Rel(st.Root, wd)
	for _, pt := range points {
		data, err := value.MarshalIndent(pt.Params)
		if err != nil {
			return &usageError{err.Error()}
		}
		m := &gitstore.Manifest{
			ID: gitstore.NewID(), Name: name, Description: c.Description, Tags: append([]string{}, c.Tag...),
			Script: script, Argv: argv, Cwd: filepath.ToSlash(relCwd), Executor: string(run.Local), Batch: batch,
			Sources: toSources(sources),
		}
		if len(points) > 1 {
			m.Name = name + "[" + sweep.Name(pt.Vars) + "]"
			m.Tags = appendUnique(m.Tags, "sweep")
		}
		plans = append(plans, &run.Plan{Manifest: m, Params: data, Dir: wd}) // MarshalIndent ends with a newline
	}
	if err := c.checkClean(ctx, st); err != nil {
		return err
	}
	if c.DryRun {
		return printPlan(env.IO, plans, c.JSON)
	}
	executor, err := c.executor(st)
	if err != nil {
		return err
	}
	// 2. The code, exactly as it is now.
	skipped, maxUntracked, err := env.runner(st).Snapshot(ctx, plans)
	if err != nil {
		return err
	}
	if len(skipped) > 0 {
		env.IO.Warnf("warning: left out of the snapshot, larger than exp.maxUntrackedSize (%d bytes): %s", maxUntracked, strings.Join(skipped, ", "))
	}
	if executor == run.Slurm && !c.Stage {
		return c.dispatch().submitSlurm(ctx, env, st, plans, batch)
	}
	if c.Stage || len(plans) > 1 {
		return c.runBatch(ctx, env, st, plans, c.Stage)
	}
	o := run.Options{Retries: c.Retry}
	o.Live, o.LiveErr = env.live(!c.Quiet)
	code, err := env.runner(st).Execute(ctx, plans[0], o)
	if err != nil {
		return err
	}
	reportEnd(ctx, env, st, plans[0].Manifest, plans[0].Results)
	if code != 0 {
		return &exitError{code}
	}
	return nil
}

// checkClean refuses a dirty worktree under --require-clean or git config exp.requireClean (unless --ignore-dirty),
// naming what is uncommitted.
func (c *RunCmd) checkClean(ctx context.Context, st *gitstore.Store) error {
	require, err := st.ConfigBool("exp.requireClean", false)
	if err != nil {
		return &usageError{err.Error()}
	}
	if c.RequireClean && c.IgnoreDirty {
		return usagef("--require-clean and --ignore-dirty contradict each other: give one")
	}
	if !(c.RequireClean || require && !c.IgnoreDirty) {
		return nil
	}
	dirty, err := st.Uncommitted(ctx)
	if err != nil || len(dirty) == 0 {
		return err
	}
	const most = 10
	shown := dirty[:min(len(dirty), most)]
	more := ""
	if len(dirty) > most {
		more = fmt.Sprintf(" and %d more", len(dirty)-most)
	}
	why := "--require-clean"
	if !c.RequireClean {
		why = "git config exp.requireClean is true"
	}
	return usagef("the worktree is not clean (%s): %s%s; commit or stash them (git status), or pass --ignore-dirty to record them in the snapshot",
		why, strings.Join(shown, ", "), more)
}

// command works out the argv to run and the script to record.
func (c *RunCmd) command(env *Env, wd, root string) (argv []string, script string, err error) {
	if c.Script == "" {
		if len(env.Tail) == 0 {
			return nil, "", usagef("nothing to run: give a script (git exp run train.py) or a command after -- (git exp run -- python train.py)")
		}
		return env.Tail, env.Tail[0], nil
	}
	argv, err = run.Command(wd, root, c.Script, env.Tail)
	if err != nil {
		return nil, "", err // a *run.UsageError when the script is not runnable: exit status 2
	}
	return argv, c.Script, nil
}

func toSources(src []config.Source) []gitstore.ParamSource {
	out := make([]gitstore.ParamSource, len(src))
	for i, s := range src {
		out[i] = gitstore.ParamSource{Kind: s.Kind, Path: s.Path, Keys: s.Keys}
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printPlan prints what --dry-run would run.
func printPlan(io *IO, plans []*run.Plan, asJSON bool) error {
	if asJSON {
		type entry struct {
			Name    string                 `json:"name"`
			Argv    []string               `json:"argv"`
			Params  json.RawMessage        `json:"params"`
			Sources []gitstore.ParamSource `json:"param_sources"`
		}
		var out []entry
		for _, p := range plans {
			out = append(out, entry{p.Manifest.Name, p.Manifest.Argv, json.RawMessage(p.Params), p.Manifest.Sources})
		}
		return writeJSON(io.Out, out)
	}
	for i, p := range plans {
		if len(plans) > 1 {
			fmt.Fprintf(io.Out, "# run %d of %d: %s\n", i+1, len(plans), io.Text(p.Manifest.Name))
		}
		fmt.Fprintf(io.Out, "command: %s\n", io.Text(strings.Join(p.Manifest.Argv, " ")))
		v, _ := value.Unmarshal(p.Params)
		fmt.Fprint(io.Out, "params:\n")
		printTree(io, io.Out, v, "  ")
		if len(p.Manifest.Sources) > 0 {
			var src []string
			for _, s := range p.Manifest.Sources {
				if s.Path != "" {
					src = append(src, s.Kind+" "+s.Path)
				} else {
					src = append(src, s.Kind+" ("+strings.Join(s.Keys, ", ")+")")
				}
			}
			fmt.Fprintf(io.Out, "from:    %s\n", strings.Join(src, "; "))
		}
	}
	fmt.Fprintf(io.Err, "dry run: nothing was run or recorded (%d experiment(s) planned)\n", len(plans))
	return nil
}
