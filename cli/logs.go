package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/run"
)

// LogsCmd prints an experiment's output.
type LogsCmd struct {
	ID     string `arg:"" help:"Experiment id, id prefix or name."`
	Stderr bool   `help:"Print stderr instead of stdout."`
	Follow bool   `short:"f" help:"Keep printing output while the experiment runs."`
}

// Run implements git exp logs.
func (c *LogsCmd) Run(ctx context.Context, env *Env) error {
	if !c.Follow {
		shortReader()
	}
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	name, spoolPath := "stdout.zst", st.SpoolFor(e.ID).Stdout
	if c.Stderr {
		name, spoolPath = "stderr.zst", st.SpoolFor(e.ID).Stderr
	}
	var printed int64
	if e.Status == gitstore.StatusRunning && !imported(e) {
		// While it runs, the output is in the spool (on this machine).
		for {
			n, err := copyFrom(env.IO.Out, spoolPath, printed)
			printed += n
			if err != nil && !os.IsNotExist(err) {
				return err
			}
			if !c.Follow {
				if os.IsNotExist(err) && printed == 0 {
					env.IO.Warnf("git exp: %s is running on %s; its output is not visible from here until it ends", e.ID[:7], e.Host)
				}
				return nil
			}
			cur, lerr := st.Load(e.ID)
			if lerr == nil && cur.Status != gitstore.StatusRunning {
				break // ended: the rest is in the store
			}
			if lerr == nil && run.RunnerGone(cur) {
				// Its runner died: record the crash with what it captured (the spool), then print the rest.
				if err := env.runner(st).RecordCrash(ctx, cur); err != nil {
					return fmt.Errorf("%s: its git-exp process (pid %d) is gone, and recording the crash failed: %w", e.ID[:7], cur.Runner.PID, err)
				}
				break
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
		if e, err = st.Load(e.ID); err != nil {
			return err
		}
		if e.Status == gitstore.StatusCrashed {
			defer env.IO.Warnf("git exp: %s crashed: %s; above is what it had captured", e.ID[:7], e.Error)
		}
	}
	r, closeFn, err := openStoredLog(ctx, st, e, name)
	if err != nil {
		return err
	}
	if r == nil {
		return nil
	}
	defer closeFn()
	if printed > 0 {
		if _, err := io.CopyN(io.Discard, r, printed); err != nil {
			return nil
		}
	}
	_, err = io.Copy(env.IO.Out, r)
	return err
}

// copyFrom prints a file from an offset and returns how much it printed.
func copyFrom(w io.Writer, path string, off int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, f)
}

// openStoredLog streams a stored zstd log through `git cat-file blob` and a decoder (never whole in memory).
func openStoredLog(ctx context.Context, st *gitstore.Store, e *gitstore.Experiment, name string) (io.Reader, func(), error) {
	rc, ok, err := st.OpenLog(ctx, e.ID, name)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		if e.Status == gitstore.StatusStaged || e.Status == gitstore.StatusQueued {
			return nil, nil, usagef("%s has not run yet (status %s)", e.ID[:7], e.Status)
		}
		return nil, nil, fmt.Errorf("%s has no stored %s", e.ID[:7], name)
	}
	return rc, func() { rc.Close() }, nil
}
