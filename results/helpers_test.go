package results_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
)

// TestMain seals git from the developer's configuration.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "results-home-")
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

func git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		tb.Fatalf("git %v: %v\n%s", args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// newRepo is an empty repository with its own identity and one commit.
func newRepo(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	git(tb, dir, "init", "-q", "-b", "main")
	git(tb, dir, "config", "user.name", "Test User")
	git(tb, dir, "config", "user.email", "test@example.com")
	git(tb, dir, "config", "gc.auto", "0")
	os.WriteFile(filepath.Join(dir, "train.py"), []byte("print('train')\n"), 0o644)
	git(tb, dir, "add", "-A")
	git(tb, dir, "commit", "-q", "-m", "init")
	return dir
}

// run describes one experiment to record.
type run struct {
	name, script, status string
	params, results      string // JSON objects
	tags                 []string
	created              time.Time
	batch                string
	seq                  int
	stdout, stderr       string
	metrics              string            // JSONL
	artifacts            map[string]string // path -> content
}

// record writes an experiment exactly as git exp run does: Create (status running, with the snapshot commit as
// extra parent), then PrepareOutputs from a spool and Finish.
func record(tb testing.TB, st *gitstore.Store, r run) string {
	tb.Helper()
	ctx := context.Background()
	m := manifest(tb, st, r)
	if r.batch == "" {
		if err := st.Create(ctx, "start", m, []byte(r.params)); err != nil {
			tb.Fatal(err)
		}
	} else {
		b := &gitstore.Batch{ID: r.batch, Created: m.Created, Command: []string{"git", "exp", "run"}, Snapshot: m.Git.Snapshot, Runs: []string{m.ID}}
		if err := st.CreateBatch(ctx, "stage", b, []gitstore.NewRecord{{Manifest: m, Params: []byte(r.params)}}); err != nil {
			tb.Fatal(err)
		}
	}
	finish(tb, st, m.ID, r)
	return m.ID
}

func manifest(tb testing.TB, st *gitstore.Store, r run) *gitstore.Manifest {
	tb.Helper()
	snap, err := st.Snapshot(context.Background(), gitstore.DefaultMaxUntrackedSize)
	if err != nil {
		tb.Fatal(err)
	}
	if r.created.IsZero() {
		r.created = time.Now()
	}
	if r.script == "" {
		r.script = "train.py"
	}
	if r.params == "" {
		r.params = "{}"
	}
	return &gitstore.Manifest{
		ID: gitstore.NewID(), Name: r.name, Tags: r.tags, Status: gitstore.StatusRunning, Script: r.script,
		Argv: []string{"python3", "-u", r.script}, Executor: "local", Host: "test-host", User: "Test User",
		Created: gitstore.FormatTime(r.created), Started: gitstore.FormatTime(r.created), Batch: r.batch, Seq: r.seq,
		Git: snap.Info,
	}
}

func finish(tb testing.TB, st *gitstore.Store, id string, r run) {
	tb.Helper()
	spool := st.SpoolFor(id)
	write := func(path, data string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write(spool.Stdout, r.stdout)
	write(spool.Stderr, r.stderr)
	if r.metrics != "" {
		write(spool.Metrics, r.metrics)
	}
	for p, c := range r.artifacts {
		write(filepath.Join(spool.Out, filepath.FromSlash(p)), c)
	}
	var res []byte
	if r.results != "" {
		res = []byte(r.results)
	}
	prep, err := st.PrepareOutputs(gitstore.Outputs{Spool: spool, Results: res})
	if err != nil {
		tb.Fatal(err)
	}
	status := r.status
	if status == "" {
		status = gitstore.StatusCompleted
	}
	err = st.Finish(context.Background(), "finish", id, prep, func(m *gitstore.Manifest) error {
		code := 0
		if status == gitstore.StatusFailed {
			code = 1
		}
		m.Status, m.ExitCode, m.Ended, m.DurationS = status, &code, gitstore.Now(), 1.5
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	os.RemoveAll(spool.Dir)
}

// note writes an edit note as git exp tag/archive/rm do.
func note(tb testing.TB, st *gitstore.Store, id string, n gitstore.Note) {
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

func openStore(tb testing.TB, dir string) *gitstore.Store {
	tb.Helper()
	st, err := gitstore.Open(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func names(xs []*results.Experiment) string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Name)
	}
	return strings.Join(out, " ")
}
