package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Resources are what a job asks the scheduler for.
type Resources struct {
	Partition string
	Time      string // Slurm time format: minutes, MM:SS, HH:MM:SS, D-HH
	CPUs      int
	Mem       string
	Gres      string
	Extra     []string // further sbatch arguments, passed as given
}

// JobState is a scheduler's view of one job.
type JobState struct {
	State    string // Slurm's state: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, ...
	Reason   string
	ExitCode int
	Done     bool // the job has ended
	Known    bool // the scheduler still knows the job
}

// Status maps a Slurm job state to an experiment status and the reason to record.
func (j JobState) Status() (status, reason string) {
	switch j.State {
	case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED", "STOPPED":
		return "queued", ""
	case "RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "RESIZING":
		return "running", ""
	case "COMPLETED":
		return "completed", ""
	case "CANCELLED":
		return "cancelled", "CANCELLED"
	case "NODE_FAIL", "BOOT_FAIL":
		return "crashed", j.State
	case "":
		return "", ""
	}
	return "failed", j.State // FAILED, TIMEOUT, OUT_OF_MEMORY, DEADLINE, PREEMPTED, ...
}

// SlurmCluster submits and watches jobs with sbatch, squeue, scontrol and scancel (never `sbatch --wait`).
type SlurmCluster struct {
	Resources
}

// SlurmError is a failure of a Slurm command, with its message.
type SlurmError struct {
	Cmd string
	Msg string
}

func (e *SlurmError) Error() string { return e.Cmd + ": " + e.Msg }

func slurmCmd(ctx context.Context, name string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, &SlurmError{name, fmt.Sprintf("%s not found: --executor slurm needs Slurm's commands on PATH (is Slurm installed?)", name)}
	}
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		msg = strings.TrimPrefix(msg, "sbatch: error: ")
		if strings.Contains(msg, "Unable to contact slurm controller") || strings.Contains(msg, "Connection refused") {
			msg = "the Slurm controller does not answer (" + msg + "): is slurmctld running?"
		}
		return out.Bytes(), &SlurmError{name, msg}
	}
	return out.Bytes(), nil
}

// shellQuote quotes argv for the sh -c of sbatch --wrap.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func (s *SlurmCluster) args(name, dir, output string, testOnly bool) []string {
	a := []string{"--parsable", "--job-name=" + name, "--chdir=" + dir, "--output=" + output, "--open-mode=append"}
	if testOnly {
		a = append(a, "--test-only")
	}
	if s.Partition != "" {
		a = append(a, "--partition="+s.Partition)
	}
	if s.Time != "" {
		a = append(a, "--time="+s.Time)
	}
	if s.CPUs > 0 {
		a = append(a, "--cpus-per-task="+strconv.Itoa(s.CPUs))
	}
	if s.Mem != "" {
		a = append(a, "--mem="+s.Mem)
	}
	if s.Gres != "" {
		a = append(a, "--gres="+s.Gres)
	}
	return append(a, s.Extra...)
}

// Check asks the controller whether a job with these resources would be accepted, submitting nothing.
func (s *SlurmCluster) Check(ctx context.Context, dir string) error {
	_, err := slurmCmd(ctx, "sbatch", append(s.args("git-exp-check", dir, "/dev/null", true), "--wrap=true")...)
	if err != nil {
		var se *SlurmError
		if errors.As(err, &se) && strings.Contains(se.Msg, "to start at") {
			return nil // some versions report the estimate on stderr
		}
	}
	return err
}

// Submit submits argv as one job and returns its job id.
func (s *SlurmCluster) Submit(ctx context.Context, name, dir, output string, argv []string) (string, error) {
	out, err := slurmCmd(ctx, "sbatch", append(s.args(name, dir, output, false), "--wrap="+shellQuote(argv))...)
	if err != nil {
		return "", err
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.Atoi(id); err != nil {
		return "", &SlurmError{"sbatch", fmt.Sprintf("unexpected answer %q", out)}
	}
	return id, nil
}

// Cancel cancels jobs.
func (s *SlurmCluster) Cancel(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := slurmCmd(ctx, "scancel", ids...)
	return err
}

// Poll returns the state of each job: squeue for live jobs, scontrol for those that ended.
func (s *SlurmCluster) Poll(ctx context.Context, ids []string) (map[string]JobState, error) {
	states := map[string]JobState{}
	if len(ids) == 0 {
		return states, nil
	}
	out, err := slurmCmd(ctx, "squeue", "-h", "-o", "%i|%T|%r", "-j", strings.Join(ids, ","))
	if err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.SplitN(line, "|", 3)
			if len(f) == 3 {
				states[f[0]] = JobState{State: f[1], Reason: f[2], Known: true}
			}
		}
	} else {
		var se *SlurmError
		if errors.As(err, &se) && strings.Contains(se.Msg, "controller") {
			return nil, err
		}
	}
	for _, id := range ids {
		if st, ok := states[id]; ok && st.State != "COMPLETED" && st.State != "FAILED" && st.State != "CANCELLED" && st.State != "TIMEOUT" {
			continue
		}
		js, err := s.show(ctx, id)
		if err != nil {
			return nil, err
		}
		states[id] = js
	}
	return states, nil
}

// show reads one job with scontrol; a job the controller forgot is Done and not Known.
func (s *SlurmCluster) show(ctx context.Context, id string) (JobState, error) {
	out, err := slurmCmd(ctx, "scontrol", "show", "job", "-o", id)
	if err != nil {
		var se *SlurmError
		if errors.As(err, &se) && strings.Contains(se.Msg, "Invalid job id") {
			return JobState{Done: true}, nil
		}
		return JobState{}, err
	}
	js := JobState{Known: true}
	for _, f := range strings.Fields(string(out)) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "JobState":
			js.State = v
		case "Reason":
			if v != "None" {
				js.Reason = v
			}
		case "ExitCode":
			code, sig, _ := strings.Cut(v, ":")
			js.ExitCode, _ = strconv.Atoi(code)
			if n, _ := strconv.Atoi(sig); n > 0 && js.ExitCode == 0 {
				js.ExitCode = 128 + n // killed by a signal, as a shell reports it
			}
		}
	}
	status, _ := js.Status()
	js.Done = status != "queued" && status != "running"
	return js, nil
}
