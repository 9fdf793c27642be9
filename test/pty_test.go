package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// cmdHangup runs a command on a new pseudo-terminal, as the leader of a new session whose controlling terminal it is
// (what a terminal emulator does for its shell), waits until FILE exists, then closes the terminal as a closed
// window does: the kernel sends SIGHUP to the session leader and then to the terminal's foreground process group.
// It waits up to SECONDS for the command to end; the command's exit status is not checked (it died of SIGHUP, or
// handled it).
//
//	hangup SECONDS FILE CMD [ARGS...]
func cmdHangup(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: hangup SECONDS FILE CMD [ARGS...]")
	}
	secs, err := strconv.ParseFloat(args[0], 64)
	if err != nil {
		ts.Fatalf("hangup: bad SECONDS %q", args[0])
	}
	limit := time.Duration(secs * float64(time.Second))
	master, slave, err := openPTY()
	ts.Check(err)
	defer slave.Close()
	path, err := exec.LookPath(args[2])
	if err != nil {
		// LookPath uses this process's PATH; the script's is sealed.
		path = args[2]
		for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
			if st, err := os.Stat(filepath.Join(dir, args[2])); err == nil && !st.IsDir() {
				path = filepath.Join(dir, args[2])
				break
			}
		}
	}
	cmd := exec.Command(path, args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_TERMINAL_PROMPT",
		"TZ", "NO_COLOR", "LC_ALL", "PATH", "WORK", "TMPDIR", "GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	ts.Check(cmd.Start())
	slave.Close()
	drain := func() { // the terminal shows what it is sent
		buf := make([]byte, 4096)
		for {
			if n, err := syscall.Read(master, buf); n <= 0 || err != nil {
				return
			}
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	file := ts.MkAbs(args[1])
	deadline := time.Now().Add(limit)
	for {
		if st, err := os.Stat(file); err == nil && st.Size() > 0 {
			break
		}
		drain()
		select {
		case err := <-done:
			ts.Fatalf("hangup: %s ended before %s appeared: %v", args[2], args[1], err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			syscall.Close(master)
			ts.Fatalf("hangup: %s did not appear within %s s", args[1], args[0])
		}
	}
	ts.Check(syscall.Close(master)) // the window closes
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		ts.Fatalf("hangup: %s still running %s s after the terminal closed", args[2], args[0])
	}
}

// openPTY opens a new pseudo-terminal pair (Linux: /dev/ptmx, unlock, /dev/pts/N). The master is a raw,
// non-blocking descriptor, so that closing it hangs the terminal up at once (an *os.File being read would delay
// the close until the read returns).
func openPTY() (master int, slave *os.File, err error) {
	master, err = syscall.Open("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return -1, nil, err
	}
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		syscall.Close(master)
		return -1, nil, fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		syscall.Close(master)
		return -1, nil, fmt.Errorf("ptsname: %w", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		syscall.Close(master)
		return -1, nil, err
	}
	return master, slave, nil
}
