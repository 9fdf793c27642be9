package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// ErrNotRepo is returned outside a git repository; the CLI exits 128 on it, like git.
var ErrNotRepo = errors.New("not a git repository (or any of the parent directories): run git-exp inside a git repository, or 'git init' one")

// ErrBare is returned for operations that need a worktree in a bare repository.
var ErrBare = errors.New("this is a bare repository: git exp run needs a worktree (clone it, or use 'git worktree add')")

// Repo is a git repository as git-exp sees it.
type Repo struct {
	Git       *gitcmd.Git
	GitDir    string // per-worktree git dir (absolute)
	CommonDir string // shared git dir (absolute)
	Root      string // worktree root, "" in a bare repository
	Bare      bool
	IndexFile string // the user's index (absolute)
	ObjectDir string
	SHA256    bool

	cfgOnce sync.Once
	cfgDone chan struct{} // closed when the config read started by OpenRepo has finished
	cfg     map[string][]string
	cfgErr  error

	statusMu   sync.Mutex
	statusDone chan struct{} // closed when the snapshot's `git status` started by OpenRepoFor has finished
	status     []byte
	statusErr  error
}

// OpenRepo finds the repository containing dir.
func OpenRepo(ctx context.Context, dir string) (*Repo, error) { return OpenRepoFor(ctx, dir, false) }

// OpenRepoFor is OpenRepo for a command that takes a snapshot of the worktree next (git exp run): the snapshot's
// `git status` starts now (or was started by Preopen), beside the config read and the search for the repository,
// instead of after them — a run's git processes then take the time of the slowest rather than of the sum (issue
// 19). The repository is found without git where that is plain (discover); otherwise by `git rev-parse`.
func OpenRepoFor(ctx context.Context, dir string, snapshot bool) (*Repo, error) {
	g := &gitcmd.Git{Dir: dir}
	r := takePreopened(ctx, dir, snapshot)
	if r == nil {
		r = startOpen(ctx, dir, snapshot)
	}
	if d, ok := discover(dir); ok {
		<-r.cfgDone
		if sha256, ok := d.settle(r.cfg); ok && r.cfgErr == nil {
			g.Dir = d.root
			r.Git, r.Root, r.GitDir, r.CommonDir, r.SHA256 = g, d.root, d.gitDir, d.commonDir, sha256
			r.ObjectDir, r.IndexFile = filepath.Join(d.commonDir, "objects"), filepath.Join(d.gitDir, "index")
			return r, nil
		}
	}
	out, err := g.Run(ctx, "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir",
		"--show-object-format", "--git-path", "objects", "--git-path", "index", "--show-toplevel")
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if err != nil {
		if gitcmd.StderrContains(err, "not a git repository") {
			return nil, ErrNotRepo
		}
		if len(lines) < 6 || lines[0] != "true" {
			if gitcmd.StderrContains(err, "must be run in a work tree") && len(lines) >= 6 {
				// inside .git of a non-bare repository
				return nil, errors.New("run git exp from the worktree, not from inside the .git directory")
			}
			return nil, err
		}
	}
	if len(lines) < 6 {
		return nil, fmt.Errorf("unexpected output from git rev-parse: %q", out)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(dir, p)
	}
	r.Git = g
	r.Bare = lines[0] == "true"
	r.GitDir = lines[1]
	r.CommonDir = abs(lines[2])
	r.SHA256 = lines[3] == "sha256"
	r.ObjectDir = abs(lines[4])
	r.IndexFile = abs(lines[5])
	if !r.Bare && len(lines) >= 7 {
		r.Root = lines[6]
		g.Dir = r.Root
	} else {
		g.Dir = r.GitDir
	}
	return r, nil
}

// startOpen starts what opening the repository containing dir needs from git: the config read (every command needs
// it: it runs while the repository is found) and, for a snapshot, the snapshot's `git status`.
func startOpen(ctx context.Context, dir string, snapshot bool) *Repo {
	r := &Repo{cfgDone: make(chan struct{})}
	if snapshot {
		r.startStatus(ctx, dir)
	}
	go func() {
		defer close(r.cfgDone)
		r.cfg, r.cfgErr = readConfig(ctx, &gitcmd.Git{Dir: dir})
	}()
	return r
}

func (r *Repo) startStatus(ctx context.Context, dir string) {
	r.statusDone = make(chan struct{})
	go func() {
		defer close(r.statusDone)
		r.status, r.statusErr = runStatus(ctx, &gitcmd.Git{Dir: dir})
	}()
}

var preopened struct {
	sync.Mutex
	dir string
	r   *Repo
}

// Preopen starts now what OpenRepoFor(dir, snapshot) will ask of git, so that git works while the command line is
// still being parsed (kong's model and the flags take a run's first 1–2 ms, and the git processes are most of what a
// run costs: issue 19). The first OpenRepoFor of dir takes them over; if none comes, they end on their own (they only
// read). A later call replaces what an earlier one started.
func Preopen(dir string, snapshot bool) {
	preopened.Lock()
	defer preopened.Unlock()
	preopened.dir, preopened.r = dir, startOpen(context.Background(), dir, snapshot)
}

// DropPreopened forgets what Preopen started and no command took (a command that failed before it opened the
// repository), so that a later command of the same process (tests run many) never takes an old status.
func DropPreopened() {
	preopened.Lock()
	defer preopened.Unlock()
	preopened.dir, preopened.r = "", nil
}

// takePreopened returns what Preopen started for dir, once (nil: nothing, or for another directory).
func takePreopened(ctx context.Context, dir string, snapshot bool) *Repo {
	preopened.Lock()
	defer preopened.Unlock()
	r := preopened.r
	if r == nil || preopened.dir != dir {
		return nil
	}
	preopened.r = nil
	if snapshot && r.statusDone == nil {
		r.startStatus(ctx, dir)
	}
	return r
}

// takeStatus returns the output of the `git status` started by OpenRepoFor, once (nil, nil: none was started, or it
// was taken already, or the repository is bare).
func (r *Repo) takeStatus() ([]byte, error) {
	r.statusMu.Lock()
	defer r.statusMu.Unlock()
	if r.statusDone == nil {
		return nil, nil
	}
	<-r.statusDone
	r.statusDone = nil
	if r.Bare {
		return nil, nil
	}
	out, err := r.status, r.statusErr
	r.status, r.statusErr = nil, nil
	if out == nil && err == nil {
		out = []byte{} // a clean worktree: nothing to run again
	}
	return out, err
}

// HexLen is the length of an object id in hex.
func (r *Repo) HexLen() int {
	if r.SHA256 {
		return 64
	}
	return 40
}

// ZeroOID is the all-zero object id that git uses for "does not exist".
func (r *Repo) ZeroOID() string { return strings.Repeat("0", r.HexLen()) }

// ExpDir is git-exp's private directory under the common git dir (cache, spools, locks). Disposable.
func (r *Repo) ExpDir() string { return filepath.Join(r.CommonDir, "exp") }

// Config returns the values of a git config key (last one wins for single values), read once per process.
func (r *Repo) Config(key string) []string {
	r.cfgOnce.Do(func() {
		if r.cfgDone != nil {
			<-r.cfgDone
			return
		}
		r.cfg, r.cfgErr = readConfig(context.Background(), r.Git)
	})
	return r.cfg[strings.ToLower(key)]
}

func readConfig(ctx context.Context, g *gitcmd.Git) (map[string][]string, error) {
	cfg := map[string][]string{}
	out, err := g.Run(ctx, "config", "-z", "--get-regexp", `^(exp\.|user\.|remote\.|branch\.|core\.(fsync|bare|worktree|repositoryformatversion)|gc\.pruneexpire|extensions\.)`)
	if err != nil && !gitcmd.IsExit(err, 1) {
		return cfg, err
	}
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(rec, []byte("\n"))
		key := strings.ToLower(string(k))
		cfg[key] = append(cfg[key], string(v))
	}
	return cfg, nil
}

// ConfigString returns the last value of key, or def.
func (r *Repo) ConfigString(key, def string) string {
	if v := r.Config(key); len(v) > 0 {
		return v[len(v)-1]
	}
	return def
}

// ConfigSize parses a size config (git's k/m/g suffixes).
func (r *Repo) ConfigSize(key string, def int64) (int64, error) {
	s := r.ConfigString(key, "")
	if s == "" {
		return def, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("git config %s = %q: %v (e.g. 10m, 1g)", key, s, err)
	}
	return n, nil
}

// ParseSize parses "10", "10k", "10m", "1g" as git does.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a size")
	}
	return n * mult, nil
}

// Ident returns the committer identity git would use, with a fallback so that a missing user.name never loses a run.
func (r *Repo) Ident() (name, email string) {
	name = os.Getenv("GIT_COMMITTER_NAME")
	if name == "" {
		name = r.ConfigString("user.name", "")
	}
	email = os.Getenv("GIT_COMMITTER_EMAIL")
	if email == "" {
		email = r.ConfigString("user.email", "")
	}
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		} else {
			name = "git-exp"
		}
	}
	if email == "" {
		h, _ := os.Hostname()
		email = name + "@" + h
	}
	return name, email
}

func (r *Repo) identLine(t time.Time) string {
	name, email := r.Ident()
	clean := func(s string) string { return strings.NewReplacer("<", "", ">", "", "\n", " ").Replace(s) }
	return fmt.Sprintf("%s <%s> %d %s", clean(name), clean(email), t.Unix(), t.Format("-0700"))
}

// ReadRef resolves a full ref name without starting git: a loose ref file, else packed-refs. "" when absent.
func (r *Repo) ReadRef(name string) (string, error) {
	data, err := os.ReadFile(filepath.Join(r.CommonDir, filepath.FromSlash(name)))
	if err == nil {
		s := strings.TrimSpace(string(data))
		if target, ok := strings.CutPrefix(s, "ref: "); ok {
			return r.ReadRef(target)
		}
		if len(s) == r.HexLen() {
			return s, nil
		}
		return "", fmt.Errorf("ref %s is corrupt", name)
	}
	if !errors.Is(err, os.ErrNotExist) && !isDirErr(err) {
		return "", err
	}
	f, err := os.Open(filepath.Join(r.CommonDir, "packed-refs"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	suffix := " " + name
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(line, suffix) && len(line) == r.HexLen()+len(suffix) {
			return line[:r.HexLen()], nil
		}
	}
	return "", sc.Err()
}

func isDirErr(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "is a directory")
}

// UpdateRef moves ref from old to new atomically through git's own lock protocol. old == ZeroOID means "must not
// exist". It returns errCASFailed when the ref moved meanwhile (or another writer holds its lock).
//
// It does what git's files backend does, in process (DESIGN.md §2 allows either): create REF.lock with O_EXCL,
// check the current value (loose, else packed-refs) under the lock, write and fsync the new value, rename the lock
// over the ref. Every git writer takes the same lock, so git-exp and git never lose each other's updates. Refs kept
// in a reftable go through `git update-ref`.
func (r *Repo) UpdateRef(ctx context.Context, ref, newOID, oldOID, msg string) error {
	if _, err := os.Stat(filepath.Join(r.CommonDir, "reftable")); err == nil {
		return r.updateRefCLI(ctx, ref, newOID, oldOID, msg)
	}
	path := filepath.Join(r.CommonDir, filepath.FromSlash(ref))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return errCASFailed // another writer holds the lock: retry on the new tip
	}
	if err != nil {
		return fmt.Errorf("cannot lock %s: %w", ref, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(lock)
		}
	}()
	cur, err := r.ReadRef(ref)
	if err != nil {
		return err
	}
	want := oldOID
	if want == r.ZeroOID() {
		want = ""
	}
	if cur != want {
		return errCASFailed
	}
	if _, err := f.WriteString(newOID + "\n"); err != nil {
		return err
	}
	if r.fsyncRefs() {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	// The reflog is written under the lock, before the ref moves, as git's files backend does.
	if err := r.appendReflog(ref, oldOID, newOID, msg); err != nil {
		return err
	}
	if err := os.Rename(lock, path); err != nil {
		return err
	}
	renamed = true
	gitcmd.Tracef("update-ref %s %s (in process)", ref, newOID[:10])
	return nil
}

// fsyncRefs reports whether git's core.fsync asks for references to be synced (git's default does not; neither are
// loose objects, so syncing the ref alone would promise nothing after a power loss).
func (r *Repo) fsyncRefs() bool {
	for _, part := range strings.Split(r.ConfigString("core.fsync", ""), ",") {
		switch strings.TrimSpace(part) {
		case "reference", "committed", "all":
			return true
		}
	}
	return false
}

// appendReflog adds one entry to the reflog of ref, in git's format ("OLD NEW IDENT\tMESSAGE\n", see
// gitformat-refs / refs/files-backend.c), creating it when absent as core.logAllRefUpdates=always would: the store's
// reflog is how `git exp fsck --repair` finds an earlier complete state, and it keeps recent states from gc.
func (r *Repo) appendReflog(ref, oldOID, newOID, msg string) error {
	if oldOID == "" {
		oldOID = r.ZeroOID()
	}
	path := filepath.Join(r.CommonDir, "logs", filepath.FromSlash(ref))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			return fmt.Errorf("cannot write the reflog of %s: %w", ref, err)
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
	}
	if err != nil {
		return fmt.Errorf("cannot write the reflog of %s: %w", ref, err)
	}
	msg = strings.TrimSpace(strings.NewReplacer("\n", " ", "\t", " ").Replace(msg))
	_, err = f.WriteString(oldOID + " " + newOID + " " + r.identLine(time.Now()) + "\t" + msg + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write the reflog of %s: %w", ref, err)
	}
	return nil
}

func (r *Repo) updateRefCLI(ctx context.Context, ref, newOID, oldOID, msg string) error {
	_, err := r.Git.Run(ctx, "update-ref", "--create-reflog", "-m", msg, ref, newOID, oldOID)
	if err != nil {
		if gitcmd.StderrContains(err, "cannot lock ref") || gitcmd.StderrContains(err, "Unable to create") ||
			gitcmd.StderrContains(err, "but expected") || gitcmd.StderrContains(err, "reference already exists") {
			return errCASFailed
		}
		return err
	}
	return nil
}

var errCASFailed = errors.New("ref moved")

// ConfigBool reads a boolean git config value as git does (true/yes/on/1, false/no/off/0; a key without a value
// is true).
func (r *Repo) ConfigBool(key string, def bool) (bool, error) {
	v := r.Config(key)
	if len(v) == 0 {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v[len(v)-1])) {
	case "true", "yes", "on", "1", "":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return def, fmt.Errorf("git config %s = %q is not a boolean (true or false)", key, v[len(v)-1])
}

// Uncommitted lists what differs from HEAD in the worktree and index, untracked files included (ignored ones
// not), as git status --short prints it: "M  path", "?? path".
func (r *Repo) Uncommitted(ctx context.Context) ([]string, error) {
	out, err := r.Git.Run(ctx, "status", "--porcelain=v1", "-z", "--untracked-files=all")
	if err != nil {
		return nil, err
	}
	var list []string
	recs := strings.Split(string(out), "\x00")
	for i := 0; i < len(recs); i++ {
		rec := recs[i]
		if len(rec) < 4 {
			continue
		}
		list = append(list, rec)
		if rec[0] == 'R' || rec[0] == 'C' {
			i++ // the source path of a rename or copy follows
		}
	}
	return list, nil
}

// Remotes lists the configured remotes (those with a URL), sorted.
func (r *Repo) Remotes() []string {
	r.Config("remote.origin.url") // loads the config
	var out []string
	for k := range r.cfg {
		if rest, ok := strings.CutPrefix(k, "remote."); ok {
			if name, ok := strings.CutSuffix(rest, ".url"); ok {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}
