package run

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/git-exp/git-exp/gitstore"
)

// detachEnv marks the background git-exp started by `git exp run --detach`; its value is the file descriptor on
// which it reports what it started.
const detachEnv = "GIT_EXP_DETACHED"

// detachLogEnv names the log of the background git-exp (removed at its end when empty).
const detachLogEnv = "GIT_EXP_DETACHED_LOG"

// Detached is a git-exp running in the background (StartDetached), and what it recorded first.
type Detached struct {
	Kind string // "exp" or "batch"
	ID   string
	PID  int
}

// DetachError is a background git-exp that ended before it recorded anything (a mistake in the command, for
// instance): what it said, and its exit status.
type DetachError struct {
	Output   []byte
	ExitCode int
}

func (e *DetachError) Error() string { return "the background git-exp ended without starting anything" }

// StartDetached starts argv (this git-exp's own command line without --detach; argv[0] as this process got it, for
// a multi-call binary) again as a background process in its own session, so that closing the terminal does not
// reach it, with no terminal: the scripts' output goes only to their spools, git-exp's own messages to a log under
// .git/exp/detached/. It returns once the child has recorded what it runs (see DetachedReporter).
func StartDetached(st *gitstore.Store, argv []string) (*Detached, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot start git-exp in the background: %v", err)
	}
	dir := filepath.Join(st.ExpDir(), "detached")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp(dir, "run-*.log")
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	cmd := exec.Command(exe, argv[1:]...)
	cmd.Args[0] = argv[0] // a multi-call binary (the test harness) dispatches on it
	cmd.Env = append(os.Environ(), detachEnv+"=3", detachLogEnv+"="+logFile.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, logFile, logFile
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("cannot start git-exp in the background: %v", err)
	}
	pw.Close()
	line, _ := bufio.NewReader(pr).ReadString('\n')
	kind, id, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok {
		// It ended before starting anything: what it said.
		state, _ := cmd.Process.Wait()
		logFile.Seek(0, io.SeekStart)
		data, _ := io.ReadAll(logFile)
		os.Remove(logFile.Name())
		e := &DetachError{Output: data}
		if state != nil {
			e.ExitCode = state.ExitCode()
		}
		return nil, e
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	return &Detached{Kind: kind, ID: id, PID: pid}, nil
}

// DetachedReporter tells the process that started this one in the background what it started (once), then lets
// it go. It is nil in a process that was not detached, and a nil one does nothing.
type DetachedReporter struct {
	once sync.Once
	f    *os.File
	log  string // its own log, removed at the end when empty
}

// NewDetachedReporter returns the reporter of the background process of run --detach, nil in any other process.
// The variables that mark it are taken out of the environment: they are not for the scripts (nor a git exp they run).
func NewDetachedReporter() *DetachedReporter {
	if os.Getenv(detachEnv) != "3" {
		return nil
	}
	d := &DetachedReporter{f: os.NewFile(3, "detach"), log: os.Getenv(detachLogEnv)}
	os.Unsetenv(detachEnv)
	os.Unsetenv(detachLogEnv)
	return d
}

// Report tells the starter what was recorded ("exp" or "batch", and its id); only the first report counts.
func (d *DetachedReporter) Report(kind, id string) {
	if d == nil {
		return
	}
	d.once.Do(func() {
		fmt.Fprintf(d.f, "%s %s\n", kind, id)
		d.f.Close()
	})
}

// RemoveEmptyLog deletes the background process's log at its end (after its last message) when it said nothing.
func (d *DetachedReporter) RemoveEmptyLog() {
	if d == nil {
		return
	}
	if st, err := os.Stat(d.log); d.log != "" && err == nil && st.Size() == 0 {
		os.Remove(d.log)
	}
}
