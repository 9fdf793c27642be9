// Package test holds the end-to-end suite of git-exp: testscript scripts (testdata/script/*.txtar) that drive the
// real git-exp through git's own dispatcher (`exec git exp ...`) in a sealed environment, and then ask git itself
// (fsck, cat-file, rev-list, status, a byte comparison of .git/index) whether each promise of DESIGN.md and the
// issues holds.
//
// The scripts are native testscript; what several of them need beyond testscript's own commands (a hub with clones,
// an exit status, a loop over a file, building a store with git plumbing, ...) is a custom command, registered in
// TestScripts and written in this file and commands_test.go. Only the scripts that test the Python integration need
// python3 (condition [python3]).
//
// Run it with `go test ./test/`; `go test -short` skips it.
package test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/git-exp/git-exp/cli"
	"github.com/git-exp/git-exp/importer/fixture"
	"github.com/git-exp/git-exp/value"
)

// TestMain registers git-exp as a command: testscript copies the test binary as `git-exp` into a directory on PATH,
// so `exec git exp ...` in a script goes through git's real dispatcher, which runs cli.Main in a new process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"git-exp": func() { os.Exit(cli.Main(os.Args[1:], cli.SystemIO())) },
	})
}

func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end scripts drive the real git and take tens of seconds: skipped under -short")
	}
	path, err := sealedPath()
	if err != nil {
		t.Fatal(err)
	}
	goEnv := goCacheEnv()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			return seal(env, path, goEnv)
		},
		Condition: condition,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"json":     cmdJSON,
			"waitfor":  cmdWaitFor,
			"signal":   cmdSignal,
			"zstd":     cmdZstd,
			"hangup":   cmdHangup,
			"tfevents": cmdTFEvents,
			// commands_test.go
			"setvar":   cmdSetVar,
			"exitcode": cmdExitCode,
			"repeat":   cmdRepeat,
			"retry":    cmdRetry,
			"waitexit": cmdWaitExit,
			"hub":      cmdHub,
			"fsck":     cmdFsck,
			"lines":    cmdLines,
			"freeport": cmdFreePort,
			"http":     cmdHTTP,
			"gitvar":   cmdGitVar,
			"foreach":  cmdForEach,
			"rmobject": cmdRmObject,
			"sum":      cmdSum,
			"touch":    cmdTouch,
			"gen":      cmdGen,
		},
	})
}

// seal gives every script a fresh HOME, a global git config of its own and no system config, so nothing of the
// developer's machine (identity, aliases, hooks, excludes, default branch) leaks into a test.
func seal(env *testscript.Env, path string, goEnv []string) error {
	work := env.Getenv("WORK")
	home := filepath.Join(work, "home")
	if err := os.MkdirAll(filepath.Join(home, ".config"), 0o755); err != nil {
		return err
	}
	gitconfig := filepath.Join(home, ".gitconfig")
	cfg := "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
	if err := os.WriteFile(gitconfig, []byte(cfg), 0o644); err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{"HOME", home},
		{"XDG_CONFIG_HOME", filepath.Join(home, ".config")},
		{"GIT_CONFIG_NOSYSTEM", "1"},
		{"GIT_CONFIG_GLOBAL", gitconfig},
		{"GIT_TERMINAL_PROMPT", "0"},
		{"TZ", "UTC"},
		{"NO_COLOR", "1"},
		{"LC_ALL", "C"},
		{"PATH", path},
	} {
		env.Setenv(kv[0], kv[1])
	}
	// testscript starts every script from an empty environment, so GIT_DIR, GIT_INDEX_FILE, GIT_AUTHOR_DATE,
	// GIT_COMMITTER_DATE and the identity variables are unset: commit dates are the clock's and identities come from
	// the config above. (Setting them to "" would not unset them: git reads an empty GIT_DIR as a path.)
	for _, kv := range goEnv {
		k, v, _ := strings.Cut(kv, "=")
		env.Setenv(k, v)
	}
	return nil
}

// sealedPath is the PATH of the scripts: the directory where testscript put git-exp, then the directories of the
// real python3 (not a pyenv shim, which needs the developer's HOME and costs a start-up per call), go and git, then
// the system's directories.
func sealedPath() (string, error) {
	self, err := exec.LookPath("git-exp")
	if err != nil {
		return "", fmt.Errorf("git-exp is not on PATH (testscript.Main should have put it there): %v", err)
	}
	dirs := []string{filepath.Dir(self)}
	if out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output(); err == nil {
		if p := strings.TrimSpace(string(out)); p != "" {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	for _, prog := range []string{"go", "git", "bash", "zstd"} {
		if p, err := exec.LookPath(prog); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				p = r
			}
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	dirs = append(dirs, "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin")
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return strings.Join(out, string(os.PathListSeparator)), nil
}

// goCacheEnv lets `go run` in a script reuse the developer's build and module caches (a cold build of the standard
// library would take longer than the whole suite) without touching the network.
func goCacheEnv() []string {
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOROOT").Output()
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		return nil
	}
	return []string{"GOCACHE=" + lines[0], "GOMODCACHE=" + lines[1], "GOROOT=" + lines[2],
		"GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS=-buildvcs=false", "GO111MODULE=auto"}
}

// cmdJSON reads a JSON file and looks up a path in it.
//
//	json FILE PATH [WANT]       the value at PATH exists (and, with WANT, is exactly the JSON text WANT, or the
//	                            JSON in file F when WANT is @F)
//	json -set VAR FILE PATH     store the value at PATH in $VAR (strings unquoted); when it is an experiment id
//	                            (16 hex digits), also its directory in the store, <id[0:2]>/<id>, in $VAR_DIR,
//	                            and its fan-out directory, <id[0:2]>, in $VAR_FAN
//	! json FILE PATH [WANT]     the value at PATH is absent (or differs from WANT)
//
// PATH is dot-separated: object keys, array indexes (-1 is the last element), `#` for the length of an array or object, `.` alone for the
// whole document. A PATH that begins with `/` is slash-separated instead, for keys with dots in them
// (`/0/params.lr`, the flattened columns of export). Documents are read with value.Unmarshal (NaN, Infinity, -Infinity included) and compared by type,
// so `1` and `1.0` differ (the int/float contract).
// FILE may be `stdout` or `stderr` for the last command's output.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	setVar := ""
	if len(args) > 0 && args[0] == "-set" {
		if len(args) != 4 {
			ts.Fatalf("usage: json -set VAR FILE PATH")
		}
		setVar, args = args[1], args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: json [-set VAR] FILE PATH [WANT]")
	}
	data := ts.ReadFile(args[0]) // "stdout" and "stderr" name the last command's output
	doc, err := value.Unmarshal([]byte(data))
	if err != nil {
		ts.Fatalf("%s: not JSON: %v", args[0], err)
	}
	v, err := lookup(doc, args[1])
	if err != nil {
		if neg {
			return
		}
		ts.Fatalf("%s: %v", args[0], err)
	}
	got := compact(ts, v)
	if setVar != "" {
		if neg {
			ts.Fatalf("unsupported: ! json -set")
		}
		if s, ok := v.(string); ok {
			got = s
			if isID(s) {
				ts.Setenv(setVar+"_DIR", s[:2]+"/"+s)
				ts.Setenv(setVar+"_FAN", s[:2])
			}
		}
		ts.Setenv(setVar, got)
		return
	}
	if len(args) == 2 {
		if neg {
			ts.Fatalf("%s: %s is present: %s", args[0], args[1], got)
		}
		return
	}
	wantText := args[2]
	if f, ok := strings.CutPrefix(wantText, "@"); ok {
		wantText = ts.ReadFile(f)
	}
	want, err := value.Unmarshal([]byte(wantText))
	if err != nil {
		ts.Fatalf("WANT %q is not JSON: %v", args[2], err)
	}
	equal := got == compact(ts, want)
	switch {
	case equal && neg:
		ts.Fatalf("%s: %s is %s, want anything else", args[0], args[1], got)
	case !equal && !neg:
		ts.Fatalf("%s: %s is %s, want %s", args[0], args[1], got, compact(ts, want))
	}
}

func isID(s string) bool {
	if len(s) != 16 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

func lookup(v any, path string) (any, error) {
	if path == "." {
		return v, nil
	}
	sep := "."
	if rest, ok := strings.CutPrefix(path, "/"); ok {
		sep, path = "/", rest
	}
	keys := strings.Split(path, sep)
	for i, key := range keys {
		at := strings.Join(keys[:i+1], sep)
		switch x := v.(type) {
		case map[string]any:
			if key == "#" {
				v = len(x)
				continue
			}
			next, ok := x[key]
			if !ok {
				return nil, fmt.Errorf("no key %s", at)
			}
			v = next
		case []any:
			if key == "#" {
				v = len(x)
				continue
			}
			n, err := strconv.Atoi(key)
			if err == nil && n < 0 { // from the end: -1 is the last element
				n += len(x)
			}
			if err != nil || n < 0 || n >= len(x) {
				return nil, fmt.Errorf("no element %s (array of %d)", at, len(x))
			}
			v = x[n]
		default:
			return nil, fmt.Errorf("%s: cannot index %T", at, v)
		}
	}
	return v, nil
}

func compact(ts *testscript.TestScript, v any) string {
	b, err := value.Marshal(v)
	if err != nil {
		ts.Fatalf("encoding %v: %v", v, err)
	}
	return string(b)
}

// cmdWaitFor waits until a file exists (and is not empty), failing after SECONDS.
//
//	waitfor SECONDS FILE
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor SECONDS FILE")
	}
	secs, err := strconv.ParseFloat(args[0], 64)
	if err != nil {
		ts.Fatalf("waitfor: bad SECONDS %q", args[0])
	}
	path := ts.MkAbs(args[1])
	deadline := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfor: %s did not appear within %s s", args[1], args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdSignal sends a signal to a process by pid (testscript's own kill only reaches its background commands, and
// those are git, not git-exp). With -parent it signals the process's parent too, at once: that is what Ctrl-C on a
// terminal does to `git exp run` (both git, the dispatcher, and git-exp are in the foreground process group).
// With -after it returns at once and sends the signal SECONDS later, while the script's next command runs (as a
// `sleep; kill` in the background would). PID may be @FILE: the pid written in FILE.
//
//	signal [-parent] [-after SECONDS] INT|TERM|KILL PID|@FILE
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	parent := len(args) > 0 && args[0] == "-parent"
	if parent {
		args = args[1:]
	}
	var after time.Duration
	if len(args) > 1 && args[0] == "-after" {
		after, args = seconds(ts, args[1]), args[2:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: signal [-parent] [-after SECONDS] INT|TERM|KILL PID|@FILE")
	}
	sig, ok := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL}[args[0]]
	if !ok {
		ts.Fatalf("signal: unknown signal %q", args[0])
	}
	s := args[1]
	if f, ok := strings.CutPrefix(s, "@"); ok {
		s = strings.TrimSpace(ts.ReadFile(f))
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 1 {
		ts.Fatalf("signal: bad pid %q", s)
	}
	pids := []int{pid}
	if parent {
		ppid := parentPID(ts, pid)
		if ppid <= 1 {
			ts.Fatalf("signal: %d has no parent to signal", pid)
		}
		pids = append(pids, ppid)
	}
	if after > 0 {
		go func() {
			time.Sleep(after)
			for _, p := range pids {
				_ = syscall.Kill(p, sig) // the script checks what the signal did
			}
		}()
		return
	}
	for _, p := range pids {
		ts.Check(syscall.Kill(p, sig))
	}
}

// parentPID reads a process's parent pid from /proc (field 4 of stat, after the command name in parentheses).
func parentPID(ts *testscript.TestScript, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	ts.Check(err)
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		ts.Fatalf("signal: cannot parse /proc/%d/stat", pid)
	}
	ppid, err := strconv.Atoi(f[1])
	ts.Check(err)
	return ppid
}

// cmdZstd compresses a file into a zstd frame (the format of stdout.zst / stderr.zst), so a script can build a store
// by hand without depending on the zstd command; -d decompresses, to check what git-exp stored.
//
//	zstd [-d] IN OUT
func cmdZstd(ts *testscript.TestScript, neg bool, args []string) {
	decompress := len(args) > 0 && args[0] == "-d"
	if decompress {
		args = args[1:]
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: zstd [-d] IN OUT")
	}
	in := []byte(ts.ReadFile(args[0]))
	var out []byte
	if decompress {
		dec, err := zstd.NewReader(nil)
		ts.Check(err)
		defer dec.Close()
		out, err = dec.DecodeAll(in, nil)
		if err != nil {
			ts.Fatalf("zstd -d %s: %v", args[0], err)
		}
	} else {
		enc, err := zstd.NewWriter(nil)
		ts.Check(err)
		defer enc.Close()
		out = enc.EncodeAll(in, nil)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
}

// gitCompletionBash is git's git-completion.bash as Debian installs it.
const gitCompletionBash = "/usr/share/bash-completion/completions/git"

// pythonWorks says, once for the whole suite, whether python3 starts.
var pythonWorks = sync.OnceValue(func() bool {
	return exec.Command("python3", "-c", "").Run() == nil
})

// condition adds the conditions of the scripts, each described in its case; [python3] is the one a script that needs
// python3 uses (`[!python3] skip 'needs python3: ...'`), because under CI=true its absence fails instead of skipping.
func condition(cond string) (bool, error) {
	switch cond {
	case "gitcompletion": // git's own bash completion, as Debian's git ships it
		_, err := os.Stat(gitCompletionBash)
		return err == nil, nil
	case "bashcompletion": // the bash-completion package, whose loader finds completions by command name
		_, err := os.Stat("/usr/share/bash-completion/bash_completion")
		return err == nil, nil
	case "python3": // a working python3, for the scripts that test the Python integration (the core ones need none)
		if pythonWorks() {
			return true, nil
		}
		if os.Getenv("CI") == "true" {
			return false, fmt.Errorf("python3 is missing or does not run, and CI=true: the Python integration " +
				"scripts must not skip in CI (apt-get install python3)")
		}
		return false, nil
	case "slurm":
		if _, err := exec.LookPath("sbatch"); err != nil {
			return false, nil
		}
		out, err := exec.Command("scontrol", "ping").CombinedOutput()
		return err == nil && strings.Contains(string(out), "UP"), nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// cmdTFEvents writes a TensorBoard event file, as TensorFlow writes it, into DIR.
//
//	tfevents DIR              hyperparameters (lr 0.1, opt "sgd"), scalars loss (0.5, 0.25, NaN at steps 1-3, as
//	                          simple values) and eval/acc (TF2 scalar tensors at steps 1-2)
//	tfevents -damaged DIR     two events of loss, the last one cut short
func cmdTFEvents(ts *testscript.TestScript, neg bool, args []string) {
	damaged := len(args) == 2 && args[0] == "-damaged"
	if damaged {
		args = args[1:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tfevents [-damaged] DIR")
	}
	dir := ts.MkAbs(args[0])
	if damaged {
		path, err := fixture.TensorBoardRun(dir, 1700000100,
			fixture.Event{WallTime: 1700000101, Step: 0, Scalars: []fixture.Scalar{{Tag: "loss", Value: 1}}},
			fixture.Event{WallTime: 1700000102, Step: 1, Scalars: []fixture.Scalar{{Tag: "loss", Value: 2}}})
		ts.Check(err)
		data, err := os.ReadFile(path)
		ts.Check(err)
		ts.Check(os.WriteFile(path, data[:len(data)-3], 0o644))
		return
	}
	_, err := fixture.TensorBoardRun(dir, 1700000000,
		fixture.Event{WallTime: 1700000000.5, HParams: map[string]any{"lr": 0.1, "opt": "sgd"}},
		fixture.Event{WallTime: 1700000001, Step: 1, Scalars: []fixture.Scalar{{Tag: "loss", Value: 0.5}, {Tag: "eval/acc", Value: 0.25, Tensor: true, Plugin: "scalars"}}},
		fixture.Event{WallTime: 1700000002, Step: 2, Scalars: []fixture.Scalar{{Tag: "loss", Value: 0.25}, {Tag: "eval/acc", Value: 0.5, Tensor: true}}},
		fixture.Event{WallTime: 1700000003, Step: 3, Scalars: []fixture.Scalar{{Tag: "loss", Value: math.NaN()}}},
		fixture.Event{WallTime: 1700000004, EndStatus: 1})
	ts.Check(err)
}
