package exp

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Environment variables of the run protocol (DESIGN.md §4).
const (
	EnvID      = "GIT_EXP_ID"
	EnvName    = "GIT_EXP_NAME"
	EnvOut     = "GIT_EXP_OUT"
	EnvParams  = "GIT_EXP_PARAMS"
	EnvMetrics = "GIT_EXP_METRICS"
	EnvResults = "GIT_EXP_RESULTS"
	EnvRepo    = "GIT_EXP_REPO"
	EnvAttempt = "GIT_EXP_ATTEMPT"
	EnvParent  = "GIT_EXP_PARENT"
)

// Bare-mode locations, relative to the working directory.
const (
	BareDir         = "exp-out"
	bareMetricsFile = "metrics.jsonl"
	bareResultsFile = "results.json"
	bareArtifacts   = "artifacts"
)

// FlushInterval bounds how long a logged metric point may sit in the
// in-memory buffer before it is written to the metrics file.
const FlushInterval = time.Second

const bareNotice = "exp: not running under git exp; writing metrics to " + BareDir +
	"/ (run with 'git exp run' to track this run)\n"

// A Client is one experiment run as seen from inside the program: its
// params, metrics, results, artifacts and checkpoints. Create one with New;
// most programs use the package-level functions, which use Default. A Client
// is safe for concurrent use.
type Client struct {
	// Fixed by New.
	tracked                  bool
	id, name, repo, parent   string
	attempt                  int
	cwd                      string
	outDir                   string
	paramsPath               string // "" when tracked without params
	metricsPath, resultsPath string
	environ                  []string
	missing                  []string // protocol variables absent while tracked
	stderr                   io.Writer
	flushInterval            time.Duration

	mu            sync.Mutex // guards everything below
	started       bool
	params        map[string]any
	paramsErr     error
	paramsLoaded  bool
	outMade       bool
	restored      map[string]bool // checkpoints reported as restored
	results       map[string]any
	resultsLoaded bool
	metrics       metricsWriter
}

// A ClientOption configures New.
type ClientOption func(*Client)

// WithEnviron makes the Client read the run protocol from environ (in the
// form of os.Environ) instead of the process environment.
func WithEnviron(environ []string) ClientOption {
	return func(c *Client) { c.environ = append([]string(nil), environ...) }
}

// WithStderr sends the Client's messages (the bare-mode notice, checkpoint
// restores, retries) to w instead of os.Stderr.
func WithStderr(w io.Writer) ClientOption {
	return func(c *Client) { c.stderr = w }
}

// New returns a Client for the run described by the environment (see the
// package documentation). Paths are resolved against the current working
// directory now; nothing is read or written until first used.
func New(opts ...ClientOption) *Client {
	c := &Client{stderr: os.Stderr, flushInterval: FlushInterval}
	for _, o := range opts {
		o(c)
	}
	if c.environ == nil {
		c.environ = os.Environ()
	}
	get := func(k string) string { return lookupEnv(c.environ, k) }
	c.cwd, _ = os.Getwd()
	if c.cwd == "" {
		c.cwd = "."
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(c.cwd, p)
	}
	c.id = get(EnvID)
	c.tracked = c.id != ""
	c.name = get(EnvName)
	c.repo = get(EnvRepo)
	c.parent = get(EnvParent)
	c.attempt = 1
	if n, err := strconv.Atoi(get(EnvAttempt)); err == nil && n > 0 {
		c.attempt = n
	}
	bare := filepath.Join(c.cwd, BareDir)
	if !c.tracked {
		c.outDir = filepath.Join(bare, bareArtifacts)
		c.metricsPath = filepath.Join(bare, bareMetricsFile)
		c.resultsPath = filepath.Join(bare, bareResultsFile)
		if c.name == "" {
			c.name = strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
		}
		return c
	}
	pick := func(env, fallback string) string {
		if v := get(env); v != "" {
			return abs(v)
		}
		c.missing = append(c.missing, env)
		return fallback
	}
	c.outDir = pick(EnvOut, filepath.Join(bare, bareArtifacts))
	c.metricsPath = pick(EnvMetrics, filepath.Join(bare, bareMetricsFile))
	c.resultsPath = pick(EnvResults, filepath.Join(bare, bareResultsFile))
	c.paramsPath = abs(get(EnvParams)) // absent means no params
	return c
}

func lookupEnv(environ []string, key string) string {
	// The last entry wins, as with os.Getenv after repeated Setenv.
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

var (
	defaultOnce   sync.Once
	defaultClient *Client
)

// Default returns the Client used by the package-level functions, creating it
// with New on first use.
func Default() *Client {
	defaultOnce.Do(func() { defaultClient = New() })
	return defaultClient
}

// start runs once, on the first use of anything that depends on the mode. In
// bare mode it prints the notice and clears what a previous bare run left;
// when tracked it warns about protocol variables that are missing. c.mu held.
func (c *Client) start() {
	if c.started {
		return
	}
	c.started = true
	if !c.tracked {
		io.WriteString(c.stderr, bareNotice)
		os.Remove(c.metricsPath)
		os.Remove(c.resultsPath)
		os.RemoveAll(filepath.Join(c.outDir, checkpointDir))
		return
	}
	for _, env := range c.missing {
		fmt.Fprintf(c.stderr, "exp: %s is not set although %s is; writing to %s/ instead\n", env, EnvID, BareDir)
	}
}

func (c *Client) warnf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "exp: "+format+"\n", args...)
}

// Tracked reports whether the program runs under `git exp run` (GIT_EXP_ID is
// set) rather than in bare mode.
func (c *Client) Tracked() bool { return c.tracked }

// ID returns the experiment's ID (16 hex digits), or "" in bare mode.
func (c *Client) ID() string { return c.id }

// Name returns the experiment's name. In bare mode it is GIT_EXP_NAME if set,
// else the program's base name.
func (c *Client) Name() string { return c.name }

// Attempt returns 1 for a first run, and 2, 3, ... each time the experiment is
// continued (GIT_EXP_ATTEMPT).
func (c *Client) Attempt() int { return c.attempt }

// Parent returns the ID of the experiment this one reruns or continues, or "".
func (c *Client) Parent() string { return c.parent }

// Repo returns the root of the repository the experiment belongs to
// (GIT_EXP_REPO), or "" in bare mode.
func (c *Client) Repo() string { return c.repo }

// Out returns the artifact directory, creating it if needed: every file the
// program writes below it is stored with the experiment. When an experiment
// is continued, the previous attempt's Out() is restored first. In bare mode
// it is ./exp-out/artifacts.
func (c *Client) Out() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start()
	if !c.outMade {
		if err := os.MkdirAll(c.outDir, 0o755); err != nil {
			c.warnf("%v", err)
		} else {
			c.outMade = true
		}
	}
	return c.outDir
}

// Close flushes buffered metrics and closes the metrics file. Call it before
// the program ends — `defer exp.Close()` first thing in main — or the last
// second of metrics may be lost (deferred calls do not run after os.Exit or
// log.Fatal). Logging after Close reopens the file; Close may be called more
// than once.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metrics.close()
}

// Flush writes buffered metrics to the metrics file without closing it.
func (c *Client) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metrics.flush()
}

// Package-level functions: the Default client.

// Tracked reports whether the program runs under `git exp run`.
func Tracked() bool { return Default().Tracked() }

// ID returns the experiment's ID, or "" in bare mode.
func ID() string { return Default().ID() }

// Name returns the experiment's name.
func Name() string { return Default().Name() }

// Attempt returns 1 for a first run, 2, 3, ... when continued.
func Attempt() int { return Default().Attempt() }

// Parent returns the ID of the experiment this one reruns or continues, or "".
func Parent() string { return Default().Parent() }

// Repo returns the repository root, or "" in bare mode.
func Repo() string { return Default().Repo() }

// Out returns the artifact directory, creating it if needed.
func Out() string { return Default().Out() }

// Close flushes and closes the metrics file; `defer exp.Close()` in main.
func Close() error { return Default().Close() }

// Flush writes buffered metrics to the metrics file.
func Flush() error { return Default().Flush() }
