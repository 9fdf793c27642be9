package cli

import (
	"context"

	"github.com/git-exp/git-exp/gitstore"
)

// DescribeCmd sets an experiment's description.
type DescribeCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	Text string `arg:"" help:"The description."`
}

// Run implements git exp describe.
func (c *DescribeCmd) Run(ctx context.Context, env *Env) error {
	return edit1(ctx, env, c.ID, gitstore.Note{Op: "describe", Value: c.Text})
}
