package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// The batch progress labels its times, gives no estimate before a member finished, and counts cancelled runs.
func TestProgressTimingAndSummary(t *testing.T) {
	var out, errb strings.Builder
	pr := newProgress(&IO{Out: &out, Err: &errb}, 4, false)
	t0 := pr.start
	if got := pr.timing(t0.Add(10 * time.Second)); got != " elapsed 10s" {
		t.Errorf("before any run finished: %q, want only the elapsed time", got)
	}
	pr.Finished(&gitstore.Manifest{ID: "a", Status: gitstore.StatusCompleted}, 0, nil)
	if got := pr.timing(t0.Add(10 * time.Second)); got != " elapsed 10s, about 30s left" {
		t.Errorf("one of four finished after 10s: %q", got)
	}
	pr.Finished(&gitstore.Manifest{ID: "b", Status: gitstore.StatusCancelled}, 130, nil)
	pr.Finished(&gitstore.Manifest{ID: "c", Status: gitstore.StatusFailed}, 1, nil)
	if got := pr.summary(1500 * time.Millisecond); got != "1 passed, 1 failed, 1 cancelled, 0 cached in 1.5s" {
		t.Errorf("summary %q", got)
	}
	pr.Finished(&gitstore.Manifest{ID: "d", Status: gitstore.StatusCompleted}, 0, nil)
	if got := pr.timing(t0.Add(20 * time.Second)); got != " elapsed 20s" {
		t.Errorf("all finished: %q, want no estimate", got)
	}
}
