package gitstore

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Ref is the branch that holds every experiment.
const Ref = "refs/experiments/main"

// FormatVersion is the storage format written by this version (DESIGN.md §3).
const FormatVersion = 1

// Statuses of an experiment.
const (
	StatusStaged    = "staged"
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
	StatusCrashed   = "crashed"
)

// Finished reports whether a status is final.
func Finished(status string) bool {
	switch status {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusCrashed:
		return true
	}
	return false
}

// GitInfo is the state of the user's repository when the experiment was recorded.
type GitInfo struct {
	Head     string   `json:"head"`
	Branch   string   `json:"branch"`
	Dirty    bool     `json:"dirty"`
	Remote   string   `json:"remote"`
	Snapshot string   `json:"snapshot"`
	Skipped  []string `json:"skipped"`
	// Submodules are recorded as gitlinks at their checked-out commit; uncommitted changes inside them are not in
	// the snapshot, so each says whether it had any.
	Submodules []Submodule `json:"submodules,omitempty"`
}

// Submodule is the state of one submodule when the experiment ran.
type Submodule struct {
	Path   string `json:"path"`
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
}

// Runner identifies the process running an experiment, so a dead runner can be detected (status crashed).
type Runner struct {
	Host  string `json:"host"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // process start time in clock ticks since boot (Linux), 0 if unknown
	Boot  string `json:"boot,omitempty"`
}

// Manifest is experiment.json.
type Manifest struct {
	Format      int               `json:"format"`
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Tags        []string          `json:"tags"`
	Status      string            `json:"status"`
	Script      string            `json:"script"`
	Argv        []string          `json:"argv"`
	Cwd         string            `json:"cwd,omitempty"` // working directory relative to the repository root
	Executor    string            `json:"executor"`
	Host        string            `json:"host"`
	User        string            `json:"user"`
	Email       string            `json:"email,omitempty"`
	Created     string            `json:"created"`
	Started     string            `json:"started"`
	Ended       string            `json:"ended"`
	Updated     string            `json:"updated"`
	DurationS   float64           `json:"duration_s"`
	ExitCode    *int              `json:"exit_code"`
	Error       string            `json:"error"`
	Batch       string            `json:"batch"`
	Parent      string            `json:"parent"`
	Attempt     int               `json:"attempt,omitempty"`
	Seq         int               `json:"seq,omitempty"` // position in its batch, for running staged work in order
	Git         GitInfo           `json:"git"`
	Runner      *Runner           `json:"runner,omitempty"`
	Sources     []ParamSource     `json:"param_sources,omitempty"`
	Extra       map[string]string `json:"extra,omitempty"` // executor specifics (e.g. slurm_job_id)
}

// ParamSource records where parameters came from (config file, environment, --param).
type ParamSource struct {
	Kind string   `json:"kind"`
	Path string   `json:"path,omitempty"`
	Keys []string `json:"keys,omitempty"`
}

// NewID returns a new experiment id: 64 random bits as 16 lowercase hex digits.
func NewID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// Now is the time format of every stored timestamp.
func Now() string { return FormatTime(time.Now()) }

// FormatTime formats t as RFC3339 UTC with milliseconds (sortable as a string).
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// ParseTime parses a stored timestamp.
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// ExpPath is the directory of an experiment in the store's tree.
func ExpPath(id string) string { return id[:2] + "/" + id }

// ValidID reports whether s is a full experiment id.
func ValidID(s string) bool { return len(s) == 16 && isLowerHex(s) }

// isLowerHex reports whether s is made of lower-case hexadecimal digits only (how git spells object ids).
func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
