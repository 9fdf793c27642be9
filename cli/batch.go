package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
)

// runBatch records plans as one staged batch, then (unless stageOnly) runs them.
func (c *RunCmd) runBatch(ctx context.Context, env *Env, st *gitstore.Store, plans []*run.Plan, stageOnly bool) error {
	b, err := env.runner(st).Stage(ctx, plans, env.Argv)
	if err != nil {
		return err
	}
	if stageOnly {
		fmt.Fprintf(env.IO.Err, "staged %d experiment(s) in batch %s; run them with: git exp run --staged\n", len(plans), b.ID[:7])
		for _, p := range plans {
			fmt.Fprintf(env.IO.Out, "%s\t%s\n", p.Manifest.ID, env.IO.Text(p.Manifest.Name))
		}
		return nil
	}
	// Run now: from the worktree, like a single run (the snapshot records exactly this code).
	return c.dispatch().runPlans(ctx, env, st, plans, b.ID, false)
}

// runStaged runs every staged experiment, in the order staged, each from a checkout of its own snapshot.
func (c *RunCmd) runStaged(ctx context.Context, env *Env) error {
	if c.Script != "" || len(c.Param) > 0 || len(c.Config) > 0 || len(env.Tail) > 0 {
		return usagef("--staged runs what was staged: it takes no script, --param or --config")
	}
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	exps, err := kept(ctx, env, st, func(e *gitstore.Experiment) bool { return e.Status == gitstore.StatusStaged })
	if err != nil {
		return err
	}
	plans := run.StagedPlans(exps, c.Batch)
	if len(plans) == 0 {
		fmt.Fprintln(env.IO.Err, "nothing is staged: stage experiments with git exp run SCRIPT --stage")
		return nil
	}
	return c.dispatch().runPlans(ctx, env, st, plans, "", true)
}

// dispatch is how run, rerun and continue hand recorded plans on: where they run (ExecFlags), how many at a time,
// whether each run's output is shown, and how many members of the batch had completed already.
type dispatch struct {
	ExecFlags
	jobs, retry int
	live        bool // every run's output, prefixed by its name (-s, --capture=no)
	cached      int  // members already complete (continue --batch), counted as cached
}

func (c *RunCmd) dispatch() *dispatch {
	return &dispatch{ExecFlags: c.ExecFlags, jobs: c.Jobs, retry: c.Retry, live: c.S || c.Capture == "no"}
}

// runPlans runs recorded plans (staged, or further attempts) with -j workers, or submits them to Slurm, showing
// progress, and returns an exit error unless all passed. fromSnapshot runs each from a checkout of its snapshot
// (staged work) rather than from the worktree.
func (c *dispatch) runPlans(ctx context.Context, env *Env, st *gitstore.Store, plans []*run.Plan, batch string, fromSnapshot bool) error {
	if executor, err := c.executor(st); err != nil {
		return err
	} else if executor == run.Slurm {
		return c.submitSlurm(ctx, env, st, plans, batch)
	}
	prog := newProgress(env.IO, len(plans)+c.cached, c.live)
	prog.cache(c.cached)
	o := run.PoolOptions{Jobs: c.jobs, Retries: c.retry, FromSnapshot: fromSnapshot, Progress: prog}
	if c.live {
		pw := &prefixWriters{out: env.IO.Out, err: env.IO.Err}
		o.Live = func(m *gitstore.Manifest) (io.Writer, io.Writer) { return pw.For(env.IO.Text(m.Name)) }
	}
	res := env.runner(st).RunPool(ctx, plans, o)
	prog.wait()
	if ctx.Err() != nil {
		id := batch
		if id == "" && len(plans) > 0 {
			id = plans[0].Manifest.Batch
		}
		// continue --batch finishes the batch: the cancelled members (another attempt each) and the staged ones.
		hint := "git exp continue --batch " + id[:min(7, len(id))]
		if id == "" {
			hint = "git exp run --staged"
		}
		fmt.Fprintf(env.IO.Err, "interrupted: %d run(s) cancelled, %d not started (still staged); finish the batch with: %s\n", res.Cancelled, res.NotStarted, hint)
		return &exitError{130}
	}
	if res.Err != nil {
		return res.Err
	}
	if res.Failed > 0 {
		return &exitError{1}
	}
	return nil
}

// progress reports a batch: a live bar on a terminal, one plain line per finished run on a pipe.
type progress struct {
	io                              *IO
	bar                             *mpb.Bar
	p                               *mpb.Progress
	mu                              sync.Mutex
	passed, failed, cached, running int
	cancelled                       int
	skipped                         int // taken by another runner
	total                           int
	plain                           bool
	start                           time.Time
}

func newProgress(io *IO, total int, live bool) *progress {
	pr := &progress{io: io, total: total, start: time.Now(), plain: !io.ErrTTY || live}
	if pr.plain {
		return pr
	}
	green, red, yellow, reset := "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"
	if !io.ErrColor {
		green, red, yellow, reset = "", "", "", ""
	}
	pr.p = mpb.New(mpb.WithOutput(io.Err), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond))
	pr.bar = pr.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			pr.mu.Lock()
			defer pr.mu.Unlock()
			s := fmt.Sprintf("%s%d passed%s %s%d failed%s %s%d cached%s %d running",
				green, pr.passed, reset, red, pr.failed, reset, yellow, pr.cached, reset, pr.running)
			if pr.cancelled > 0 {
				s += fmt.Sprintf(" %d cancelled", pr.cancelled)
			}
			return s
		})),
		mpb.AppendDecorators(
			decor.CountersNoUnit(" %d/%d"),
			decor.Any(func(decor.Statistics) string { return pr.timing(time.Now()) }),
		),
	)
	return pr
}

func (pr *progress) cache(n int) {
	pr.mu.Lock()
	pr.cached += n
	pr.mu.Unlock()
	if pr.bar != nil {
		pr.bar.IncrBy(n)
	}
}

// Started counts a run that started.
func (pr *progress) Started(m *gitstore.Manifest) {
	pr.mu.Lock()
	pr.running++
	pr.mu.Unlock()
}

// Skipped takes out of the count a run that another runner took first.
func (pr *progress) Skipped() {
	pr.mu.Lock()
	pr.skipped++
	pr.total--
	pr.mu.Unlock()
	if pr.bar != nil {
		pr.bar.SetTotal(int64(pr.total), false)
	}
}

// Finished counts a run that ended (or failed to record), and on a pipe prints its line.
func (pr *progress) Finished(m *gitstore.Manifest, code int, err error) {
	pr.mu.Lock()
	if pr.running > 0 {
		pr.running--
	}
	status := m.Status
	switch {
	case err != nil:
		status = "error: " + err.Error()
		pr.failed++
	case status == gitstore.StatusCompleted:
		pr.passed++
	case status == gitstore.StatusCancelled:
		pr.cancelled++
	default:
		pr.failed++
	}
	pr.mu.Unlock()
	if pr.plain {
		fmt.Fprintf(pr.io.Out, "%s\t%s\t%s\t%s\n", status, m.ID, pr.io.Text(m.Name), humanDuration(m.DurationS))
		return
	}
	pr.bar.Increment()
}

func (pr *progress) wait() {
	if pr.p != nil {
		if pr.bar.Current() < int64(pr.total) {
			pr.bar.Abort(false)
		}
		pr.p.Wait()
	}
	fmt.Fprintln(pr.io.Err, pr.summary(time.Since(pr.start)))
}

// summary is the line that ends a batch.
func (pr *progress) summary(elapsed time.Duration) string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	s := fmt.Sprintf("%d passed, %d failed, ", pr.passed, pr.failed)
	if pr.cancelled > 0 {
		s += fmt.Sprintf("%d cancelled, ", pr.cancelled)
	}
	s += fmt.Sprintf("%d cached in %s", pr.cached, elapsed.Round(time.Millisecond))
	if pr.skipped > 0 {
		s += fmt.Sprintf(" (%d run by another git exp at the same time)", pr.skipped)
	}
	return s
}

// timing is the bar's labelled elapsed time and, once a member has finished, the estimate of the time left (from
// the pace so far: runs finished in this process, cached ones left out).
func (pr *progress) timing(now time.Time) string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	elapsed := now.Sub(pr.start)
	s := " elapsed " + elapsed.Round(time.Second).String()
	done := pr.passed + pr.failed + pr.cancelled
	left := pr.total - done - pr.cached
	if done > 0 && left > 0 {
		eta := time.Duration(float64(elapsed) / float64(done) * float64(left))
		s += ", about " + eta.Round(time.Second).String() + " left"
	}
	return s
}

// prefixWriters prefix every line of several runs' output with the run's name, writing whole lines only.
type prefixWriters struct {
	mu       sync.Mutex
	out, err io.Writer
}

// For returns stdout and stderr writers for one run.
func (p *prefixWriters) For(prefix string) (io.Writer, io.Writer) {
	return &lineWriter{p: p, w: p.out, prefix: "[" + prefix + "] "}, &lineWriter{p: p, w: p.err, prefix: "[" + prefix + "] "}
}

type lineWriter struct {
	p      *prefixWriters
	w      io.Writer
	prefix string
	buf    bytes.Buffer
}

func (l *lineWriter) Write(b []byte) (int, error) {
	l.buf.Write(b)
	for {
		i := bytes.IndexByte(l.buf.Bytes(), '\n')
		if i < 0 {
			if l.buf.Len() > 64<<10 { // a very long line: flush what there is
				i = l.buf.Len() - 1
			} else {
				return len(b), nil
			}
		}
		line := l.buf.Next(i + 1)
		l.p.mu.Lock()
		io.WriteString(l.w, l.prefix)
		l.w.Write(line)
		if line[len(line)-1] != '\n' {
			io.WriteString(l.w, "\n")
		}
		l.p.mu.Unlock()
	}
}

// confirm asks a yes/no question on the terminal.
func confirm(io *IO, question string) bool {
	fmt.Fprintf(io.Err, "%s [y/N] ", question)
	line, _ := bufio.NewReader(io.In).ReadString('\n')
	line = strings.ToLower(strings.TrimSpace(line))
	return line == "y" || line == "yes"
}
