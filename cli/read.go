package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/importer"
	"github.com/git-exp/git-exp/results"
	"github.com/git-exp/git-exp/value"
)

// shortReader is called first by commands that read the whole store and end: they build one large, long-lived
// list, and collecting garbage meanwhile only rescans it (a third of a warm list of 100,000). The memory limit still
// bounds the heap. Commands that go on (runs, logs --follow) do not call it.
func shortReader() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(2 << 30)
}

// openOne opens the store and resolves the one experiment a command is about. The caller closes the store.
func (e *Env) openOne(ctx context.Context, query string) (*gitstore.Store, *gitstore.Experiment, error) {
	st, err := e.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	x, err := resolve(ctx, e, st, query)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, x, nil
}

// resolve finds one experiment by id, id prefix or name. Only the ids and names of the store are read (Stream.Find):
// naming one experiment of 1,000,000 never decodes them all.
func resolve(ctx context.Context, env *Env, st *gitstore.Store, query string) (*gitstore.Experiment, error) {
	stream, err := env.runner(st).RecordEndsAndStream(ctx)
	if err != nil {
		return nil, err
	}
	matches, err := stream.Find(gitstore.Matches(query))
	if err != nil {
		return nil, err
	}
	e, err := gitstore.Resolve(matches, query)
	if err != nil {
		if strings.HasPrefix(err.Error(), "no experiment matches") {
			if why := st.Damage().Explain(query); why != "" {
				return nil, errors.New(why) // not a usage error: the store is damaged (exit 1, as git exp fsck)
			}
			if hint, herr := tagHint(stream, query); herr != nil {
				return nil, herr
			} else if hint != "" {
				return nil, &usageError{hint}
			}
		}
		return nil, &usageError{err.Error()}
	}
	return st.Full(e)
}

// kept returns the experiments (removed ones left out) that keep keeps, read as the store streams by, so that
// choosing a few of 1,000,000 never decodes them all at once.
func kept(ctx context.Context, env *Env, st *gitstore.Store, keep func(*gitstore.Experiment) bool) ([]*gitstore.Experiment, error) {
	stream, err := env.runner(st).RecordEndsAndStream(ctx)
	if err != nil {
		return nil, err
	}
	exps, _, err := collect(func(fn func([]*gitstore.Experiment) error) (int, error) { return stream.Each(keep, fn) })
	return exps, err
}

// whole replaces the experiments whose values the cache cut (gitstore.CapValue) with the whole experiment read from
// the store: for the commands that show, export or rerun a few chosen experiments, never the listing of all.
func whole(st *gitstore.Store, exps []*gitstore.Experiment) ([]*gitstore.Experiment, error) {
	for i, e := range exps {
		f, err := st.Full(e)
		if err != nil {
			return nil, err
		}
		exps[i] = f
	}
	return exps, nil
}

// docJSON is the documented --json object of one experiment (README "--json fields"): short_id, then AppendDoc.
func docJSON(e *gitstore.Experiment, short string) []byte {
	return appendDocJSON(make([]byte, 0, 1024), e, short, nil)
}

// appendDocJSON appends docJSON to out, through w when there are many (nil: a DocWriter of its own).
func appendDocJSON(out []byte, e *gitstore.Experiment, short string, w *gitstore.DocWriter) []byte {
	out = append(out, `{"short_id":"`...)
	out = append(out, short...)
	out = append(out, `",`...)
	if w == nil {
		w = new(gitstore.DocWriter)
	}
	return w.AppendMembers(out, e)
}

// decodeTree decodes stored params or results (see results.DecodeJSON).
func decodeTree(raw []byte) map[string]any { return results.DecodeJSON(raw) }

// flat decodes stored params or results into dotted keys.
func flat(raw []byte) map[string]any { return value.Flatten(results.DecodeJSON(raw)) }

// tagHint says so when what was given for an experiment is a tag (git exp show best): a tag names a set.
func tagHint(stream *gitstore.Stream, query string) (string, error) {
	var n atomic.Int64
	_, err := stream.Each(func(e *gitstore.Experiment) bool {
		if slices.Contains(e.Tags, query) {
			n.Add(1)
		}
		return false
	}, func([]*gitstore.Experiment) error { return nil })
	if err != nil || n.Load() == 0 {
		return "", err
	}
	k := int(n.Load())
	return fmt.Sprintf("no experiment has the id or name %q, but %d %s it as a tag: give an id or name (git exp list --tag %s lists them)",
		query, k, plural(k, "has", "have"), query), nil
}

// noSnapshot is the error of a command that needs an experiment's code when the experiment has none: imported
// experiments say why (the source recorded no commit, or the commit is not in this repository).
func noSnapshot(e *gitstore.Experiment, what string) error {
	if why := e.Extra[importer.ExtraNoSnapshot]; why != "" {
		return fmt.Errorf("experiment %s has no snapshot %s: it was imported (%s) and %s", e.ID[:7], what, e.Extra[importer.ExtraImportedFrom], why)
	}
	return fmt.Errorf("experiment %s has no snapshot %s", e.ID[:7], what)
}
