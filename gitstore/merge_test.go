package gitstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Merging two clones that diverged gives the same tree whichever side merges the other (merge(a,b) == merge(b,a)),
// and drops nothing: every experiment, note and batch of either side is in it, and a file changed on both sides
// comes from one side whole. Each seed diverges a shared base by random writes on both sides: new experiments, a
// batch, the end of a run, edits of the same manifest, notes.
func TestMergeSymmetric(t *testing.T) {
	st, dir := testStore(t)
	ctx := context.Background()
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 15))
		// The shared base: a few experiments, on a fresh branch per seed.
		st.Ref = fmt.Sprintf("refs/experiments/seed%d", seed)
		var shared []string
		for i := range 3 {
			shared = append(shared, create(t, st, fmt.Sprintf("base-%d", i), StatusRunning))
		}
		base := tip(t, st)
		// One side's writes, from base; returns its tip and what it added.
		side := func(label string) (string, []string) {
			moveRef(t, st, base)
			var added []string
			for op := range 4 + r.IntN(4) {
				switch r.IntN(5) {
				case 0:
					added = append(added, create(t, st, fmt.Sprintf("%s-%d", label, op), StatusCompleted))
				case 1:
					id := shared[r.IntN(len(shared))]
					code := r.IntN(3)
					if err := st.Edit(ctx, "finish", id, func(m *Manifest) error {
						m.Status, m.ExitCode, m.Error = StatusFailed, &code, label
						return nil
					}); err != nil {
						t.Fatal(err)
					}
				case 2:
					id := shared[r.IntN(len(shared))]
					if err := st.WriteNotes(ctx, []string{id}, Note{Op: "tag", Tags: []string{label}}); err != nil {
						t.Fatal(err)
					}
				case 3:
					b := &Batch{ID: NewID(), Created: Now(), Executor: "local"}
					var recs []NewRecord
					for i := range 2 {
						m := &Manifest{ID: NewID(), Name: fmt.Sprintf("%s-b%d-%d", label, op, i), Status: StatusStaged, Batch: b.ID, Created: Now()}
						b.Runs = append(b.Runs, m.ID)
						recs = append(recs, NewRecord{Manifest: m, Params: []byte(`{"i":` + fmt.Sprint(i) + `}`)})
						added = append(added, m.ID)
					}
					if err := st.CreateBatch(ctx, "stage", b, recs); err != nil {
						t.Fatal(err)
					}
				case 4:
					id := shared[r.IntN(len(shared))]
					if err := st.Edit(ctx, "describe", id, func(m *Manifest) error {
						m.Description = label + fmt.Sprint(op)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
				}
			}
			return tip(t, st), added
		}
		a, addedA := side("a")
		b, addedB := side("b")

		moveRef(t, st, a)
		if _, err := st.Merge(ctx, b, "b"); err != nil {
			t.Fatal(err)
		}
		ab := tip(t, st)
		moveRef(t, st, b)
		if _, err := st.Merge(ctx, a, "a"); err != nil {
			t.Fatal(err)
		}
		ba := tip(t, st)
		treeAB, treeBA := gitOut(t, dir, "rev-parse", ab+"^{tree}"), gitOut(t, dir, "rev-parse", ba+"^{tree}")
		if treeAB != treeBA {
			t.Errorf("seed %d: merge(a,b) and merge(b,a) differ:\n%s", seed, gitOut(t, dir, "diff", "--stat", ab, ba))
		}
		// Nothing dropped: every path of either side is in the merge, and each blob there is one side's.
		merged := paths(t, dir, ab)
		for _, sideTip := range []string{a, b} {
			for p := range paths(t, dir, sideTip) {
				if _, ok := merged[p]; !ok {
					t.Errorf("seed %d: %s (of %s) is not in the merge", seed, p, sideTip[:7])
				}
			}
		}
		pa, pb := paths(t, dir, a), paths(t, dir, b)
		for p, oid := range merged {
			if oid != pa[p] && oid != pb[p] {
				t.Errorf("seed %d: %s in the merge is neither side's version", seed, p)
			}
		}
		for _, id := range slices.Concat(shared, addedA, addedB) {
			if _, ok := merged[ExpPath(id)+"/experiment.json"]; !ok {
				t.Errorf("seed %d: experiment %s is missing from the merge", seed, id[:7])
			}
		}
		// The merge has both sides as parents, and merging again changes nothing.
		if got, err := st.Merge(ctx, a, "a"); err != nil || got != "up to date" {
			t.Errorf("seed %d: merging a again: %q, %v", seed, got, err)
		}
	}
}

func create(t *testing.T, st *Store, name, status string) string {
	t.Helper()
	m := &Manifest{ID: NewID(), Name: name, Status: status, Created: Now()}
	if err := st.Create(context.Background(), "start", m, []byte(`{"lr":0.1}`)); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func tip(t *testing.T, st *Store) string {
	t.Helper()
	c, err := st.Tip()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// moveRef points the store's ref at commit, whatever it points at now.
func moveRef(t *testing.T, st *Store, commit string) {
	t.Helper()
	if out, err := exec.Command("git", "-C", st.Root, "update-ref", st.Ref, commit).CombinedOutput(); err != nil {
		t.Fatalf("update-ref: %v\n%s", err, out)
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// paths maps every file of a commit's tree to its blob id.
func paths(t *testing.T, dir, commit string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(gitOut(t, dir, "ls-tree", "-r", commit), "\n") {
		meta, path, _ := strings.Cut(line, "\t")
		if f := strings.Fields(meta); len(f) == 3 {
			out[path] = f[2]
		}
	}
	return out
}
