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
	matches, err := stream.Find(gitstore.Matches(ids...))
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

func edit1(ctx context.Context, env *Env, id string, n gitstore.Note) error {
	st, e, err := env.openOne(ctx, id)
	if err != nil {
		return err
	}
	defer st.Close()
	return writeNotes(ctx, st, []*gitstore.Experiment{e}, n)
}
