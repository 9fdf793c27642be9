package cli

import (
	"os"
	"path/filepath"

	"github.com/git-exp/git-exp/config"
)

// ParamsCmd prints parameters resolved exactly as `git exp run` resolves them (config.yaml at the root, --config
// files, GIT_EXP_PARAM_* variables, --param), as typed JSON, without running anything. The clients' bare mode (Go's
// exp and Python's git_exp) call `git-exp params --root DIR`, so the YAML semantics live in one place (package
// config) and both clients stay standard library (+ value).
type ParamsCmd struct {
	Root   string   `name:"root" placeholder:"DIR" help:"Directory whose config.yaml is read (default: the root of the enclosing repository, else the current directory)."`
	Config []string `sep:"none" short:"c" placeholder:"FILE" help:"YAML config file; repeatable, merged in order."`
	Param  []string `sep:"none" short:"p" placeholder:"KEY=VALUE" help:"Set a parameter (dotted keys; YAML values); repeatable."`
}

// Run implements git exp params.
func (c *ParamsCmd) Run(env *Env) error {
	root := c.Root
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		root = repoRootOf(wd)
	}
	params, _, err := config.Resolve(root, filepath.Join(root, "config.yaml"), c.Config, os.Environ(), c.Param)
	if err != nil {
		return &usageError{err.Error()}
	}
	return writeJSON(env.IO.Out, params)
}

// repoRootOf is the nearest directory at or above dir holding .git (a directory, or a file in linked
// worktrees), else dir itself: the root the clients' bare mode uses, without needing git.
func repoRootOf(dir string) string {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}
