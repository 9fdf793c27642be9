package cli

import (
	"context"
)

// RmCmd removes experiments from every listing (their data stays until git exp compact).
type RmCmd struct{ BulkCmd }

// Run implements git exp rm.
func (c *RmCmd) Run(ctx context.Context, env *Env) error { c.op = "delete"; return c.run(ctx, env) }
