package exp

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the Client's timer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type trackedRun struct {
	dir, out, params, metrics, results string
	stderr                             *syncBuffer
}

// newTracked returns a Client as `git exp run` would set it up, with all
// files in a temporary directory, and params (JSON) if not empty.
func newTracked(t testing.TB, params string, extra ...string) (*Client, *trackedRun) {
	t.Helper()
	dir := t.TempDir()
	r := &trackedRun{
		dir:     dir,
		out:     filepath.Join(dir, "out"),
		params:  filepath.Join(dir, "params.json"),
		metrics: filepath.Join(dir, "metrics.jsonl"),
		results: filepath.Join(dir, "results.json"),
		stderr:  &syncBuffer{},
	}
	if params == "" {
		params = "{}"
	}
	if err := os.WriteFile(r.params, []byte(params), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append([]string{
		EnvID + "=0123456789abcdef",
		EnvName + "=test-run",
		EnvOut + "=" + r.out,
		EnvParams + "=" + r.params,
		EnvMetrics + "=" + r.metrics,
		EnvResults + "=" + r.results,
		EnvRepo + "=" + dir,
		EnvAttempt + "=1",
		EnvParent + "=",
	}, extra...)
	c := New(WithEnviron(env), WithStderr(r.stderr))
	t.Cleanup(func() { c.Close() })
	return c, r
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// resetDefault makes the next Default() create a new Client.
func resetDefault() {
	defaultOnce = sync.Once{}
	defaultClient = nil
}
