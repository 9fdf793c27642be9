package gitstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Checkout writes the files of a snapshot commit into dir (created), through a temporary index so that git applies
// the same filters and line endings as a normal checkout. The user's index, HEAD and worktree are not touched.
func (s *Store) Checkout(ctx context.Context, snapshot, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	tmpDir := filepath.Join(s.ExpDir(), "tmp")
	os.MkdirAll(tmpDir, 0o755)
	f, err := os.CreateTemp(tmpDir, "index-")
	if err != nil {
		return "", err
	}
	f.Close()
	os.Remove(f.Name())
	defer os.Remove(f.Name())
	env := []string{"GIT_INDEX_FILE=" + f.Name()}
	_, err = s.Git.RunWith(ctx, nil, env, "read-tree", snapshot+"^{tree}")
	if err == nil {
		_, err = s.Git.RunWith(ctx, nil, env, "checkout-index", "--all", "--force", "--prefix="+abs+"/")
	}
	if err != nil {
		if merr := s.MissingObjects(ctx, snapshot); merr != nil {
			return "", merr
		}
		return "", err
	}
	return abs, nil
}

// MissingObjects reports, as an error that says how to get them, when a snapshot's objects are not all in the
// repository (a shallow or partial clone).
func (s *Store) MissingObjects(ctx context.Context, snapshot string) error {
	obj, err := s.cat.Get(snapshot)
	if err != nil || obj.Type != "commit" {
		return fmt.Errorf("snapshot %s is not in this repository: fetch it with 'git exp pull' or 'git fetch origin %s' (a shallow clone needs 'git fetch --unshallow')", short(snapshot), Ref)
	}
	out, err := s.Git.Run(ctx, "rev-list", "--objects", "--missing=print", "--no-walk", snapshot)
	if err != nil {
		return fmt.Errorf("snapshot %s is incomplete in this repository (%v): fetch it with 'git exp pull' (a shallow clone needs 'git fetch --unshallow')", short(snapshot), err)
	}
	var missing []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "?") {
			missing = append(missing, l[1:])
		}
	}
	if len(missing) > 0 {
		if len(missing) > 5 {
			missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
		}
		return fmt.Errorf("snapshot %s is missing objects %s: fetch them with 'git fetch --refetch' or 'git exp pull' (a partial clone fetches them with 'git fetch origin %s')",
			short(snapshot), strings.Join(missing, ", "), snapshot)
	}
	return nil
}

func short(oid string) string {
	if len(oid) > 10 {
		return oid[:10]
	}
	return oid
}

// RestoreSnapshot writes the files of a snapshot into the worktree without moving HEAD or touching the index.
// Files that differ between the worktree and the snapshot are overwritten (or removed when the snapshot lacks
// them); when any of those carries uncommitted changes it refuses, naming them, unless force is set.
func (s *Store) RestoreSnapshot(ctx context.Context, snapshot string, force bool) (int, error) {
	maxUntracked, err := s.ConfigSize("exp.maxUntrackedSize", DefaultMaxUntrackedSize)
	if err != nil {
		return 0, err
	}
	now, err := s.Snapshot(ctx, maxUntracked) // the worktree as it is, without touching it
	if err != nil {
		return 0, err
	}
	diff := func(a, b string) (map[string]string, error) {
		if a == "" {
			a = s.emptyTree()
		}
		out, err := s.Git.Run(ctx, "diff-tree", "-r", "-z", "--no-renames", "--name-status", a, b)
		if err != nil {
			return nil, err
		}
		f := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		m := map[string]string{}
		for i := 0; i+1 < len(f); i += 2 {
			m[f[i+1]] = f[i]
		}
		return m, nil
	}
	headTree := ""
	if now.Info.Head != "" {
		headTree = now.Info.Head + "^{tree}"
	}
	dirty, err := diff(headTree, now.Tree)
	if err != nil {
		return 0, err
	}
	writes, err := diff(now.Tree, snapshot+"^{tree}")
	if err != nil {
		return 0, err
	}
	var conflicts []string
	for p := range writes {
		if _, ok := dirty[p]; ok {
			conflicts = append(conflicts, p)
		}
	}
	sort.Strings(conflicts)
	if len(conflicts) > 0 && !force {
		return 0, fmt.Errorf("restoring would overwrite uncommitted changes in %s: commit or stash them, or pass --force", listSome(conflicts))
	}
	// A path the snapshot adds but the worktree already has on disk is a file the worktree's own snapshot left out:
	// ignored, or untracked above exp.maxUntrackedSize. Its content is nowhere else: never overwrite it silently.
	if !force {
		var unknown []string
		for p, status := range writes {
			if status == "D" {
				continue
			}
			if status == "A" {
				if _, err := os.Lstat(filepath.Join(s.Root, filepath.FromSlash(p))); err == nil {
					unknown = append(unknown, p)
					continue
				}
			}
			for i := strings.IndexByte(p, '/'); i >= 0; i = next(p, i) {
				if fi, err := os.Lstat(filepath.Join(s.Root, filepath.FromSlash(p[:i]))); err == nil && !fi.IsDir() {
					if _, tracked := writes[p[:i]]; !tracked {
						unknown = append(unknown, p[:i])
					}
					break
				}
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			unknown = slices.Compact(unknown)
			return 0, fmt.Errorf("restoring would overwrite %s, which the worktree holds outside git-exp's view (ignored, or untracked and larger than exp.maxUntrackedSize): move them away, or pass --force", listSome(unknown))
		}
	}
	var write []string
	for p, status := range writes {
		if status == "D" {
			os.Remove(filepath.Join(s.Root, filepath.FromSlash(p)))
		} else {
			write = append(write, p)
		}
	}
	if len(write) > 0 {
		tmp := filepath.Join(s.ExpDir(), "tmp", fmt.Sprintf("index-restore-%d", os.Getpid()))
		defer os.Remove(tmp)
		env := []string{"GIT_INDEX_FILE=" + tmp}
		if _, err := s.Git.RunWith(ctx, nil, env, "read-tree", snapshot+"^{tree}"); err != nil {
			return 0, err
		}
		in := strings.Join(write, "\x00") + "\x00"
		if _, err := s.Git.RunWith(ctx, strings.NewReader(in), env, "checkout-index", "--force", "-z", "--stdin"); err != nil {
			return 0, err
		}
	}
	return len(writes), nil
}

// next returns the index of the next '/' in p after i, or -1.
func next(p string, i int) int {
	j := strings.IndexByte(p[i+1:], '/')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// listSome joins up to ten names, saying how many more there are.
func listSome(names []string) string {
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

func (s *Store) emptyTree() string {
	oid, _ := s.WriteTree(nil)
	return oid
}
