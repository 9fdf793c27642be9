package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
)

// detach runs this same command again (without --detach) as a background process (run.StartDetached). It returns
// once the child has recorded what it runs, and prints how to follow it.
func (c *RunCmd) detach(ctx context.Context, env *Env, st *gitstore.Store) error {
	argv := []string{env.Argv[0]}
	for i, a := range env.Argv[1:] {
		if a == "--" {
			argv = append(argv, env.Argv[1+i:]...)
			break
		}
		if a != "--detach" {
			argv = append(argv, a)
		}
	}
	d, err := run.StartDetached(st, argv)
	var de *run.DetachError
	if errors.As(err, &de) {
		// It ended before starting anything (a mistake in the command, for instance): say what it said.
		env.IO.Err.Write(de.Output)
		if de.ExitCode > 0 {
			return &exitError{de.ExitCode}
		}
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.IO.Out, d.ID)
	switch d.Kind {
	case "batch":
		fmt.Fprintf(env.IO.Err, "running batch %s in the background (pid %d); follow it with: git exp list --batch %s\n", d.ID[:7], d.PID, d.ID[:7])
	default:
		fmt.Fprintf(env.IO.Err, "running %s in the background (pid %d); follow it with: git exp logs -f %s\n", d.ID[:7], d.PID, d.ID[:7])
	}
	return nil
}
