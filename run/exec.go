package run

import (
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
	"time"
)

// Command returns the argv that runs script (a path relative to dir or absolute) with args, choosing the
// interpreter by extension: .py -> python3 -u (a .venv/bin/python in the repository wins), .go -> go run,
// .sh -> bash, an executable file -> itself.
func Command(dir, repoRoot, script string, args []string) ([]string, error) {
	path := script
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, script)
	}
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &UsageError{fmt.Sprintf("script %s not found (to run a command, put it after --: git exp run -- CMD ARGS)", script)}
		}
		return nil, err
	}
	if st.IsDir() {
		return nil, &UsageError{fmt.Sprintf("%s is a directory, not a script (to run a command, put it after --: git exp run -- CMD ARGS)", script)}
	}
	// Scripts are given as written (relative to the working directory), so the recorded argv is portable.
	arg0 := script
	if !filepath.IsAbs(arg0) && !strings.HasPrefix(arg0, "./") && !strings.HasPrefix(arg0, "../") {
		arg0 = "./" + arg0
	}
	switch strings.ToLower(filepath.Ext(script)) {
	case ".py":
		py := "python3"
		if repoRoot != "" {
			if venv := filepath.Join(repoRoot, ".venv", "bin", "python"); isExecutable(venv) {
				py = venv
			}
		}
		return append([]string{py, "-u", script}, args...), nil
	case ".go":
		return append([]string{"go", "run", arg0}, args...), nil
	case ".sh":
		return append([]string{"bash", script}, args...), nil
	}
	if st.Mode()&0o111 != 0 {
		return append([]string{arg0}, args...), nil
	}
	return nil, &UsageError{fmt.Sprintf("don't know how to run %s (not .py, .go, .sh or executable): give the command after --, e.g. git exp run -- ruby %s", script, script)}
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Spec describes one execution.
type Spec struct {
	Argv       []string
	Dir        string
	Env        []string  // the complete environment
	Stdin      io.Reader // nil: /dev/null
	StdoutPath string    // spool files, appended to
	StderrPath string
	Live       io.Writer // live copy of stdout (nil: quiet)
	LiveErr    io.Writer // live copy of stderr (nil: quiet)
	Grace      time.Duration
}

// Result is how a run ended.
type Result struct {
	ExitCode  int
	Cancelled bool // stopped because ctx was cancelled
	Signal    string
	Started   time.Time
	Duration  time.Duration
	StartErr  error // the command could not be started
}

// Exec runs spec and waits for it. Cancelling ctx sends SIGINT to the script's whole process group, then SIGKILL
// after Grace (default 10 s).
func Exec(ctx context.Context, spec Spec) Result {
	res := Result{Started: time.Now()}
	if len(spec.Argv) == 0 {
		res.StartErr = errors.New("empty command")
		res.ExitCode = 127
		return res
	}
	if err := ctx.Err(); err != nil {
		res.Cancelled, res.ExitCode = true, 130
		return res
	}
	outF, err := os.OpenFile(spec.StdoutPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		res.StartErr, res.ExitCode = err, 127
		return res
	}
	defer outF.Close()
	errF, err := os.OpenFile(spec.StderrPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		res.StartErr, res.ExitCode = err, 127
		return res
	}
	defer errF.Close()

	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = spec.Env
	cmd.Stdin = spec.Stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var copies sync.WaitGroup
	var closers []io.Closer
	attach := func(file *os.File, live io.Writer) (*os.File, error) {
		if live == nil {
			return file, nil // straight to the spool: no copy at all
		}
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		closers = append(closers, w)
		copies.Add(1)
		go func() {
			defer copies.Done()
			defer r.Close()
			tee(r, file, live)
		}()
		return w, nil
	}
	if cmd.Stdout, err = attach(outF, spec.Live); err == nil {
		cmd.Stderr, err = attach(errF, spec.LiveErr)
	}
	if err != nil {
		res.StartErr, res.ExitCode = err, 127
		return res
	}
	res.Started = time.Now()
	if err := cmd.Start(); err != nil {
		for _, c := range closers {
			c.Close()
		}
		copies.Wait()
		res.StartErr = err
		res.ExitCode = 127
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			res.StartErr = fmt.Errorf("%s: command not found", spec.Argv[0])
		} else if errors.Is(err, os.ErrPermission) {
			res.ExitCode = 126
		}
		fmt.Fprintf(errF, "git exp: cannot start %s: %v\n", spec.Argv[0], err)
		return res
	}
	for _, c := range closers { // the child holds its own copies
		c.Close()
	}
	pgid := cmd.Process.Pid
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		syscall.Kill(-pgid, syscall.SIGINT)
		grace := spec.Grace
		if grace == 0 {
			grace = 10 * time.Second
		}
		select {
		case <-done:
		case <-time.After(grace):
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()
	werr := cmd.Wait()
	close(done)
	<-stopped
	// Children of the script that outlived it and still hold its output open: the experiment is over, so they get
	// two seconds to finish writing, then the group is stopped rather than waited for forever.
	drained := make(chan struct{})
	go func() { copies.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(2 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-drained
	}
	res.Duration = time.Since(res.Started)
	res.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal().String()
		res.ExitCode = 128 + int(ws.Signal())
	}
	if ctx.Err() != nil {
		res.Cancelled = true
	}
	_ = werr
	return res
}

// tee copies r to the spool file and the live writer. A live writer that fails (a closed terminal) is dropped;
// the spool keeps everything.
func tee(r io.Reader, file io.Writer, live io.Writer) {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			file.Write(buf[:n])
			if live != nil {
				if _, werr := live.Write(buf[:n]); werr != nil {
					live = nil
				}
			}
		}
		if err != nil {
			return
		}
	}
}
