package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/python"
)

// PythonPathCmd prints the directory holding git-exp's copy of the Python client, for notebooks and IDEs.
type PythonPathCmd struct{}

// Run implements git exp python-path.
func (c *PythonPathCmd) Run(ctx context.Context, env *Env) error {
	base, err := pythonBase(ctx, env)
	if err != nil {
		return err
	}
	dir, err := python.Extract(base)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.IO.Out, dir)
	return nil
}

// pythonBase is where the Python package is extracted: the repository's .git/exp/python, or outside a
// repository the user's cache directory.
func pythonBase(ctx context.Context, env *Env) (string, error) {
	st, err := env.open(ctx)
	if err == nil {
		defer st.Close()
		return filepath.Join(st.ExpDir(), "python"), nil
	}
	if !errors.Is(err, gitstore.ErrNotRepo) {
		return "", err
	}
	cache, cerr := os.UserCacheDir()
	if cerr != nil {
		return "", fmt.Errorf("no repository here and no user cache directory (%v): run it inside a git repository", cerr)
	}
	return filepath.Join(cache, "git-exp", "python"), nil
}
