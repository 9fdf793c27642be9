package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// BatchesCmd lists batches.
type BatchesCmd struct {
	JSON bool `name:"json" help:"Print a JSON array of batch manifests with counts by status."`
}

// Run implements git exp batches.
func (c *BatchesCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	bs, err := st.Batches()
	if err != nil {
		return err
	}
	// Counted as the store streams by: never every experiment at once (removed ones are not counted).
	stream, err := env.runner(st).RecordEndsAndStream(ctx)
	if err != nil {
		return err
	}
	counts := map[string]map[string]int{}
	if len(bs) > 0 {
		_, err = stream.Each(func(e *gitstore.Experiment) bool { return e.Batch != "" }, func(exps []*gitstore.Experiment) error {
			for _, e := range exps {
				if counts[e.Batch] == nil {
					counts[e.Batch] = map[string]int{}
				}
				counts[e.Batch][e.Status]++
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].Created > bs[j].Created })
	if c.JSON {
		type out struct {
			*gitstore.Batch
			Counts map[string]int `json:"counts"`
		}
		res := make([]out, len(bs))
		for i, b := range bs {
			res[i] = out{b, counts[b.ID]}
			if res[i].Counts == nil {
				res[i].Counts = map[string]int{}
			}
		}
		return writeJSON(env.IO.Out, res)
	}
	if len(bs) == 0 {
		fmt.Fprintln(env.IO.Err, "no batches yet: a sweep or --stage makes one")
		return nil
	}
	rows := make([][]string, len(bs))
	for i, b := range bs {
		var parts []string
		for _, s := range []string{"completed", "failed", "running", "staged", "cancelled", "crashed", "queued"} {
			if n := counts[b.ID][s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
		when := b.Created
		if env.IO.OutTTY {
			when = relTime(b.Created)
		}
		id := b.ID
		if env.IO.OutTTY {
			id = b.ID[:7]
		}
		rows[i] = []string{id, when, strconv.Itoa(len(b.Runs)), strings.Join(parts, ", "), commandLine(b.Command)}
	}
	return table(env.IO, []string{"BATCH", "CREATED", "RUNS", "STATUS", "COMMAND"}, rows)
}

// commandLine is the command that made a batch, quoted so that it can be pasted back into a shell.
func commandLine(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	out := []string{"git exp"}
	for _, a := range argv[1:] {
		out = append(out, shellWord(a))
	}
	return strings.Join(out, " ")
}

// shellWord quotes a for a POSIX shell when it needs it (lr=list(0.1,0.2) becomes 'lr=list(0.1,0.2)').
func shellWord(a string) string {
	if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
