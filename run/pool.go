package run

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/git-exp/git-exp/gitstore"
)

// Progress is told how a batch goes; rendering it (a bar, plain lines) is the caller's.
type Progress interface {
	Started(m *gitstore.Manifest)                       // recorded as running
	Finished(m *gitstore.Manifest, code int, err error) // ended (m as recorded), or failed to record (err)
	Skipped()                                           // another runner took it first: not this batch's run
}

// noProgress is the Progress of a pool nobody watches.
type noProgress struct{}

func (noProgress) Started(*gitstore.Manifest)              {}
func (noProgress) Finished(*gitstore.Manifest, int, error) {}
func (noProgress) Skipped()                                {}

// Stage records plans as one staged batch (id: the plans' Batch) created by command, each plan's Seq its place,
// and marks the plans Staged: a pool, a Slurm submission or a later run --staged takes them from there.
func (r *Runner) Stage(ctx context.Context, plans []*Plan, command []string) (*gitstore.Batch, error) {
	first := plans[0].Manifest
	b := &gitstore.Batch{
		ID: first.Batch, Created: first.Created, Command: command, Snapshot: first.Git.Snapshot,
		Executor: string(Local), User: first.User, Host: first.Host,
	}
	recs := make([]gitstore.NewRecord, len(plans))
	for i, p := range plans {
		p.Manifest.Status = gitstore.StatusStaged
		p.Manifest.Seq = i + 1
		b.Runs = append(b.Runs, p.Manifest.ID)
		recs[i] = gitstore.NewRecord{Manifest: p.Manifest, Params: p.Params}
	}
	if err := r.Store.CreateBatch(context.WithoutCancel(ctx), "stage", b, recs); err != nil {
		return nil, err
	}
	for _, p := range plans {
		p.Mode = Staged
	}
	r.recorded("batch", b.ID)
	return b, nil
}

// PoolOptions say how a pool runs its plans.
type PoolOptions struct {
	Jobs         int  // workers; 0 or less: one per CPU
	Retries      int  // further attempts of each failing run
	FromSnapshot bool // run each from a checkout of its snapshot (staged work), not from its Dir
	// Live returns the live copies of one run's stdout and stderr; nil (or nil writers): quiet.
	Live     func(m *gitstore.Manifest) (io.Writer, io.Writer)
	Progress Progress // nil: nobody is told
}

// PoolResult is how a pool's runs went.
type PoolResult struct {
	Failed     int   // failed runs, and runs whose end could not be recorded
	Cancelled  int   // runs stopped by the cancellation of ctx
	NotStarted int   // plans never handed to a worker because ctx was cancelled (still staged)
	Err        error // the first failure to record, if any
}

// RunPool runs plans (recorded already: Staged or Continue) on Jobs workers, in order, telling o.Progress. A plan
// another runner took first is skipped. Cancelling ctx stops the running scripts (recorded as cancelled) and
// starts no more.
func (r *Runner) RunPool(ctx context.Context, plans []*Plan, o PoolOptions) PoolResult {
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	work := make(chan *Plan)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var res PoolResult
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				m := p.Manifest
				eo := Options{Retries: o.Retries, OnStart: func() { o.Progress.Started(m) }}
				if o.Live != nil {
					eo.Live, eo.LiveErr = o.Live(m)
				}
				if o.FromSnapshot {
					eo.Snapshot = m.Git.Snapshot
				}
				code, err := r.Execute(ctx, p, eo)
				var taken *takenError
				if errors.As(err, &taken) {
					// Another runner started it first (two `run --staged` at once): its run, not ours.
					o.Progress.Skipped()
					continue
				}
				mu.Lock()
				switch {
				case err != nil:
					if res.Err == nil {
						res.Err = err
					}
					res.Failed++
				case code == 130 && ctx.Err() != nil:
					res.Cancelled++
				case code != 0:
					res.Failed++
				}
				mu.Unlock()
				o.Progress.Finished(m, code, err)
			}
		}()
	}
	sent := 0
feed:
	for _, p := range plans {
		select {
		case work <- p:
			sent++
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		res.NotStarted = len(plans) - sent
	}
	return res
}

// StagedPlans is the staged queue: the staged experiments of exps that are not archived (only those of batches
// whose id starts with batch, when given), in the order they were staged, each to be taken (Staged) and run from
// its own snapshot.
func StagedPlans(exps []*gitstore.Experiment, batch string) []*Plan {
	var staged []*gitstore.Experiment
	for _, e := range exps {
		if e.Status == gitstore.StatusStaged && !e.Archived && (batch == "" || strings.HasPrefix(e.Batch, batch)) {
			staged = append(staged, e)
		}
	}
	sort.Slice(staged, func(i, j int) bool {
		if staged[i].Created != staged[j].Created {
			return staged[i].Created < staged[j].Created
		}
		if staged[i].Seq != staged[j].Seq {
			return staged[i].Seq < staged[j].Seq
		}
		return staged[i].ID < staged[j].ID
	})
	plans := make([]*Plan, len(staged))
	for i, e := range staged {
		m := e.Manifest
		plans[i] = &Plan{Manifest: &m, Params: e.ParamsJSON, Mode: Staged}
	}
	return plans
}

// ContinuePlans is what finishes a batch (its members exps): another attempt of each failed, cancelled or crashed
// member and a first run of each staged one; completed members are counted, and running or queued ones left alone.
func ContinuePlans(exps []*gitstore.Experiment) (plans []*Plan, completed int) {
	for _, e := range exps {
		m := e.Manifest
		switch {
		case e.Status == gitstore.StatusCompleted:
			completed++
		case e.Status == gitstore.StatusStaged:
			plans = append(plans, &Plan{Manifest: &m, Params: e.ParamsJSON, Mode: Staged})
		case Continuable(e.Status):
			plans = append(plans, &Plan{Manifest: &m, Params: e.ParamsJSON, Mode: Continue})
		}
	}
	return plans, completed
}
