// Package gitcmd is the one place where git-exp runs the git command line.
//
// Every call is traced to stderr when GIT_EXP_TRACE=1, never reads the user's terminal (GIT_TERMINAL_PROMPT=0 unless
// a call asks for it), and fails with an *Error that keeps git's own message so callers can map it to a clear line.
package gitcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Git runs git commands in one directory with an optional extra environment.
type Git struct {
	Dir string   // working directory of every call
	Env []string // extra "K=V" entries appended to os.Environ()
	// Interactive lets calls read the terminal (credential prompts for push and fetch).
	Interactive bool
}

// Error is a failed git call.
type Error struct {
	Args     []string
	ExitCode int
	Stderr   string
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if i := strings.LastIndex(msg, "\n"); i >= 0 && strings.HasPrefix(msg, "hint:") {
		msg = msg[i+1:]
	}
	msg = strings.TrimPrefix(msg, "fatal: ")
	msg = strings.TrimPrefix(msg, "error: ")
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.ExitCode)
	}
	return fmt.Sprintf("git %s: %s", firstWord(e.Args), msg)
}

func firstWord(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return strings.Join(args, " ")
}

// Calls counts git processes started, for tests and benchmarks.
var Calls atomic.Int64

var (
	trace     = os.Getenv("GIT_EXP_TRACE") == "1" || os.Getenv("GIT_EXP_TRACE") == "true"
	traceTime = os.Getenv("GIT_EXP_TRACE_TIME") == "1"
)

// Tracef prints a trace line when GIT_EXP_TRACE is set; GIT_EXP_TRACE_TIME=1 prefixes each with the wall clock
// (to line traces of concurrent writers up with each other and with GIT_TRACE's).
func Tracef(format string, args ...any) {
	if trace {
		if traceTime {
			format = time.Now().Format("15:04:05.000000") + " " + format
		}
		fmt.Fprintf(os.Stderr, "trace: "+format+"\n", args...)
	}
}

// Command prepares a git command with the package's environment rules.
func (g *Git) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = g.Dir
	env := append(os.Environ(), g.Env...)
	if !g.Interactive {
		env = append(env, "GIT_TERMINAL_PROMPT=0")
	}
	cmd.Env = env
	// Its own process group: a Ctrl-C on the terminal goes to the whole foreground group, and git-exp must still
	// be able to record the cancelled experiment with its git processes alive. Interactive calls (credential
	// prompts) stay in the foreground group so they can read the terminal.
	if !g.Interactive {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	return cmd
}

// Run runs git with args and returns its stdout.
func (g *Git) Run(ctx context.Context, args ...string) ([]byte, error) {
	return g.RunWith(ctx, nil, nil, args...)
}

// RunWith runs git with stdin and extra environment entries.
func (g *Git) RunWith(ctx context.Context, stdin io.Reader, env []string, args ...string) ([]byte, error) {
	cmd := g.Command(ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err := run(cmd, args)
	if err != nil {
		return out.Bytes(), wrap(err, args, errb.String())
	}
	return out.Bytes(), nil
}

func run(cmd *exec.Cmd, args []string) error {
	Calls.Add(1)
	start := time.Now()
	err := cmd.Run()
	Tracef("git %s (%s)", strings.Join(args, " "), time.Since(start).Round(time.Microsecond))
	return err
}

func wrap(err error, args []string, stderr string) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &Error{Args: args, ExitCode: ee.ExitCode(), Stderr: stderr}
	}
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("git is not installed or not on PATH: install git and try again")
	}
	return fmt.Errorf("git %s: %w", firstWord(args), err)
}

// Start marks a command started by a caller that manages it itself (for tracing and counting).
func Start(cmd *exec.Cmd) error {
	Calls.Add(1)
	Tracef("git %s (started)", strings.Join(cmd.Args[1:], " "))
	return cmd.Start()
}

// IsExit reports whether err is a git failure with the given exit code.
func IsExit(err error, code int) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.ExitCode == code
}

// StderrContains reports whether err is a git failure whose message contains s.
func StderrContains(err error, s string) bool {
	var ge *Error
	return errors.As(err, &ge) && strings.Contains(ge.Stderr, s)
}
