package cli

import (
	"cmp"
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/importer"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/results"
)

// Filters are shared by every reading and bulk command. They are the command-line face of results.Filter: the
// matching itself (and sorting) is the results package's, so the Go read API and the commands agree.
type Filters struct {
	Status   []string `sep:"," help:"Only these statuses (any of; comma-separated or repeated)." placeholder:"STATUS"`
	Tag      []string `sep:"none" help:"Only experiments with all of these tags. Repeatable." placeholder:"TAG"`
	Name     string   `help:"Only names matching this glob." placeholder:"GLOB"`
	Script   string   `help:"Only scripts matching this glob." placeholder:"GLOB"`
	Batch    string   `help:"Only this batch (id or prefix)."`
	Since    string   `help:"Only experiments created since this date (git's date formats: '2 weeks ago', 'yesterday', ISO)." placeholder:"DATE"`
	Until    string   `help:"Only experiments created until this date." placeholder:"DATE"`
	Where    []string `sep:"none" help:"Expression over params, results and metadata: 'lr > 0.01 and results.acc >= 0.9' (see README). Repeatable (all must hold)." placeholder:"EXPR"`
	Archived bool     `help:"Include archived experiments."`

	matcher *results.Matcher
}

// active reports whether any filter is set.
func (f *Filters) active() bool {
	return len(f.Status) > 0 || len(f.Tag) > 0 || f.Name != "" || f.Script != "" || f.Batch != "" ||
		f.Since != "" || f.Until != "" || len(f.Where) > 0
}

// compile checks the filters once, before any experiment is read.
func (f *Filters) compile(ctx context.Context, st *gitstore.Store) error {
	rf := results.Filter{Status: f.Status, Tags: f.Tag, Name: f.Name, Script: f.Script, Batch: f.Batch,
		Where: f.Where, Archived: f.Archived}
	var err error
	if rf.Since, err = gitDate(ctx, st, f.Since); err != nil {
		return err
	}
	if rf.Until, err = gitDate(ctx, st, f.Until); err != nil {
		return err
	}
	m, err := rf.Compile()
	var fe *results.FilterError
	if errors.As(err, &fe) && fe.Field == "where" {
		return usagef("--where: %v", fe.Err)
	}
	if err != nil {
		return &usageError{err.Error()}
	}
	f.matcher = m
	return nil
}

// gitDate turns a date in any format git understands into a time (gitstore.Store.ParseDate); a bad one is a usage
// error.
func gitDate(ctx context.Context, st *gitstore.Store, s string) (time.Time, error) {
	t, err := st.ParseDate(ctx, s)
	if err != nil {
		return t, &usageError{err.Error()}
	}
	return t, nil
}

// match reports whether e passes every filter (compile first).
func (f *Filters) match(e *gitstore.Experiment) bool { return f.matcher.Match(e) }

// record is what --where and --sort see of an experiment.
func record(e *gitstore.Experiment) query.Record { return results.Record(e) }

// selectExps loads the experiments that pass the filters, newest first. The store streams by as list reads it: only
// the matches are kept (export, compare and archive of a few of 1,000,000 never hold them all), and the keys of
// --where that no experiment has are found on the way (keyWatch).
func (f *Filters) selectExps(ctx context.Context, env *Env, st *gitstore.Store) ([]*gitstore.Experiment, error) {
	if err := f.compile(ctx, st); err != nil {
		return nil, err
	}
	stream, err := env.runner(st).RecordEndsAndStream(ctx)
	if err != nil {
		return nil, err
	}
	watch := newKeyWatch(f.Where, nil)
	exps, total, err := collect(func(fn func([]*gitstore.Experiment) error) (int, error) {
		return stream.Each(func(e *gitstore.Experiment) bool { watch.see(e); return f.matcher.Match(e) }, fn)
	})
	if err != nil {
		return nil, err
	}
	watch.warn(env, total, func() []*gitstore.Experiment {
		first, _, _ := collect(limited(func(fn func([]*gitstore.Experiment) error) (int, error) {
			return stream.Each(nil, fn)
		}, 1000, new(int), false))
		return first
	})
	return whole(st, exps)
}

// choose returns the experiments named by ids (those of them the filters keep, when filters are given too), or
// else every experiment the filters select.
func (f *Filters) choose(ctx context.Context, env *Env, st *gitstore.Store, ids []string) ([]*gitstore.Experiment, error) {
	if len(ids) == 0 {
		return f.selectExps(ctx, env, st)
	}
	exps, err := resolveAll(ctx, env, st, ids)
	if err != nil || !f.active() {
		return exps, err
	}
	if err := f.compile(ctx, st); err != nil {
		return nil, err
	}
	kept := exps[:0]
	for _, e := range exps {
		if f.match(e) {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

// sortBy sorts by keys ("-key" descending), newest first as the last tie-breaker.
func sortBy(exps []*gitstore.Experiment, keys []string) {
	if len(keys) == 0 {
		gitstore.SortNewest(exps) // the common case: plain string comparisons, no records to build
		return
	}
	results.SortExperiments(exps, keys)
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
	exps, err := kept(ctx, env, st, func(e *gitstore.Experiment) bool { return e.Batch != "" && strings.HasPrefix(e.Batch, batch) })
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
	if out, err = whole(st, out); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Seq < out[j].Seq || out[i].Seq == out[j].Seq && out[i].ID < out[j].ID
	})
	return out, nil
}
