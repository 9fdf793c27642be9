package cli

import (
	"context"

	"github.com/git-exp/git-exp/gitstore"
)

// RenameCmd renames an experiment.
type RenameCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	Name string `arg:"" help:"The new name."`
}

// Run implements git exp rename.
func (c *RenameCmd) Run(ctx context.Context, env *Env) error {
	return edit1(ctx, env, c.ID, gitstore.Note{Op: "rename", Value: c.Name})
}
