package cli

import (
	"context"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// writeNotes records one edit per experiment as an append-only note (see gitstore.Store.WriteNotes).
func writeNotes(ctx context.Context, st *gitstore.Store, exps []*gitstore.Experiment, n gitstore.Note) error {
	ids := make([]string, len(exps))
	for i, e := range exps {
		ids[i] = e.ID
	}
	return st.WriteNotes(ctx, ids, n)
}

// resolveAll resolves several ids, reporting every unknown one at once. Like resolve, it reads only the ids and
// names of the store (Stream.Find), whatever the number of ids (compare of 1,000 named by id).
func resolveAll(ctx context.Context, env *Env, st *gitstore.Store, ids []string) ([]*gitstore.Experiment, error) {
	stream, err := env.runner(st).RecordEndsAndStream(ctx)
	if err != nil {
		return nil, err
	}
	matches, err := stream.Find(anyOf(ids))
	if err != nil {
		return nil, err
	}
	var out []*gitstore.Experiment
	var bad []string
	seen := map[string]bool{}
	for _, q := range ids {
		e, err := gitstore.Resolve(matches, q)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	if len(bad) > 0 {
		return nil, &usageError{strings.Join(bad, "; ")}
	}
	return whole(st, out)
}

// anyOf matches an experiment that one of queries may name (gitstore.Resolve: its id, an id prefix of at least 4
// hex digits, its name) in constant time per experiment: prefixes are looked up by their first 4 digits.
func anyOf(queries []string) func(id, name string) bool {
	names := map[string]bool{}
	prefixes := map[string][]string{}
	for _, q := range queries {
		names[q] = true
		if len(q) >= 4 && strings.Trim(q, "0123456789abcdef") == "" {
			prefixes[q[:4]] = append(prefixes[q[:4]], q)
		}
	}
	return func(id, name string) bool {
		if names[name] || names[id] {
			return true
		}
		if len(id) >= 4 {
			for _, p := range prefixes[id[:4]] {
				if strings.HasPrefix(id, p) {
					return true
				}
			}
		}
		return false
	}
}

func edit1(ctx context.Context, env *Env, id string, n gitstore.Note) error {
	st, e, err := env.openOne(ctx, id)
	if err != nil {
		return err
	}
	defer st.Close()
	return writeNotes(ctx, st, []*gitstore.Experiment{e}, n)
}
