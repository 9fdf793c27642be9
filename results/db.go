package results

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/git-exp/git-exp/gitstore"
)

// DB reads the experiments of one repository. It keeps one `git cat-file` process open: Close it when done. A DB is
// safe for concurrent use.
//
// A DB only reads: unlike the git exp commands, it does not record as crashed the running experiments whose runner
// has died (they show as running until a git exp command sees them).
type DB struct {
	st *gitstore.Store

	mu   sync.Mutex
	tip  string // the store's tip when exps was read
	exps []*gitstore.Experiment
}

// Open opens the experiments of the git repository containing dir (any directory inside its worktree, or a bare
// repository). A repository without experiments yet is not an error: Find returns nothing.
func Open(dir string) (*DB, error) {
	return OpenContext(context.Background(), dir)
}

// OpenContext is Open with a context for the git commands it starts.
func OpenContext(ctx context.Context, dir string) (*DB, error) {
	st, err := gitstore.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	return &DB{st: st}, nil
}

// Close stops the DB's git process. Readers returned by Artifact and Log stay usable until closed.
func (db *DB) Close() error { return db.st.Close() }

// Store is the underlying store, for what this package does not cover: Store().Damage() says what the last read
// could not read because objects are missing from the repository (README, "A damaged store").
func (db *DB) Store() *gitstore.Store { return db.st }

// all returns every experiment at the store's tip, removed ones included. It reads the store's cache
// (.git/exp/cache-v*, the version gitstore sets) once per tip: while refs/experiments/main does not move, later
// calls cost nothing.
func (db *DB) all() ([]*gitstore.Experiment, error) {
	tip, err := db.st.Tip()
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.exps != nil && tip == db.tip && db.st.Damage() == nil { // a read that missed objects is tried again
		return db.exps, nil
	}
	exps, err := db.st.Experiments()
	if err != nil {
		return nil, err
	}
	db.tip, db.exps = tip, exps
	return exps, nil
}

// Option changes what Find returns.
type Option func(*options)

type options struct {
	sort  []string
	limit int
}

// Sort orders the experiments by keys: names as in Where expressions (lr, results.acc, meta.created, model.name);
// "-key" sorts descending. Missing values sort last whatever the direction; ties (and no keys at all) are broken
// newest first.
func Sort(keys ...string) Option {
	return func(o *options) { o.sort = append(o.sort, keys...) }
}

// Limit keeps the first n experiments (after sorting); 0 keeps all.
func Limit(n int) Option {
	return func(o *options) { o.limit = n }
}

// Find returns the experiments that pass the filter, newest first unless sorted otherwise. Removed experiments are
// never returned; archived ones only with Filter.Archived. A filter that cannot be used is a *FilterError.
func (db *DB) Find(ctx context.Context, f Filter, opts ...Option) ([]*Experiment, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// The records built to match hold only what the expressions and the sort keys can reach; the experiments
	// returned are decoded whole.
	exps, err := db.Select(ctx, f, o.sort)
	if err != nil {
		return nil, err
	}
	if o.limit > 0 && len(exps) > o.limit {
		exps = exps[:o.limit]
	}
	out := make([]*Experiment, len(exps))
	for i, e := range exps {
		out[i] = db.wrap(e, nil)
	}
	return out, nil
}

// Get returns one experiment: by full id, id prefix (at least 4 hex digits) or exact name. An unknown or ambiguous
// one is an error that says so (listing the candidates). Archived experiments are found; removed ones are not.
func (db *DB) Get(idOrName string) (*Experiment, error) {
	e, err := db.Lookup(idOrName)
	if err != nil {
		return nil, err
	}
	return db.wrap(e, nil), nil
}

// Lookup is Get for programs that need the store's own record (shared: do not modify it), as Select returns them.
func (db *DB) Lookup(idOrName string) (*gitstore.Experiment, error) {
	all, err := db.all()
	if err != nil {
		return nil, err
	}
	return gitstore.Resolve(all, idOrName)
}

// Batch returns the members of a batch (a sweep or staged work), by batch id or id prefix, in the order they were
// staged. Archived members are included; removed ones are not.
func (db *DB) Batch(id string) ([]*Experiment, error) {
	if id == "" {
		return nil, fmt.Errorf("empty batch id (see git exp batches)")
	}
	all, err := db.all()
	if err != nil {
		return nil, err
	}
	var members []*gitstore.Experiment
	batches := map[string]bool{}
	for _, e := range all {
		if !e.Deleted && e.Batch != "" && strings.HasPrefix(e.Batch, id) {
			members = append(members, e)
			batches[e.Batch] = true
		}
	}
	switch {
	case len(batches) > 1:
		return nil, fmt.Errorf("batch prefix %q is ambiguous: it matches %d batches; use more digits", id, len(batches))
	case len(members) == 0:
		return nil, fmt.Errorf("no batch matches %q (see git exp batches)", id)
	}
	slices.SortFunc(members, func(a, b *gitstore.Experiment) int {
		if a.Seq != b.Seq {
			return a.Seq - b.Seq
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]*Experiment, len(members))
	for i, e := range members {
		out[i] = db.wrap(e, nil)
	}
	return out, nil
}

// Select is Find for programs that show many experiments at once (the web UI): it returns the store's own records,
// not decoded copies — their raw params and results (values longer than gitstore.CapValue cut: Store.Full reads one
// whole) and short ids — so a page of 100,000 costs no decoding. The records are shared: do not modify them. A filter that cannot be used is a *FilterError.
func (db *DB) Select(ctx context.Context, f Filter, sort []string) ([]*gitstore.Experiment, error) {
	if err := checkKeys(sort); err != nil {
		return nil, err
	}
	m, err := f.Compile()
	if err != nil {
		return nil, err
	}
	all, err := db.all()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	exps := selectSorted(m, all, sort)
	if len(sort) == 0 {
		gitstore.SortNewest(exps)
	}
	return exps, nil
}

// Wrap decodes one of the store's records (from Select) into an Experiment.
func (db *DB) Wrap(e *gitstore.Experiment) *Experiment { return db.wrap(e, nil) }
