// Package testrepo is the shared test helpers of the packages that read experiments back (results, ui): a sealed
// environment, a real repository in a temporary directory, and experiments recorded through gitstore exactly as
// git exp run records them. Only tests import it.
package testrepo

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/thin"
)

// Main seals git from the developer's configuration (HOME in a temporary directory, no system or global config, no
// prompts), runs the tests and exits with their status. Call it from TestMain.
func Main(m *testing.M) {
	home, err := os.MkdirTemp("", "testrepo-home-")
	if err != nil {
		panic(err)
	}
	for k, v := range map[string]string{
		"HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0",
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EXP_TRACE"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

// Git runs git in dir and returns its output, trimmed; a failure fails the test with git's stderr.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		tb.Fatalf("git %v: %v\n%s", args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// New is an empty repository with its own identity and one commit (train.py).
func New(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	Git(tb, dir, "init", "-q", "-b", "main")
	Git(tb, dir, "config", "user.name", "Test User")
	Git(tb, dir, "config", "user.email", "test@example.com")
	Git(tb, dir, "config", "gc.auto", "0")
	Write(tb, filepath.Join(dir, "train.py"), "print('train')\n")
	Git(tb, dir, "add", "-A")
	Git(tb, dir, "commit", "-q", "-m", "init")
	return dir
}

// Open opens the store of dir, closed when the test ends.
func Open(tb testing.TB, dir string) *gitstore.Store {
	tb.Helper()
	st, err := gitstore.Open(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Run describes one experiment to record. Empty fields take defaults: script train.py, params {}, created now,
// status completed (at Finish), runner this process (at Start).
type Run struct {
	Name, Script, Status string
	Params, Results      string // JSON objects
	Tags                 []string
	Created              time.Time
	Batch                string // a batch id: the experiment is recorded as the one member of that batch
	Seq                  int
	Stdout, Stderr       string
	Metrics              string // JSONL
	// Thin: the end stores the chart summary of the metrics (thin.FileName) as a run's end does for a long file,
	// whatever their length.
	Thin      bool
	Artifacts map[string]string // path -> content
	Runner    *gitstore.Runner  // the process running it (default: this one)
}

// Start records an experiment as running, as git exp run does first (Create, with the snapshot commit as an extra
// parent), and writes its outputs to its spool.
func Start(tb testing.TB, st *gitstore.Store, r Run) *gitstore.Manifest {
	tb.Helper()
	ctx := context.Background()
	snap, err := st.Snapshot(ctx, gitstore.DefaultMaxUntrackedSize)
	if err != nil {
		tb.Fatal(err)
	}
	if r.Created.IsZero() {
		r.Created = time.Now()
	}
	if r.Script == "" {
		r.Script = "train.py"
	}
	if r.Params == "" {
		r.Params = "{}"
	}
	if r.Runner == nil {
		r.Runner = gitstore.ThisRunner()
	}
	m := &gitstore.Manifest{
		ID: gitstore.NewID(), Name: r.Name, Tags: r.Tags, Status: gitstore.StatusRunning, Script: r.Script,
		Argv: []string{"python3", "-u", r.Script}, Executor: "local", Host: "test-host", User: "Test User",
		Created: gitstore.FormatTime(r.Created), Started: gitstore.FormatTime(r.Created), Batch: r.Batch, Seq: r.Seq,
		Git: snap.Info, Runner: r.Runner,
	}
	if r.Batch == "" {
		if err := st.Create(ctx, "start", m, []byte(r.Params)); err != nil {
			tb.Fatal(err)
		}
	} else {
		b := &gitstore.Batch{ID: r.Batch, Created: m.Created, Command: []string{"git", "exp", "run"}, Snapshot: m.Git.Snapshot, Runs: []string{m.ID}}
		if err := st.CreateBatch(ctx, "stage", b, []gitstore.NewRecord{{Manifest: m, Params: []byte(r.Params)}}); err != nil {
			tb.Fatal(err)
		}
	}
	spool := st.SpoolFor(m.ID)
	Write(tb, spool.Stdout, r.Stdout)
	Write(tb, spool.Stderr, r.Stderr)
	if r.Metrics != "" {
		Write(tb, spool.Metrics, r.Metrics)
	}
	for p, c := range r.Artifacts {
		Write(tb, filepath.Join(spool.Out, filepath.FromSlash(p)), c)
	}
	return m
}

// Write writes data to path, creating its directories.
func Write(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Finish stores the spooled outputs (with r.Results as explicit results) and records the end with r.Status, as git
// exp run does at the end; the spool goes.
func Finish(tb testing.TB, st *gitstore.Store, id string, r Run) {
	tb.Helper()
	spool := st.SpoolFor(id)
	var res []byte
	if r.Results != "" {
		res = []byte(r.Results)
	}
	out := gitstore.Outputs{Spool: spool, Results: res}
	if r.Thin {
		out.MetricsFilesFrom = func() map[string][]byte {
			sr, err := exp.ScanMetrics(func() (io.ReadCloser, error) { return os.Open(spool.Metrics) })
			if err != nil {
				tb.Error(err)
				return nil
			}
			data, err := thin.Build(sr)
			if err != nil {
				tb.Error(err)
			}
			return map[string][]byte{thin.FileName: data}
		}
	}
	prep, err := st.PrepareOutputs(out)
	if err != nil {
		tb.Fatal(err)
	}
	status := r.Status
	if status == "" {
		status = gitstore.StatusCompleted
	}
	err = st.Finish(context.Background(), "finish", id, prep, func(m *gitstore.Manifest) error {
		code := 0
		if status == gitstore.StatusFailed {
			code = 1
		}
		m.Status, m.ExitCode, m.Ended, m.DurationS, m.Runner = status, &code, gitstore.Now(), 1.5, nil
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	os.RemoveAll(spool.Dir)
}

// Record writes a finished experiment (Start, then Finish) and returns its id.
func Record(tb testing.TB, st *gitstore.Store, r Run) string {
	tb.Helper()
	m := Start(tb, st, r)
	Finish(tb, st, m.ID, r)
	return m.ID
}

// Note writes an edit note as git exp tag/archive/rm do.
func Note(tb testing.TB, st *gitstore.Store, id string, n gitstore.Note) {
	tb.Helper()
	n.ID, n.Time = gitstore.NewID(), gitstore.Now()
	data, _ := json.Marshal(n)
	err := st.Update(context.Background(), "edit "+n.Op, func(tx *gitstore.Tx) error {
		return tx.WriteBlob(gitstore.ExpPath(id)+"/notes/"+n.ID+".json", data)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// DeadRunner is a runner process on this machine that has ended: an experiment it "runs" has crashed.
func DeadRunner(tb testing.TB) *gitstore.Runner {
	tb.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		tb.Fatal(err)
	}
	r := gitstore.ThisRunner()
	r.PID, r.Start = cmd.Process.Pid, 1 // a start time no process has: a reused pid is not it either
	return r
}

// Update writes (or replaces) one file of an experiment's directory, as a later edit or another version would.
func Update(tb testing.TB, st *gitstore.Store, id, name, content string) {
	tb.Helper()
	err := st.Update(context.Background(), "edit "+id[:7], func(tx *gitstore.Tx) error {
		return tx.WriteBlob(gitstore.ExpPath(id)+"/"+name, []byte(content))
	})
	if err != nil {
		tb.Fatal(err)
	}
}
