package run

import (
	"slices"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
)

func experiment(id, status, batch, created string, seq int) *gitstore.Experiment {
	return &gitstore.Experiment{Manifest: gitstore.Manifest{ID: id, Status: status, Batch: batch, Created: created, Seq: seq}}
}

// The staged queue is in the order staged (created, then place in the batch, then id), without archived or
// non-staged experiments, optionally one batch's; continuing a batch retries what did not complete.
func TestStagedAndContinuePlans(t *testing.T) {
	archived := experiment("a0", gitstore.StatusStaged, "b1", "2026-01-01T00:00:00Z", 1)
	archived.Archived = true
	exps := []*gitstore.Experiment{
		experiment("c2", gitstore.StatusStaged, "b2", "2026-01-02T00:00:00Z", 2),
		experiment("c1", gitstore.StatusStaged, "b2", "2026-01-02T00:00:00Z", 1),
		experiment("b1", gitstore.StatusStaged, "b1", "2026-01-01T00:00:00Z", 1),
		experiment("d1", gitstore.StatusCompleted, "b2", "2026-01-02T00:00:00Z", 3),
		experiment("d2", gitstore.StatusFailed, "b2", "2026-01-02T00:00:00Z", 4),
		experiment("d3", gitstore.StatusCrashed, "b2", "2026-01-02T00:00:00Z", 5),
		experiment("d4", gitstore.StatusRunning, "b2", "2026-01-02T00:00:00Z", 6),
		experiment("d5", gitstore.StatusCancelled, "b2", "2026-01-02T00:00:00Z", 7),
		archived,
	}
	ids := func(plans []*Plan) (out []string) {
		for _, p := range plans {
			out = append(out, p.Manifest.ID+":"+p.Mode.String())
		}
		return out
	}
	if got, want := ids(StagedPlans(exps, "")), []string{"b1:staged", "c1:staged", "c2:staged"}; !slices.Equal(got, want) {
		t.Errorf("staged queue %q, want %q", got, want)
	}
	if got, want := ids(StagedPlans(exps, "b2")), []string{"c1:staged", "c2:staged"}; !slices.Equal(got, want) {
		t.Errorf("staged queue of b2 %q, want %q", got, want)
	}
	plans, completed := ContinuePlans(slices.Concat(exps[:2], exps[3:8])) // batch b2
	if got, want := ids(plans), []string{"c2:staged", "c1:staged", "d2:continue", "d3:continue", "d5:continue"}; !slices.Equal(got, want) || completed != 1 {
		t.Errorf("continuing the batch: %q and %d completed, want %q and 1", got, completed, want)
	}
}
