package gitstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
