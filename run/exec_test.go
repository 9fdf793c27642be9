package run

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a terminal stand-in that the tee goroutines may write while the test reads.
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

func spec(t *testing.T, script string) Spec {
	t.Helper()
	dir := t.TempDir()
	return Spec{
		Argv: []string{"sh", "-c", script}, Dir: dir, Env: os.Environ(),
		StdoutPath: filepath.Join(dir, "stdout"), StderrPath: filepath.Join(dir, "stderr"),
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The script's stdout and stderr go, each on its own, both to the terminal (live) and to the capture (the spool
// files), byte for byte, and a live writer that fails does not cost the capture anything.
func TestExecTee(t *testing.T) {
	s := spec(t, `for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done; printf 'no newline'`)
	var live, liveErr syncBuffer
	s.Live, s.LiveErr = &live, &liveErr
	res := Exec(context.Background(), s)
	if res.ExitCode != 0 || res.StartErr != nil || res.Cancelled {
		t.Fatalf("result %+v", res)
	}
	wantOut, wantErr := "out 1\nout 2\nout 3\nno newline", "err 1\nerr 2\nerr 3\n"
	if got := read(t, s.StdoutPath); got != wantOut {
		t.Errorf("captured stdout %q, want %q", got, wantOut)
	}
	if got := read(t, s.StderrPath); got != wantErr {
		t.Errorf("captured stderr %q, want %q", got, wantErr)
	}
	if live.String() != wantOut || liveErr.String() != wantErr {
		t.Errorf("live stdout %q, stderr %q; want %q, %q", live.String(), liveErr.String(), wantOut, wantErr)
	}

	// Quiet: nothing live, everything captured. A terminal that goes away: the capture keeps everything.
	s = spec(t, `echo a; echo b >&2`)
	s.LiveErr = failingWriter{}
	if res := Exec(context.Background(), s); res.ExitCode != 0 {
		t.Fatalf("result %+v", res)
	}
	if read(t, s.StdoutPath) != "a\n" || read(t, s.StderrPath) != "b\n" {
		t.Errorf("captured %q, %q", read(t, s.StdoutPath), read(t, s.StderrPath))
	}
}

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, os.ErrClosed }

// Exit status, a signal, and a command that cannot start are told apart.
func TestExecEnds(t *testing.T) {
	s := spec(t, `exit 3`)
	if res := Exec(context.Background(), s); res.ExitCode != 3 || res.Signal != "" || res.Cancelled {
		t.Errorf("exit 3: %+v", res)
	}
	s = spec(t, `kill -TERM $$`)
	if res := Exec(context.Background(), s); res.ExitCode != 128+15 || res.Signal != "terminated" {
		t.Errorf("killed: %+v", res)
	}
	s = spec(t, "")
	s.Argv = []string{"git-exp-no-such-command"}
	res := Exec(context.Background(), s)
	if res.ExitCode != 127 || res.StartErr == nil || !strings.Contains(res.StartErr.Error(), "command not found") {
		t.Errorf("missing command: %+v", res)
	}
	if got := read(t, s.StderrPath); !strings.Contains(got, "cannot start git-exp-no-such-command") {
		t.Errorf("the capture does not say why it did not start: %q", got)
	}
}

// Cancelling stops the script's whole process group: SIGINT first, then SIGKILL after the grace period, so a
// grandchild that ignores SIGINT (a background job of sh does) is gone too, and Exec returns even though that
// grandchild held the live output open.
func TestExecCancelKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild")
	s := spec(t, `sleep 300 & echo $! > `+pidFile+`; echo started; wait`)
	var live syncBuffer
	s.Live = &live
	s.Grace = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- Exec(ctx, s) }()
	var grandchild int
	for deadline := time.Now().Add(10 * time.Second); grandchild == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the script did not start its grandchild")
		}
		data, _ := os.ReadFile(pidFile)
		grandchild, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	t.Cleanup(func() { syscall.Kill(grandchild, syscall.SIGKILL) })
	if !alive(grandchild) {
		t.Fatalf("grandchild %d is not running before the cancel", grandchild)
	}
	cancel()
	var res Result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Exec did not return after the cancel")
	}
	if !res.Cancelled || res.ExitCode != 130 && res.Signal == "" {
		t.Errorf("result %+v, want cancelled", res)
	}
	for deadline := time.Now().Add(5 * time.Second); alive(grandchild); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d outlived the cancel", grandchild)
		}
	}
	if !strings.Contains(live.String(), "started") {
		t.Errorf("live output %q", live.String())
	}
}

// A context cancelled before the start runs nothing.
func TestExecCancelledBeforeStart(t *testing.T) {
	s := spec(t, `touch ran`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := Exec(ctx, s); !res.Cancelled || res.ExitCode != 130 {
		t.Errorf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "ran")); err == nil {
		t.Error("the script ran after the cancel")
	}
}

// alive reports whether pid runs (a zombie waiting for a reaper does not).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}
