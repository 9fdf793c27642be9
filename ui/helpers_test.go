package ui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// TestMain seals git from the developer's configuration.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "ui-home-")
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
	name, status    string
	params, results string // JSON objects
	tags            []string
	batch           string
	stdout          string
	metrics         string            // JSONL
	artifacts       map[string]string // path -> content
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

// start records an experiment as running (by this process), as git exp run does first.
func start(tb testing.TB, st *gitstore.Store, r run) *gitstore.Manifest {
	tb.Helper()
	ctx := context.Background()
	snap, err := st.Snapshot(ctx, gitstore.DefaultMaxUntrackedSize)
	if err != nil {
		tb.Fatal(err)
	}
	if r.params == "" {
		r.params = "{}"
	}
	now := gitstore.Now()
	m := &gitstore.Manifest{
		ID: gitstore.NewID(), Name: r.name, Tags: r.tags, Status: gitstore.StatusRunning, Script: "train.py",
		Argv: []string{"python3", "-u", "train.py"}, Executor: "local", Host: "test-host", User: "Test User",
		Created: now, Started: now, Batch: r.batch, Git: snap.Info, Runner: gitstore.ThisRunner(),
	}
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
	spool := st.SpoolFor(m.ID)
	write(tb, spool.Stdout, r.stdout)
	write(tb, spool.Stderr, "")
	if r.metrics != "" {
		write(tb, spool.Metrics, r.metrics)
	}
	for p, c := range r.artifacts {
		write(tb, filepath.Join(spool.Out, filepath.FromSlash(p)), c)
	}
	return m
}

func write(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// finish stores the spooled outputs and ends the experiment, as git exp run does.
func finish(tb testing.TB, st *gitstore.Store, id string, r run) {
	tb.Helper()
	spool := st.SpoolFor(id)
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
		m.Status, m.ExitCode, m.Ended, m.DurationS, m.Runner = status, &code, gitstore.Now(), 1.5, nil
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	os.RemoveAll(spool.Dir)
}

// record writes a finished experiment.
func record(tb testing.TB, st *gitstore.Store, r run) string {
	tb.Helper()
	m := start(tb, st, r)
	finish(tb, st, m.ID, r)
	return m.ID
}

// testServer serves dir on a test server; the client carries the token as a cookie already.
type testServer struct {
	*Server
	ts  *httptest.Server
	url string
}

func newTestServer(tb testing.TB, dir string, opts Options) *testServer {
	tb.Helper()
	opts.Dir = dir
	if opts.Poll == 0 {
		opts.Poll = 50 * time.Millisecond
	}
	s, err := New(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	s.port = ts.URL[strings.LastIndex(ts.URL, ":")+1:]
	tb.Cleanup(func() {
		s.hub.stop()
		ts.Close()
		s.Close()
	})
	return &testServer{Server: s, ts: ts, url: ts.URL}
}

// do sends a request with the token (as a bearer header) and returns the status and body.
func (t *testServer) do(tb testing.TB, method, path string, body string, hdr ...string) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, t.url+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+t.Token())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// getJSON GETs path and decodes a 200 answer.
func (t *testServer) getJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	code, b := t.do(tb, "GET", path, "")
	if code != 200 {
		tb.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("GET %s: %v\n%s", path, err, b)
	}
}

// wantError checks a 4xx answer with a one-line JSON error.
func (t *testServer) wantError(tb testing.TB, code int, method, path, body string, hdr ...string) map[string]any {
	tb.Helper()
	got, b := t.do(tb, method, path, body, hdr...)
	if got != code {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, got, code, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("%s %s: not JSON: %s", method, path, b)
	}
	msg, _ := m["error"].(string)
	if msg == "" || strings.Contains(msg, "\n") {
		tb.Fatalf("%s %s: want a one-line error, got %q", method, path, msg)
	}
	return m
}
