package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// The lifecycle against real repositories in t.TempDir(), through the real git: no mocked store.

// testRunner makes a repository with one commit, sealed from the user's git configuration, and a Runner over its
// store whose warnings the test can read.
func testRunner(t *testing.T) (*Runner, *warnings) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	repo := filepath.Join(dir, "repo")
	for _, args := range [][]string{
		{"init", "-q", "-b", "main", repo},
		{"-C", repo, "config", "user.name", "Test"},
		{"-C", repo, "config", "user.email", "test@example.com"},
		{"-C", repo, "commit", "-q", "--allow-empty", "-m", "init"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	st, err := gitstore.Open(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &warnings{}
	return &Runner{Store: st, Warn: w.add}, w
}

type warnings struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnings) add(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, fmt.Sprintf(format, args...))
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// freshPlan is what `git exp run -- sh -c SCRIPT` plans: a new experiment with a snapshot of the worktree.
func freshPlan(t *testing.T, r *Runner, name, script string) *Plan {
	t.Helper()
	snap, err := r.Store.Snapshot(context.Background(), gitstore.DefaultMaxUntrackedSize)
	if err != nil {
		t.Fatal(err)
	}
	m := &gitstore.Manifest{ID: gitstore.NewID(), Name: name, Script: "sh", Argv: []string{"sh", "-c", script}, Cwd: ".",
		Executor: string(Local), Git: snap.Info, Created: gitstore.Now()}
	return &Plan{Manifest: m, Params: []byte("{\n  \"lr\": 0.1\n}\n"), Dir: r.Store.Root, Mode: Fresh}
}

func load(t *testing.T, r *Runner, id string) *gitstore.Experiment {
	t.Helper()
	e, err := r.Store.Load(id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func storedFile(t *testing.T, r *Runner, id, name string) (string, bool) {
	t.Helper()
	rc, ok, err := r.Store.OpenFile(context.Background(), id, name)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return "", false
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data), true
}

func storedLog(t *testing.T, r *Runner, id, name string) string {
	t.Helper()
	rc, ok, err := r.Store.OpenLog(context.Background(), id, name)
	if err != nil || !ok {
		t.Fatalf("log %s of %s: %v, %v", name, id[:7], ok, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// commits lists the subjects of the store's commits, oldest first.
func commits(t *testing.T, r *Runner) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", r.Store.Root, "log", "--first-parent", "--reverse", "--format=%s", r.Store.Ref).CombinedOutput()
	if err != nil {
		t.Fatalf("git log: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func spoolGone(t *testing.T, r *Runner, id string) {
	t.Helper()
	if _, err := os.Stat(r.Store.SpoolFor(id).Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spool of %s is still there (%v)", id[:7], err)
	}
}

// start → complete: one commit to start, one to finish; the script gets the GIT_EXP_* protocol (and not the
// caller's other GIT_EXP_ variables), and its output, results, metrics and artifacts are stored.
func TestLifecycleComplete(t *testing.T) {
	r, w := testRunner(t)
	t.Setenv("GIT_EXP_PARAM_lr", "0.2")
	t.Setenv("GIT_EXP_STRAY", "not for the script")
	p := freshPlan(t, r, "train", `echo hello; echo warn >&2
env | grep ^GIT_EXP_ | grep -v PYTHONPATH | sort > "$GIT_EXP_OUT/env.txt"
cp "$GIT_EXP_PARAMS" "$GIT_EXP_OUT/params.json"
echo '{"step": 1, "loss": 0.5}' >> "$GIT_EXP_METRICS"
echo '{"acc": 0.75}' > "$GIT_EXP_RESULTS"`)
	started := false
	var live syncBuffer
	code, err := r.Execute(context.Background(), p, Options{Live: &live, OnStart: func() { started = true }})
	if err != nil || code != 0 {
		t.Fatalf("Execute: %d, %v (warnings: %s)", code, err, w)
	}
	if !started {
		t.Error("OnStart was not called")
	}
	if live.String() != "hello\n" {
		t.Errorf("live output %q", live.String())
	}
	id := p.Manifest.ID
	e := load(t, r, id)
	if e.Status != gitstore.StatusCompleted || e.ExitCode == nil || *e.ExitCode != 0 || e.Attempt != 1 || e.Runner != nil || e.Error != "" {
		t.Errorf("manifest after the run: status %s, exit %v, attempt %d, runner %v, error %q", e.Status, e.ExitCode, e.Attempt, e.Runner, e.Error)
	}
	mine := *p.Manifest
	mine.Updated = e.Updated // set by the write, on the stored copy
	if e.Started == "" || e.Ended == "" || !reflect.DeepEqual(mine, e.Manifest) {
		t.Errorf("the plan's manifest is not the recorded one:\n%+v\n%+v", *p.Manifest, e.Manifest)
	}
	if got := storedLog(t, r, id, "stdout.zst"); got != "hello\n" {
		t.Errorf("stored stdout %q", got)
	}
	if got := storedLog(t, r, id, "stderr.zst"); got != "warn\n" {
		t.Errorf("stored stderr %q", got)
	}
	if got, _ := storedFile(t, r, id, "results.json"); !strings.Contains(got, `"acc": 0.75`) {
		t.Errorf("stored results %q", got)
	}
	if got, _ := storedFile(t, r, id, "metrics.jsonl"); !strings.Contains(got, `"loss": 0.5`) {
		t.Errorf("stored metrics %q", got)
	}
	if got, _ := storedFile(t, r, id, "artifacts/params.json"); got != string(p.Params) {
		t.Errorf("the script's $GIT_EXP_PARAMS held %q, want %q", got, p.Params)
	}
	env, _ := storedFile(t, r, id, "artifacts/env.txt")
	spool := r.Store.SpoolFor(id)
	for _, want := range []string{"GIT_EXP_ID=" + id, "GIT_EXP_NAME=train", "GIT_EXP_ATTEMPT=1", "GIT_EXP_PARENT=",
		"GIT_EXP_REPO=" + r.Store.Root, "GIT_EXP_OUT=" + spool.Out, "GIT_EXP_METRICS=" + spool.Metrics,
		"GIT_EXP_RESULTS=" + spool.Results, "GIT_EXP_PARAMS=" + spool.Params, "GIT_EXP_PARAM_lr=0.2"} {
		if !slices.Contains(strings.Split(env, "\n"), want) {
			t.Errorf("the script's environment lacks %s:\n%s", want, env)
		}
	}
	if strings.Contains(env, "GIT_EXP_STRAY") {
		t.Errorf("the caller's GIT_EXP_STRAY reached the script:\n%s", env)
	}
	spoolGone(t, r, id)
	short := id[:7]
	if got, want := commits(t, r), []string{"start " + short + " train", "finish " + short + " train"}; !slices.Equal(got[len(got)-2:], want) {
		t.Errorf("commits %q, want them to end with %q", got, want)
	}
}

// A failing script is recorded failed with its exit status; it is not an error of Execute.
func TestLifecycleFailure(t *testing.T) {
	r, _ := testRunner(t)
	p := freshPlan(t, r, "bad", `echo oops >&2; exit 3`)
	code, err := r.Execute(context.Background(), p, Options{})
	if err != nil || code != 3 {
		t.Fatalf("Execute: %d, %v", code, err)
	}
	e := load(t, r, p.Manifest.ID)
	if e.Status != gitstore.StatusFailed || e.Error != "exit status 3" || *e.ExitCode != 3 {
		t.Errorf("status %s, error %q, exit %v", e.Status, e.Error, *e.ExitCode)
	}
	if got := storedLog(t, r, e.ID, "stderr.zst"); got != "oops\n" {
		t.Errorf("stored stderr %q", got)
	}
	// A command that cannot start is a failure too, saying why.
	p = freshPlan(t, r, "missing", "")
	p.Manifest.Argv = []string{"git-exp-no-such-command"}
	if code, err := r.Execute(context.Background(), p, Options{}); err != nil || code != 127 {
		t.Fatalf("Execute: %d, %v", code, err)
	}
	if e := load(t, r, p.Manifest.ID); e.Status != gitstore.StatusFailed || !strings.Contains(e.Error, "command not found") {
		t.Errorf("status %s, error %q", e.Status, e.Error)
	}
}

// Cancelling the context while the script runs stops it and records it cancelled; Execute returns 130.
func TestLifecycleCancel(t *testing.T) {
	r, _ := testRunner(t)
	p := freshPlan(t, r, "long", `echo begun; exec sleep 300`)
	ctx, cancel := context.WithCancel(context.Background())
	code, err := r.Execute(ctx, p, Options{OnStart: func() {
		go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	}})
	if err != nil || code != 130 {
		t.Fatalf("Execute: %d, %v", code, err)
	}
	e := load(t, r, p.Manifest.ID)
	if e.Status != gitstore.StatusCancelled || e.Error != "cancelled (interrupted)" {
		t.Errorf("status %s, error %q", e.Status, e.Error)
	}
	if got := storedLog(t, r, e.ID, "stdout.zst"); got != "begun\n" {
		t.Errorf("stored stdout %q", got)
	}
	spoolGone(t, r, e.ID)
}

// Retries run a failing experiment again as further attempts of the same id: each attempt's logs are kept under
// attempts/N/, GIT_EXP_ATTEMPT counts, and the retries stop at the first success.
func TestLifecycleRetryAttempts(t *testing.T) {
	r, w := testRunner(t)
	p := freshPlan(t, r, "flaky", `echo "attempt $GIT_EXP_ATTEMPT"; [ "$GIT_EXP_ATTEMPT" -ge 3 ]`)
	code, err := r.Execute(context.Background(), p, Options{Retries: 5})
	if err != nil || code != 0 {
		t.Fatalf("Execute: %d, %v", code, err)
	}
	id := p.Manifest.ID
	e := load(t, r, id)
	if e.Status != gitstore.StatusCompleted || e.Attempt != 3 || p.Mode != Continue {
		t.Errorf("status %s, attempt %d, mode %v", e.Status, e.Attempt, p.Mode)
	}
	for n, want := range map[string]string{"attempts/1/stdout.zst": "attempt 1\n", "attempts/2/stdout.zst": "attempt 2\n", "stdout.zst": "attempt 3\n"} {
		if got := storedLog(t, r, id, n); got != want {
			t.Errorf("%s: %q, want %q", n, got, want)
		}
	}
	if got := strings.Count(w.String(), "retrying"); got != 2 {
		t.Errorf("%d retry messages, want 2:\n%s", got, w)
	}
	short := id[:7]
	want := []string{"start " + short + " flaky", "finish " + short + " flaky", "continue " + short + " flaky", "finish " + short + " flaky",
		"continue " + short + " flaky", "finish " + short + " flaky"}
	if got := commits(t, r); !slices.Equal(got[len(got)-len(want):], want) {
		t.Errorf("commits %q, want them to end with %q", got, want)
	}
	// Out of retries: the last attempt's failure stands.
	p = freshPlan(t, r, "never", `exit 2`)
	if code, err := r.Execute(context.Background(), p, Options{Retries: 1}); err != nil || code != 2 {
		t.Fatalf("Execute: %d, %v", code, err)
	}
	if e := load(t, r, p.Manifest.ID); e.Status != gitstore.StatusFailed || e.Attempt != 2 {
		t.Errorf("status %s, attempt %d", e.Status, e.Attempt)
	}
}

// Continue starts another attempt from the snapshot with the previous attempt's artifacts (a checkpoint) and
// metrics restored into the spool; a complete experiment cannot be continued.
func TestLifecycleContinueRestoresOutputs(t *testing.T) {
	r, _ := testRunner(t)
	p := freshPlan(t, r, "resumable", `if [ -f "$GIT_EXP_OUT/ckpt" ]; then
  [ "$(cat "$GIT_EXP_OUT/ckpt")" = "step 5" ] || exit 7
  grep -q '"step": 5' "$GIT_EXP_METRICS" || exit 8
  echo '{"step": 6, "loss": 0.1}' >> "$GIT_EXP_METRICS"
  exit 0
fi
echo "step 5" > "$GIT_EXP_OUT/ckpt"
echo '{"step": 5, "loss": 0.2}' >> "$GIT_EXP_METRICS"
exit 1`)
	if code, err := r.Execute(context.Background(), p, Options{}); err != nil || code != 1 {
		t.Fatalf("first attempt: %d, %v", code, err)
	}
	id := p.Manifest.ID
	e := load(t, r, id)
	again := &Plan{Manifest: &e.Manifest, Params: e.ParamsJSON, Mode: Continue}
	if code, err := r.Execute(context.Background(), again, Options{Snapshot: e.Git.Snapshot}); err != nil || code != 0 {
		t.Fatalf("continue: %d, %v", code, err)
	}
	e = load(t, r, id)
	if e.Status != gitstore.StatusCompleted || e.Attempt != 2 || e.ExitCode == nil || *e.ExitCode != 0 {
		t.Errorf("after continue: status %s, attempt %d, error %q", e.Status, e.Attempt, e.Error)
	}
	metrics, _ := storedFile(t, r, id, "metrics.jsonl")
	if !strings.Contains(metrics, `"step": 5`) || !strings.Contains(metrics, `"step": 6`) {
		t.Errorf("metrics of both attempts should be kept: %q", metrics)
	}
	if got, _ := storedFile(t, r, id, "artifacts/ckpt"); got != "step 5\n" {
		t.Errorf("checkpoint %q", got)
	}
	if got := commits(t, r); got[len(got)-2] != "continue "+id[:7]+" resumable" {
		t.Errorf("commits %q", got)
	}
	// Complete now: continuing it again is refused (a usage error), and nothing is recorded.
	before := commits(t, r)
	e = load(t, r, id)
	_, err := r.Execute(context.Background(), &Plan{Manifest: &e.Manifest, Params: e.ParamsJSON, Mode: Continue}, Options{})
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "is complete: nothing to continue") {
		t.Errorf("continuing a complete experiment: %v", err)
	}
	if after := commits(t, r); len(after) != len(before) {
		t.Errorf("a refused continue recorded %q", after[len(before):])
	}
}

type counts struct {
	mu                         sync.Mutex
	started, finished, skipped int
}

func (c *counts) Started(*gitstore.Manifest) { c.mu.Lock(); c.started++; c.mu.Unlock() }
func (c *counts) Finished(*gitstore.Manifest, int, error) {
	c.mu.Lock()
	c.finished++
	c.mu.Unlock()
}
func (c *counts) Skipped() { c.mu.Lock(); c.skipped++; c.mu.Unlock() }

// A staged batch runs on the pool (staged → running → completed or failed); a second runner over the same plans
// finds them taken and skips them, recording nothing.
func TestLifecycleStagedPool(t *testing.T) {
	r, _ := testRunner(t)
	batch := gitstore.NewID()
	var plans []*Plan
	for i, script := range []string{`exit 0`, `exit 1`, `echo ok`} {
		p := freshPlan(t, r, fmt.Sprintf("member-%d", i), script)
		p.Manifest.Batch = batch
		plans = append(plans, p)
	}
	b, err := r.Stage(context.Background(), plans, []string{"git-exp", "run"})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range plans {
		e := load(t, r, p.Manifest.ID)
		if p.Mode != Staged || e.Status != gitstore.StatusStaged || e.Seq != i+1 || e.Batch != b.ID {
			t.Errorf("staged %d: mode %v, status %s, seq %d, batch %s", i, p.Mode, e.Status, e.Seq, e.Batch)
		}
	}
	prog := &counts{}
	res := r.RunPool(context.Background(), plans, PoolOptions{Jobs: 2, FromSnapshot: true, Progress: prog})
	if res.Failed != 1 || res.Cancelled != 0 || res.NotStarted != 0 || res.Err != nil {
		t.Errorf("pool result %+v", res)
	}
	if prog.started != 3 || prog.finished != 3 || prog.skipped != 0 {
		t.Errorf("progress %+v", prog)
	}
	for i, want := range []string{gitstore.StatusCompleted, gitstore.StatusFailed, gitstore.StatusCompleted} {
		if e := load(t, r, plans[i].Manifest.ID); e.Status != want || e.Attempt != 1 {
			t.Errorf("member %d: %s (attempt %d), want %s", i, e.Status, e.Attempt, want)
		}
	}
	before := commits(t, r)
	prog = &counts{}
	if res := r.RunPool(context.Background(), plans, PoolOptions{Jobs: 2, Progress: prog}); res.Failed != 0 || res.Err != nil {
		t.Errorf("second pool result %+v", res)
	}
	if prog.skipped != 3 || prog.started != 0 {
		t.Errorf("second pool progress %+v", prog)
	}
	if after := commits(t, r); len(after) != len(before) {
		t.Errorf("a runner that found its runs taken recorded %q", after[len(before):])
	}
}

// deadRunner is a runner on this host whose process has ended.
func deadRunner(t *testing.T) *gitstore.Runner {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	r := &gitstore.Runner{Host: host, PID: cmd.Process.Pid}
	if r.Alive() {
		t.Skip("the pid of an ended process was reused at once")
	}
	return r
}

// running records an experiment as running under runner, as a runner's start does.
func running(t *testing.T, r *Runner, name string, runner *gitstore.Runner) *gitstore.Manifest {
	t.Helper()
	p := freshPlan(t, r, name, "true")
	m := p.Manifest
	m.Status, m.Runner, m.Started, m.Attempt = gitstore.StatusRunning, runner, gitstore.Now(), 1
	if err := r.Store.Create(context.Background(), "start", m, p.Params); err != nil {
		t.Fatal(err)
	}
	return m
}

// A run whose runner died is recorded crashed by the next reader, with the output it had spooled; a run whose
// runner saved its end (but could not record it) is recorded as it ended, not crashed; a live runner's run is
// left running.
func TestLifecycleCrashRecovery(t *testing.T) {
	r, w := testRunner(t)
	crashed := running(t, r, "crashed", deadRunner(t))
	spool := r.Store.SpoolFor(crashed.ID)
	if err := os.MkdirAll(spool.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(spool.Stdout, []byte("partial output\n"), 0o644)
	os.WriteFile(filepath.Join(spool.Out, "ckpt"), []byte("step 3\n"), 0o644)

	ended := running(t, r, "ended", deadRunner(t))
	start := time.Now().Add(-2 * time.Second)
	saveEndTo(r.Store, ended.ID, Result{ExitCode: 4, Started: start, Duration: time.Second})

	alive := running(t, r, "alive", gitstore.ThisRunner())

	exps, err := r.RecordEndsAndList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 3 {
		t.Fatalf("%d experiments listed, want 3", len(exps))
	}
	byID := map[string]*gitstore.Experiment{}
	for _, e := range exps {
		byID[e.ID] = e
	}
	if e := byID[crashed.ID]; e.Status != gitstore.StatusCrashed || e.Runner != nil ||
		!strings.Contains(e.Error, fmt.Sprintf("pid %d", crashed.Runner.PID)) || e.Ended == "" {
		t.Errorf("crashed: status %s, error %q, runner %v", e.Status, e.Error, e.Runner)
	}
	if got := storedLog(t, r, crashed.ID, "stdout.zst"); got != "partial output\n" {
		t.Errorf("the crashed run's spooled output was not stored: %q", got)
	}
	if got, _ := storedFile(t, r, crashed.ID, "artifacts/ckpt"); got != "step 3\n" {
		t.Errorf("the crashed run's artifact: %q", got)
	}
	spoolGone(t, r, crashed.ID)
	if e := byID[ended.ID]; e.Status != gitstore.StatusFailed || e.Error != "exit status 4" || e.DurationS != 1 {
		t.Errorf("saved end: status %s, error %q, duration %v", e.Status, e.Error, e.DurationS)
	}
	if e := byID[alive.ID]; e.Status != gitstore.StatusRunning {
		t.Errorf("a live runner's run became %s", e.Status)
	}
	if w.String() != "" {
		t.Errorf("warnings: %s", w)
	}
	// Reading again records nothing more.
	before := commits(t, r)
	if _, err := r.RecordEndsAndList(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := commits(t, r); len(after) != len(before) {
		t.Errorf("a second read recorded %q", after[len(before):])
	}
	// The crashed experiment can be continued, with its checkpoint restored.
	e := load(t, r, crashed.ID)
	e.Manifest.Argv = []string{"sh", "-c", `[ "$(cat "$GIT_EXP_OUT/ckpt")" = "step 3" ]`}
	code, err := r.Execute(context.Background(), &Plan{Manifest: &e.Manifest, Params: e.ParamsJSON, Mode: Continue}, Options{Snapshot: e.Git.Snapshot})
	if err != nil || code != 0 {
		t.Errorf("continuing the crashed run: %d, %v", code, err)
	}
}

// A runner process killed while its script runs (SIGKILL: no chance to record anything) leaves a run that the
// next reader records crashed, with what the script had written.
func TestLifecycleRunnerKilled(t *testing.T) {
	r, _ := testRunner(t)
	pidFile := filepath.Join(t.TempDir(), "script.pid")
	p := freshPlan(t, r, "victim", `echo $$ > `+pidFile+`; echo "before the crash"; exec sleep 300`)
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperRunner$")
	helper.Env = append(os.Environ(), "GITEXP_TEST_RUNNER="+r.Store.Root, "GITEXP_TEST_ID="+p.Manifest.ID,
		"GITEXP_TEST_ARGV="+p.Manifest.Argv[2], "GITEXP_TEST_SNAPSHOT="+p.Manifest.Git.Snapshot)
	helper.Stdout, helper.Stderr = os.Stderr, os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var script int
	for deadline := time.Now().Add(30 * time.Second); script == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			helper.Process.Kill()
			t.Fatal("the helper's script did not start")
		}
		data, _ := os.ReadFile(pidFile)
		script, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	t.Cleanup(func() { syscall.Kill(-script, syscall.SIGKILL) }) // the script's own process group
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		data, _ := os.ReadFile(r.Store.SpoolFor(p.Manifest.ID).Stdout)
		if string(data) == "before the crash\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spooled stdout %q", data)
		}
	}
	helper.Process.Kill()
	helper.Wait()
	syscall.Kill(-script, syscall.SIGKILL)

	exps, err := r.RecordEndsAndList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 1 || exps[0].Status != gitstore.StatusCrashed ||
		!strings.Contains(exps[0].Error, fmt.Sprintf("pid %d", helper.Process.Pid)) {
		t.Fatalf("after the runner was killed: %+v", exps)
	}
	if got := storedLog(t, r, p.Manifest.ID, "stdout.zst"); got != "before the crash\n" {
		t.Errorf("stored stdout %q", got)
	}
}

// TestHelperRunner is the runner process TestLifecycleRunnerKilled kills: it runs one experiment and is killed
// while the script runs.
func TestHelperRunner(t *testing.T) {
	root := os.Getenv("GITEXP_TEST_RUNNER")
	if root == "" {
		t.Skip("the runner process of TestLifecycleRunnerKilled")
	}
	st, err := gitstore.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Store: st, Warn: func(string, ...any) {}}
	m := &gitstore.Manifest{ID: os.Getenv("GITEXP_TEST_ID"), Name: "victim", Script: "sh",
		Argv: []string{"sh", "-c", os.Getenv("GITEXP_TEST_ARGV")}, Cwd: ".", Executor: string(Local), Created: gitstore.Now()}
	m.Git.Snapshot = os.Getenv("GITEXP_TEST_SNAPSHOT")
	r.Execute(context.Background(), &Plan{Manifest: m, Params: []byte("{}\n"), Dir: root, Mode: Fresh}, Options{})
	t.Fatal("the runner was not killed")
}

// Cancel records a staged experiment cancelled, signals the runner of a running one (SIGINT), and refuses an
// experiment that has ended when it is the only one given.
func TestLifecycleCancelCommand(t *testing.T) {
	r, _ := testRunner(t)
	p := freshPlan(t, r, "waiting", "true")
	p.Manifest.Batch = gitstore.NewID()
	if _, err := r.Stage(context.Background(), []*Plan{p}, nil); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "300")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill() })
	host, _ := os.Hostname()
	run := running(t, r, "busy", &gitstore.Runner{Host: host, PID: sleeper.Process.Pid})
	n, err := r.Cancel(context.Background(), []*gitstore.Experiment{load(t, r, p.Manifest.ID), load(t, r, run.ID)})
	if err != nil || n != 2 {
		t.Fatalf("Cancel: %d, %v", n, err)
	}
	if e := load(t, r, p.Manifest.ID); e.Status != gitstore.StatusCancelled || e.Error != "cancelled before it ran" {
		t.Errorf("staged: status %s, error %q", e.Status, e.Error)
	}
	err = sleeper.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Errorf("the runner was not sent SIGINT: %v", err)
	}
	_, err = r.Cancel(context.Background(), []*gitstore.Experiment{load(t, r, p.Manifest.ID)})
	var ue *UsageError
	if !errors.As(err, &ue) || err.Error() != fmt.Sprintf("experiment %s is already cancelled", p.Manifest.ID[:7]) {
		t.Errorf("cancelling an ended experiment: %v", err)
	}
}

// Cancelling a pool stops the running scripts (recorded cancelled) and starts no more: the rest stay staged.
func TestLifecyclePoolCancel(t *testing.T) {
	r, _ := testRunner(t)
	batch := gitstore.NewID()
	var plans []*Plan
	for i := range 4 {
		p := freshPlan(t, r, fmt.Sprintf("slow-%d", i), `exec sleep 300`)
		p.Manifest.Batch = batch
		plans = append(plans, p)
	}
	if _, err := r.Stage(context.Background(), plans, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	prog := &counts{}
	var once sync.Once
	res := r.RunPool(ctx, plans, PoolOptions{Jobs: 1, Progress: startHook{prog, func() {
		once.Do(func() { go func() { time.Sleep(200 * time.Millisecond); cancel() }() })
	}}})
	if res.Cancelled < 1 || res.Cancelled+res.NotStarted != 4 || res.Failed != 0 || res.Err != nil {
		t.Errorf("pool result %+v, want every plan cancelled or not started", res)
	}
	cancelled, staged := 0, 0
	for _, p := range plans {
		switch e := load(t, r, p.Manifest.ID); e.Status {
		case gitstore.StatusCancelled:
			cancelled++
		case gitstore.StatusStaged:
			staged++
		default:
			t.Errorf("%s is %s", e.Name, e.Status)
		}
	}
	if cancelled != res.Cancelled || staged != res.NotStarted {
		t.Errorf("%d cancelled and %d still staged, the pool said %+v", cancelled, staged, res)
	}
}

// startHook is a Progress that also calls hook when a run starts.
type startHook struct {
	*counts
	hook func()
}

func (s startHook) Started(m *gitstore.Manifest) { s.counts.Started(m); s.hook() }

// The file GIT_EXP_PARAMS names is the same whether the run was resolved now or staged and read back from the store
// (StagedPlans): indented JSON ending with a newline, the types as resolved.
func TestParamsFileSameWhenStaged(t *testing.T) {
	r, _ := testRunner(t)
	script := `cp "$GIT_EXP_PARAMS" "$GIT_EXP_OUT/params.json"`
	params := []byte("{\n  \"lr\": 1e-7,\n  \"model\": {\n    \"layers\": 3,\n    \"name\": \"mlp\"\n  },\n  \"scale\": 1.0\n}\n")
	fresh := freshPlan(t, r, "fresh", script)
	fresh.Params = params
	if code, err := r.Execute(context.Background(), fresh, Options{}); code != 0 || err != nil {
		t.Fatalf("fresh run: %d, %v", code, err)
	}
	staged := freshPlan(t, r, "staged", script)
	staged.Params = params
	staged.Manifest.Batch = gitstore.NewID()
	if _, err := r.Stage(context.Background(), []*Plan{staged}, []string{"git-exp", "run", "--stage"}); err != nil {
		t.Fatal(err)
	}
	exps, err := r.Store.Experiments()
	if err != nil {
		t.Fatal(err)
	}
	plans := StagedPlans(exps, "")
	if len(plans) != 1 {
		t.Fatalf("%d staged plans", len(plans))
	}
	if res := r.RunPool(context.Background(), plans, PoolOptions{Jobs: 1}); res.Failed != 0 || res.Err != nil {
		t.Fatalf("pool: %+v", res)
	}
	want, _ := storedFile(t, r, fresh.Manifest.ID, "artifacts/params.json")
	got, _ := storedFile(t, r, staged.Manifest.ID, "artifacts/params.json")
	if want != string(params) || got != want {
		t.Errorf("GIT_EXP_PARAMS of a staged run %q, of a fresh one %q, want %q", got, want, params)
	}
}
