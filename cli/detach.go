package cli

import (
	"bufio"
	"context"
	"errors"
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

// detach runs this same command again as a background process in its own session (so closing the terminal does not
// reach it), with no terminal: the scripts' output goes only to their spools, git-exp's own messages to a log under
// .git/exp/detached/. It returns once the child has recorded what it runs, and prints how to follow it.
func (c *RunCmd) detach(ctx context.Context, env *Env, st *gitstore.Store) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot start git-exp in the background: %v", err)
	}
	dir := filepath.Join(st.ExpDir(), "detached")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logFile, err := os.CreateTemp(dir, "run-*.log")
	if err != nil {
		return err
	}
	defer logFile.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	args := []string{}
	for i, a := range os.Args[1:] {
		if a == "--" {
			args = append(args, os.Args[1+i:]...)
			break
		}
		if a != "--detach" {
			args = append(args, a)
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = os.Args[0] // a multi-call binary (the test harness) dispatches on it
	cmd.Env = append(os.Environ(), detachEnv+"=3", detachLogEnv+"="+logFile.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, logFile, logFile
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fmt.Errorf("cannot start git-exp in the background: %v", err)
	}
	pw.Close()
	line, _ := bufio.NewReader(pr).ReadString('\n')
	kind, id, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok {
		// It ended before starting anything (a mistake in the command, for instance): say what it said.
		state, _ := cmd.Process.Wait()
		logFile.Seek(0, io.SeekStart)
		data, _ := io.ReadAll(logFile)
		os.Remove(logFile.Name())
		env.IO.Err.Write(data)
		if state != nil && state.ExitCode() > 0 {
			return &exitError{state.ExitCode()}
		}
		return errors.New("the background git-exp ended without starting anything")
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	fmt.Fprintln(env.IO.Out, id)
	switch kind {
	case "batch":
		fmt.Fprintf(env.IO.Err, "running batch %s in the background (pid %d); follow it with: git exp list --batch %s\n", id[:7], pid, id[:7])
	default:
		fmt.Fprintf(env.IO.Err, "running %s in the background (pid %d); follow it with: git exp logs -f %s\n", id[:7], pid, id[:7])
	}
	return nil
}

// detachedReporter tells the process that started this one in the background what it started (once), then lets
// it go. It does nothing in a process that was not detached.
type detachedReporter struct {
	once sync.Once
	f    *os.File
	log  string // its own log, removed at the end when empty
}

func newDetachedReporter() *detachedReporter {
	if os.Getenv(detachEnv) != "3" {
		return nil
	}
	d := &detachedReporter{f: os.NewFile(3, "detach"), log: os.Getenv(detachLogEnv)}
	os.Unsetenv(detachEnv) // not for the scripts (nor for a git exp they run)
	os.Unsetenv(detachLogEnv)
	return d
}

func (d *detachedReporter) report(kind, id string) {
	if d == nil {
		return
	}
	d.once.Do(func() {
		fmt.Fprintf(d.f, "%s %s\n", kind, id)
		d.f.Close()
	})
}

// removeEmptyLog deletes the background process's log at its end (after its last message) when it said nothing.
func (d *detachedReporter) removeEmptyLog() {
	if st, err := os.Stat(d.log); d.log != "" && err == nil && st.Size() == 0 {
		os.Remove(d.log)
	}
}
