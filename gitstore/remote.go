package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// Tracef writes a line to GIT_TRACE's destination, as git's own trace does (for the phases of a command).
func Tracef(format string, args ...any) { gitcmd.Tracef(format, args...) }

// RemoteRef is where a remote's experiments are fetched to. A remote given as a path or URL gets a name that is
// valid in a ref.
func RemoteRef(remote string) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, remote)
	return "refs/experiments/remotes/" + strings.Trim(name, "_") + "/main"
}

// ErrNoRemoteStore is returned by Fetch when the remote has no experiments yet.
var ErrNoRemoteStore = errors.New("no experiments on the remote")

// ErrNotARemote is returned by Fetch when the remote is neither a remote of this repository nor a git repository.
var ErrNotARemote = errors.New("not a remote of this repository or not a git repository")

// Fetch copies the remote's experiments to RemoteRef(remote) and returns that commit.
func (s *Store) Fetch(ctx context.Context, remote string) (string, error) {
	g := *s.Git
	g.Interactive = true // credential helpers and prompts work as with git fetch
	_, err := g.Run(ctx, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote, "+"+Ref+":"+RemoteRef(remote))
	if err != nil {
		switch {
		case gitcmd.StderrContains(err, "couldn't find remote ref"):
			return "", ErrNoRemoteStore
		case gitcmd.StderrContains(err, "does not appear to be a git repository") || gitcmd.StderrContains(err, "not a valid remote") ||
			gitcmd.StderrContains(err, "does not exist"):
			return "", ErrNotARemote
		}
		return "", fmt.Errorf("fetching experiments from %s failed: %v", remote, err)
	}
	tip, err := s.ReadRef(RemoteRef(remote))
	if err != nil || tip == "" {
		return "", fmt.Errorf("fetching experiments from %s left no %s", remote, RemoteRef(remote))
	}
	return tip, nil
}

// CheckRemote asks the remote for its HEAD; the error, if it cannot be reached, is git's most telling line.
func (s *Store) CheckRemote(ctx context.Context, remote string) error {
	if _, err := s.Git.Run(ctx, "ls-remote", "--exit-code", remote, "HEAD"); err != nil && !gitcmd.IsExit(err, 2) {
		return errors.New(lastLine(errStderr(err)))
	}
	return nil
}

// PushError is a push of the experiments that failed.
type PushError struct {
	Remote   string
	Rejected bool   // the remote moved (a teammate pushed first): fetch, merge and push again
	Reason   string // the reason git gives for a refused ref ("! [remote rejected] REF -> REF (REASON)"), or ""
	Detail   string // git's most telling line
}

func (e *PushError) Error() string { return fmt.Sprintf("push to %s failed: %s", e.Remote, e.Detail) }

// Push pushes the experiments once (never a force push) and records the pushed tip as RemoteRef(remote); a failure
// is a *PushError.
func (s *Store) Push(ctx context.Context, remote string) error {
	g := *s.Git
	g.Interactive = true
	tip, _ := s.Tip()
	_, err := g.Run(ctx, "push", "--quiet", "--no-verify", remote, Ref+":"+Ref)
	if err == nil {
		s.Git.Run(ctx, "update-ref", "-m", "git-exp: pushed", RemoteRef(remote), tip)
		return nil
	}
	rejected := gitcmd.StderrContains(err, "non-fast-forward") || gitcmd.StderrContains(err, "fetch first") ||
		gitcmd.StderrContains(err, "cannot lock ref") || gitcmd.StderrContains(err, "failed to update ref") ||
		gitcmd.StderrContains(err, "[rejected]") && !gitcmd.StderrContains(err, "hook declined")
	var ge *gitcmd.Error
	msg := err.Error()
	if errors.As(err, &ge) {
		msg = lastLine(ge.Stderr)
	}
	return &PushError{Remote: remote, Rejected: rejected, Reason: pushRejection(errStderr(err)), Detail: msg}
}

// pushRejection returns the reason git push gives for a refused ref ("! [remote rejected] REF -> REF (REASON)"), or
// "" when there is none: it says more than git's closing "failed to push some refs".
func pushRejection(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "! [") || !strings.HasSuffix(l, ")") {
			continue
		}
		if i := strings.LastIndex(l, " ("); i >= 0 {
			return l[i+2 : len(l)-1]
		}
	}
	return ""
}

// lastLine picks git's most telling line: the first fatal or error line, else the last one.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "fatal: ") || strings.HasPrefix(l, "error: ") || strings.HasPrefix(l, "remote: error: ") {
			return strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(l, "remote: "), "error: "), "fatal: ")
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

func errStderr(err error) string {
	var ge *gitcmd.Error
	if errors.As(err, &ge) {
		return ge.Stderr
	}
	return err.Error()
}

// UnsharedSnapshots counts the commits of code (snapshots and their history) reachable from tip that are on no
// branch of the remote, and that pushing tip would therefore send.
func (s *Store) UnsharedSnapshots(ctx context.Context, remote, tip string) (int, error) {
	all, err := s.Git.Run(ctx, "rev-list", "--count", tip, "--not", "--remotes="+remote)
	if err != nil {
		return 0, err
	}
	store, err := s.Git.Run(ctx, "rev-list", "--count", "--first-parent", tip, "--not", "--remotes="+remote)
	if err != nil {
		return 0, err
	}
	a, _ := strconv.Atoi(strings.TrimSpace(string(all)))
	b, _ := strconv.Atoi(strings.TrimSpace(string(store)))
	return a - b, nil
}

// AddRemoteRefspecs adds the fetch refspec (into RemoteRef) and the push refspecs (HEAD and Ref) of the
// experiments to the remote's configuration, each unless it is there.
func (s *Store) AddRemoteRefspecs(ctx context.Context, remote string) error {
	fetchSpec := "+" + Ref + ":" + RemoteRef(remote)
	if !slices.Contains(s.Config("remote."+remote+".fetch"), fetchSpec) {
		if _, err := s.Git.Run(ctx, "config", "--add", "remote."+remote+".fetch", fetchSpec); err != nil {
			return err
		}
	}
	push := s.Config("remote." + remote + ".push")
	for _, spec := range []string{"HEAD", Ref + ":" + Ref} {
		if !slices.Contains(push, spec) {
			if _, err := s.Git.Run(ctx, "config", "--add", "remote."+remote+".push", spec); err != nil {
				return err
			}
		}
	}
	return nil
}

// HookPath is the absolute path of the repository's hook name (pre-push, ...), wherever core.hooksPath puts it.
func (s *Store) HookPath(ctx context.Context, name string) (string, error) {
	out, err := s.Git.Run(ctx, "rev-parse", "--git-path", "hooks/"+name)
	if err != nil {
		return "", err
	}
	hook := strings.TrimSpace(string(out))
	if !filepath.IsAbs(hook) {
		hook = filepath.Join(s.Git.Dir, hook)
	}
	return hook, nil
}

// CreateBranch creates branch name at commit (never moving an existing branch).
func (s *Store) CreateBranch(ctx context.Context, name, commit string) error {
	_, err := s.Git.Run(ctx, "branch", "--", name, commit)
	return err
}

// DiffSnapshots runs git diff (--stat unless patch) between two commits, through git so the user's diff
// configuration and pager apply.
func (s *Store) DiffSnapshots(ctx context.Context, a, b string, patch bool, stdin io.Reader, stdout, stderr io.Writer) error {
	args := []string{"diff", "--stat", a, b}
	if patch {
		args = []string{"diff", a, b}
	}
	cmd := s.Git.Command(ctx, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = nil // the pager belongs to the terminal
	return cmd.Run()
}
