package gitstore

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ThisRunner describes the current process, for experiment.json.
func ThisRunner() *Runner {
	h, _ := os.Hostname()
	pid := os.Getpid()
	return &Runner{Host: h, PID: pid, Start: procStart(pid), Boot: bootID()}
}

// procStart reads a process's start time (clock ticks since boot) from /proc, 0 when unknown.
func procStart(pid int) uint64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may contain spaces and parentheses: fields start after the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64) // field 22 overall
	return n
}

func bootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// Alive reports whether the runner process is still running. It answers true when it cannot tell (another host).
func (r *Runner) Alive() bool {
	if r == nil || r.PID <= 0 {
		return true
	}
	if h, _ := os.Hostname(); h != r.Host {
		return true
	}
	if r.Boot != "" {
		if b := bootID(); b != "" && b != r.Boot {
			return false // the machine rebooted since
		}
	}
	err := syscall.Kill(r.PID, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if r.Start != 0 {
		if st := procStart(r.PID); st != 0 && st != r.Start {
			return false // the pid was reused
		}
	}
	return true
}
