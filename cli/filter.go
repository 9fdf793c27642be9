package cli

import (
	"context"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
)

// Filters are shared by every reading and bulk command.
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

	exprs        []*query.Expr
	since, until string
}

// active reports whether any filter is set.
func (f *Filters) active() bool {
	return len(f.Status) > 0 || len(f.Tag) > 0 || f.Name != "" || f.Script != "" || f.Batch != "" ||
		f.Since != "" || f.Until != "" || len(f.Where) > 0
}

// compile checks the filters once, before any experiment is read.
func (f *Filters) compile(ctx context.Context, st *gitstore.Store) error {
	for _, w := range f.Where {
		e, err := query.Parse(w)
		if err != nil {
			return usagef("--where: %v", err)
		}
		f.exprs = append(f.exprs, e)
	}
	for _, pat := range []string{f.Name, f.Script} {
		if _, err := path.Match(pat, ""); err != nil {
			return usagef("bad glob %q: %v", pat, err)
		}
	}
	var err error
	if f.since, err = gitDate(ctx, st, f.Since); err != nil {
		return err
	}
	f.until, err = gitDate(ctx, st, f.Until)
	return err
}

// gitDate turns a date in any format git understands into a stored timestamp, through git itself.
func gitDate(ctx context.Context, st *gitstore.Store, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	out, err := st.Git.Run(ctx, "rev-parse", "--since="+s)
	if err != nil {
		return "", usagef("cannot read the date %q", s)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "--max-age=")
	secs, perr := strconv.ParseInt(v, 10, 64)
	if !ok || perr != nil {
		return "", usagef("cannot read the date %q (try '2 weeks ago', 'yesterday' or 2026-01-31)", s)
	}
	return gitstore.FormatTime(time.Unix(secs, 0)), nil
}

// match reports whether e passes every filter.
func (f *Filters) match(e *gitstore.Experiment) bool {
	if e.Archived && !f.Archived {
		return false
	}
	if len(f.Status) > 0 && !contains(f.Status, e.Status) {
		return false
	}
	for _, t := range f.Tag {
		if !contains(e.Tags, t) {
			return false
		}
	}
	if f.Name != "" {
		if ok, _ := path.Match(f.Name, e.Name); !ok {
			return false
		}
	}
	if f.Script != "" {
		if ok, _ := path.Match(f.Script, e.Script); !ok {
			return false
		}
	}
	if f.Batch != "" && !strings.HasPrefix(e.Batch, f.Batch) {
		return false
	}
	if f.since != "" && e.Created < f.since || f.until != "" && e.Created > f.until {
		return false
	}
	if len(f.exprs) > 0 {
		rec := record(e)
		for _, x := range f.exprs {
			if !x.Eval(rec) {
				return false
			}
		}
	}
	return true
}

// record is what --where and --sort see of an experiment.
func record(e *gitstore.Experiment) query.Record {
	tags := make([]any, len(e.Tags))
	for i, t := range e.Tags {
		tags[i] = t
	}
	meta := map[string]any{
		"id": e.ID, "name": e.Name, "status": e.Status, "tags": tags, "created": e.Created, "started": e.Started,
		"ended": e.Ended, "duration_s": e.DurationS, "script": e.Script, "batch": e.Batch, "user": e.User,
		"host": e.Host, "parent": e.Parent, "executor": e.Executor, "description": e.Description,
		"attempt": e.Attempt, "archived": e.Archived, "branch": e.Git.Branch, "dirty": e.Git.Dirty,
	}
	if e.ExitCode != nil {
		meta["exit_code"] = *e.ExitCode
	}
	return query.Record{Params: decodeTree(e.ParamsJSON), Results: decodeTree(e.ResultsJSON), Meta: meta}
}

// selectExps loads the experiments that pass the filters.
func (f *Filters) selectExps(ctx context.Context, env *Env, st *gitstore.Store) ([]*gitstore.Experiment, error) {
	if err := f.compile(ctx, st); err != nil {
		return nil, err
	}
	all, err := experiments(ctx, env, st)
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, e := range all {
		if f.match(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// sortBy sorts by keys ("-key" descending), newest first as the last tie-breaker.
func sortBy(exps []*gitstore.Experiment, keys []string) {
	if len(keys) == 0 {
		sortNewest(exps)
		return
	}
	recs := make(map[string]query.Record, len(exps))
	for _, e := range exps {
		recs[e.ID] = record(e)
	}
	sort.SliceStable(exps, func(i, j int) bool {
		for _, k := range keys {
			desc := strings.HasPrefix(k, "-")
			k = strings.TrimPrefix(k, "-")
			a, aok := query.Lookup(recs[exps[i].ID], k)
			b, bok := query.Lookup(recs[exps[j].ID], k)
			if !aok && !bok {
				continue
			}
			if aok != bok {
				return aok // missing values last, whatever the direction
			}
			c := query.Compare(a, b)
			if c == 0 {
				continue
			}
			if desc {
				return c > 0
			}
			return c < 0
		}
		if exps[i].Created != exps[j].Created {
			return exps[i].Created > exps[j].Created
		}
		return exps[i].ID > exps[j].ID
	})
}
