// Package cli is the git-exp command tree. Main is what cmd/git-exp calls; tests call it in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
)

var processStart = time.Now()

// Version is set at build time with -ldflags "-X github.com/git-exp/git-exp/cli.Version=...".
var Version = "dev"

// IO holds the streams a command uses; TTY detection decides tables, colour and progress.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	OutTTY bool
	ErrTTY bool
	Color  bool // colour on stdout: a terminal, NO_COLOR unset, TERM not dumb
	// ErrColor is the same for stderr (the progress bar).
	ErrColor bool
	Width    int
	// Program is how this process was started (os.Args[0]): a detached run starts it again, and a batch records its
	// command line as Program and the arguments. Empty in tests: "git-exp".
	Program string
}

// SystemIO returns the process's streams.
func SystemIO() *IO {
	io := &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}
	io.OutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	io.ErrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	colour := os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	io.Color = io.OutTTY && colour
	io.ErrColor = io.ErrTTY && colour
	io.Program = os.Args[0]
	io.Width = 100
	if io.OutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			io.Width = w
		}
	}
	// COLUMNS wins over the terminal's size, as in git (term_columns).
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		io.Width = n
	}
	return io
}

// Warnf prints a message on stderr.
// On a terminal its control characters are escaped, as io.Text does for stdout: messages name experiments, tags
// and paths that may come from a teammate's store.
func (io *IO) Warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if io.ErrTTY {
		msg = escapeControls(msg)
	}
	fmt.Fprintln(io.Err, msg)
}

// CLI is the command tree.
type CLI struct {
	Run        RunCmd        `cmd:"" help:"Run a script as a tracked experiment."`
	List       ListCmd       `cmd:"" aliases:"ls" help:"List experiments, newest first."`
	Show       ShowCmd       `cmd:"" help:"Show one experiment: manifest, parameters, results."`
	Logs       LogsCmd       `cmd:"" help:"Print an experiment's captured output."`
	Metrics    MetricsCmd    `cmd:"" help:"Print an experiment's metric series."`
	Artifacts  ArtifactsCmd  `cmd:"" help:"List or extract an experiment's artifacts."`
	Batches    BatchesCmd    `cmd:"" help:"List batches (sweeps and staged work) with counts by status."`
	Compare    CompareCmd    `cmd:"" help:"Compare experiments: the parameters that differ and the results."`
	Diff       DiffCmd       `cmd:"" help:"What differs between two experiments: parameters, results, code."`
	Export     ExportCmd     `cmd:"" help:"Export experiments with flattened params and results (csv, json, jsonl)."`
	Tag        TagCmd        `cmd:"" help:"Add (+TAG) and remove (-TAG) tags: git exp tag ID... +best -old."`
	Rename     RenameCmd     `cmd:"" help:"Rename an experiment."`
	Describe   DescribeCmd   `cmd:"" help:"Set an experiment's description."`
	Archive    ArchiveCmd    `cmd:"" help:"Hide experiments from listings (list --archived shows them)."`
	Unarchive  UnarchiveCmd  `cmd:"" help:"Show archived experiments again."`
	Rm         RmCmd         `cmd:"" help:"Remove experiments from every listing (recorded as a note; merges with other clones)."`
	Compact    CompactCmd    `cmd:"" help:"Drop the data of removed experiments from this repository (rewrites refs/experiments/main locally)."`
	Checkout   CheckoutCmd   `cmd:"" help:"Restore an experiment's snapshot into the worktree (HEAD and index unchanged), or --to DIR."`
	Branch     BranchCmd     `cmd:"" help:"Create a branch at an experiment's snapshot."`
	Rerun      RerunCmd      `cmd:"" help:"Run an experiment again from its snapshot, as a new experiment."`
	Continue   ContinueCmd   `cmd:"" help:"Resume a failed, cancelled or crashed experiment (or a batch) with its outputs restored."`
	Cancel     CancelCmd     `cmd:"" help:"Cancel queued, staged or running experiments (Slurm jobs with scancel)."`
	ExecJob    ExecJobCmd    `cmd:"" name:"exec-job" hidden:"" help:"Run one queued experiment (what a Slurm job runs)."`
	Params     ParamsCmd     `cmd:"" help:"Print the parameters a run here would get (config.yaml, --config, GIT_EXP_PARAM_*, --param) as JSON."`
	PythonPath PythonPathCmd `cmd:"" name:"python-path" help:"Print the directory holding git-exp's Python client (git_exp), for PYTHONPATH."`
	Push       PushCmd       `cmd:"" help:"Share experiments with a remote (fetch, merge and push again when it moved; never forced)."`
	Fetch      FetchCmd      `cmd:"" help:"Fetch a remote's experiments into refs/experiments/remotes/REMOTE/main."`
	Pull       PullCmd       `cmd:"" help:"Fetch and merge a remote's experiments (never conflicts, never drops)."`
	Remote     RemoteCmd     `cmd:"" help:"Configure a remote so plain git fetch/push carry experiments."`
	Import     ImportCmd     `cmd:"" help:"Import runs from yanex, MLflow or TensorBoard as experiments."`
	Fsck       FsckCmd       `cmd:"" help:"Check the store (every object there, manifests parse); --repair goes back to the newest complete state."`
	UI         UICmd         `cmd:"" name:"ui" help:"Serve a local web UI: runs table, run pages, metric charts, compare and sweep views."`
	Version    VersionCmd    `cmd:"" help:"Print the version, commit and Go version of git-exp."`

	// Help, completion and the hidden answer to a TAB (issue 18).
	Help       HelpCmd       `cmd:"" help:"Show the help of a command: git exp help list."`
	Completion CompletionCmd `cmd:"" help:"Print the shell completion script for bash, zsh or fish."`
	Complete   CompleteCmd   `cmd:"" name:"__complete" hidden:"" help:"Answer shell completion (used by the completion scripts)."`

	Chdir       string           `short:"C" name:"chdir" placeholder:"DIR" help:"Run as if git exp was started in DIR."`
	VersionFlag kong.VersionFlag `name:"version" help:"Print the version and exit."`
}

// exitError carries an exit status without a message (the script's own status, for instance).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a mistake in the command line or input: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

type kongExit struct{ code int }

// Main runs git-exp with args (without the program name) and returns the exit status.
// Exit statuses: 0 success; 1 an operation failed; 2 bad usage or input; 128 not in a git repository;
// 130 interrupted; for `run`, the script's own status.
//
// SIGHUP (the terminal closed) stops a command like SIGINT and SIGTERM: a run stops its script's process group,
// stores what was captured and records the experiment as cancelled (git exp run --detach outlives the terminal).
func Main(args []string, io *IO) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return MainContext(ctx, args, io)
}

// MainContext is Main with a context whose cancellation stands for Ctrl-C.
func MainContext(ctx context.Context, args []string, io *IO) (code int) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(kongExit); ok {
				code = e.code
				return
			}
			panic(r)
		}
	}()
	head, tail, dashdash := args, []string(nil), false
	if isRun(args) {
		head, tail, dashdash = splitDashDash(args)
		// A run allocates ~6 MB in all (kong's model, the record's objects) and holds little: at the default GOGC its
		// first collection came at 4 MB, during the parse, with mark assists on the path of every start. The live
		// heap of a run (whatever it stores: outputs are streamed) stays small, so 4x that costs little memory.
		debug.SetGCPercent(400)
		// A run's git processes (the config read, git status) start now, while the command line is parsed.
		if !chdirGiven(args) {
			if wd, err := os.Getwd(); err == nil {
				gitstore.Preopen(wd, true)
				defer gitstore.DropPreopened()
			}
		}
	}
	head = joinSortValues(head)
	if len(head) == 0 {
		head = []string{"--help"}
	}
	// The command's own model first (one struct field and the global flags): kong's model of the whole tree costs
	// ~4 ms of reflection on every start, the largest fixed cost of a run after git itself. Help, and anything the
	// small model refuses, go through the whole tree, so every message is the whole tree's.
	model, kctx, err := parseSmall(head, io)
	if err != nil || kctx == nil {
		var full CLI
		model = reflect.ValueOf(&full).Elem()
		kctx, err = parseWith(&full, head, io)
	}
	if err != nil {
		if errors.Is(err, errInternal) {
			fmt.Fprintf(io.Err, "git exp: internal error: %v\n", err)
			return 1
		}
		msg := err.Error()
		if strings.Contains(msg, "unknown flag") && len(head) > 0 && head[0] == "run" {
			msg += " (arguments for the script go after --: git exp run SCRIPT [flags] -- ARGS)"
		}
		fmt.Fprintf(io.Err, "git exp: %s\n", msg)
		return 2
	}
	cli := struct{ Chdir string }{model.FieldByName("Chdir").String()}
	if cli.Chdir != "" {
		if err := os.Chdir(cli.Chdir); err != nil {
			fmt.Fprintf(io.Err, "git exp: cannot change to %s: %v\n", cli.Chdir, err)
			return 2
		}
	}
	gitstore.Tracef("phase parse (%s since start)", sinceStart())
	program := io.Program
	if program == "" {
		program = "git-exp"
	}
	env := &Env{IO: io, Tail: tail, DashDash: dashdash, Argv: append([]string{program}, args...)}
	kctx.BindTo(ctx, (*context.Context)(nil))
	err = kctx.Run(env)
	gitstore.Tracef("phase total (%s since start)", sinceStart())
	code = exitCode(io, err)
	if env.detached != nil {
		env.detached.RemoveEmptyLog()
	}
	return code
}

func exitCode(io *IO, err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	io.Warnf("git exp: %s", err)
	var ue *usageError
	var rue *run.UsageError
	switch {
	case errors.Is(err, gitstore.ErrNotRepo):
		return 128
	case errors.As(err, &ue), errors.As(err, &rue):
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}

var errInternal = errors.New("internal error")

// parseWith parses head with kong over model (a pointer to CLI, or to the small model of one command).
func parseWith(model any, head []string, io *IO) (*kong.Context, error) {
	parser, err := kong.New(model,
		kong.Name("git exp"),
		kong.Description("Run scripts as tracked, reproducible experiments stored in the repository (refs/experiments/main)."),
		kong.Writers(io.Out, io.Err),
		kong.Exit(func(c int) { panic(kongExit{c}) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": versionText()},
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errInternal, err)
	}
	return parser.Parse(head)
}

// parseSmall parses head with a model holding only the command head names and CLI's global flags (built with
// reflect.StructOf from CLI's own fields and tags, so the two cannot disagree). It gives up (nil context) for help,
// for an unknown command, for the commands that read the whole tree (help, __complete), and for anything kong
// refuses: the whole tree says those.
func parseSmall(head []string, io *IO) (reflect.Value, *kong.Context, error) {
	// __complete and help read the whole tree (*kong.Kong) to answer.
	if len(head) == 0 || strings.HasPrefix(head[0], "-") || head[0] == "__complete" || head[0] == "help" {
		return reflect.Value{}, nil, nil
	}
	for _, a := range head {
		if a == "-h" || a == "--help" || a == "help" {
			return reflect.Value{}, nil, nil
		}
	}
	t := reflect.TypeOf(CLI{})
	var fields []reflect.StructField
	found := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if _, isCmd := f.Tag.Lookup("cmd"); !isCmd {
			fields = append(fields, f) // the global flags
			continue
		}
		if !found && commandNamed(f, head[0]) {
			fields = append(fields, f)
			found = true
		}
	}
	if !found {
		return reflect.Value{}, nil, nil
	}
	v := reflect.New(reflect.StructOf(fields))
	kctx, err := parseWith(v.Interface(), head, io)
	if err != nil {
		return reflect.Value{}, nil, nil
	}
	return v.Elem(), kctx, nil
}

// commandNamed reports whether the command field f is called name (its name tag, else its lower-cased field name,
// or one of its aliases), as kong names it.
func commandNamed(f reflect.StructField, name string) bool {
	n := f.Tag.Get("name")
	if n == "" {
		n = strings.ToLower(f.Name)
	}
	if n == name {
		return true
	}
	for _, a := range strings.Split(f.Tag.Get("aliases"), ",") {
		if a != "" && a == name {
			return true
		}
	}
	return false
}

// splitDashDash separates the arguments after the first "--" (they belong to the script or command).
func splitDashDash(args []string) (head, tail []string, found bool) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:], true
		}
	}
	return args, nil, false
}

// joinSortValues turns "--sort -KEY" (a space, as people type it and as git's own --sort -committerdate accepts)
// into "--sort=-KEY", which the flag parser would otherwise read as short flags (and "--sort a,-b" likewise).
func joinSortValues(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--" { // what follows is not git exp's (the words of __complete, a command's arguments)
			if out != nil {
				out = append(out, args[i:]...)
			}
			break
		}
		if args[i] == "--sort" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			if out == nil {
				out = append([]string{}, args[:i]...)
			}
			out = append(out, "--sort="+args[i+1])
			i++
			continue
		}
		if out != nil {
			out = append(out, args[i])
		}
	}
	if out == nil {
		return args
	}
	return out
}

// isRun reports whether the command is run (the only one whose "--" separates the script's own arguments).
func isRun(args []string) bool {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-C" || a == "--chdir":
			i++
		case a == "--":
			return false
		case !strings.HasPrefix(a, "-"):
			return a == "run"
		}
	}
	return false
}

// chdirGiven reports whether the global -C/--chdir comes before the command.
func chdirGiven(args []string) bool {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return false
		}
		if strings.HasPrefix(a, "-C") || strings.HasPrefix(a, "--chdir") {
			return true
		}
	}
	return false
}

// Env is what every command's Run receives.
type Env struct {
	IO       *IO
	Argv     []string // the command line: IO.Program and the arguments
	Tail     []string // arguments after "--"
	DashDash bool
	detached *run.DetachedReporter // in the background process of `run --detach`: tells its starter what it runs
}

// open opens the store of the repository around the working directory.
// runner is the lifecycle (package run) over st: its messages go to stderr, and in the background process of
// run --detach it tells the starter what it recorded.
func (e *Env) runner(st *gitstore.Store) *run.Runner {
	r := &run.Runner{Store: st, Warn: e.IO.Warnf}
	if e.detached != nil {
		r.Recorded = e.detached.Report
	}
	return r
}

// live returns the writers a run's output is shown on live: the terminal's (stdout, stderr), or none.
func (e *Env) live(on bool) (io.Writer, io.Writer) {
	if !on {
		return nil, nil
	}
	return e.IO.Out, e.IO.Err
}

func (e *Env) open(ctx context.Context) (*gitstore.Store, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	st, err := gitstore.Open(ctx, wd)
	if err != nil {
		return nil, err
	}
	st.Warn = e.IO.Warnf // what a listing cannot read (gitstore.Damage)
	return st, nil
}

// openForRun is open for a command that snapshots the worktree next: the snapshot's git status starts at once.
func (e *Env) openForRun(ctx context.Context) (*gitstore.Store, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	st, err := gitstore.OpenForRun(ctx, wd)
	if err != nil {
		return nil, err
	}
	st.Warn = e.IO.Warnf
	return st, nil
}

// sinceStart is the time since the process started, for GIT_EXP_TRACE.
func sinceStart() time.Duration { return time.Since(processStart).Round(time.Microsecond) }
