package cli

import (
	"os"
	"path/filepath"

	"github.com/git-exp/git-exp/config"
)

// ParamsCmd prints the parameters a program run bare (outside `git exp run`) resolves: config.yaml in ROOT,
// overlaid with GIT_EXP_PARAM_* variables, as typed JSON. The Go client (exp) and the Python client call it, so the
// YAML semantics live in one place (package config) and exp stays standard library + value.
type ParamsCmd struct {
	Root string `name:"root" required:"" placeholder:"DIR" help:"Directory whose config.yaml is read."`
}

// Run implements git exp params.
func (c *ParamsCmd) Run(env *Env) error {
	params, _, err := config.Resolve(c.Root, filepath.Join(c.Root, "config.yaml"), nil, os.Environ(), nil)
	if err != nil {
		return &usageError{err.Error()}
	}
	return writeJSON(env.IO.Out, params)
}
