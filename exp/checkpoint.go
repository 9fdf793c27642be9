package exp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
)

// checkpointDir holds checkpoints, inside Out() so that a continued
// experiment, whose previous Out() is restored, finds them.
const checkpointDir = ".checkpoints"

// A CkptOption configures Checkpoint.
type CkptOption func(*ckptOptions)

type ckptOptions struct {
	attempts int
}

// Retry makes Checkpoint try fn up to n times in all before giving up
// (n < 1 counts as 1, the default). Each retry gets the state as the failed
// attempt left it, so fn should be safe to run again.
func Retry(n int) CkptOption {
	return func(o *ckptOptions) { o.attempts = n }
}

// Checkpoint runs one resumable step of the experiment, like pyexp's @chkpt.
//
// If the step finished in an earlier attempt — <Out()>/.checkpoints/NAME.json
// exists — Checkpoint decodes that file into *state, says "checkpoint NAME
// restored" on stderr (once per name) and does not call fn. Otherwise it calls
// fn(state), retrying as set by Retry, and when fn succeeds flushes the metrics
// and saves *state as JSON, atomically (temporary file, fsync, rename). When
// fn keeps failing, nothing is saved and its last error is returned, wrapped.
//
// `git exp continue ID` restores the previous attempt's Out(), so finished
// steps are skipped and the program carries on where it failed. The state is
// saved with encoding/json: only exported fields are kept, and it may not
// hold NaN or infinities. Names are letters, digits, '.', '_' and '-', not
// starting with '.'.
func Checkpoint[T any](name string, state *T, fn func(*T) error, opts ...CkptOption) error {
	if state == nil {
		return fmt.Errorf("exp: checkpoint %q: nil state", name)
	}
	return Default().Checkpoint(name, state, func() error { return fn(state) }, opts...)
}

// Checkpoint runs one resumable step; see the package-level Checkpoint.
// state must be a non-nil pointer; fn updates it.
func (c *Client) Checkpoint(name string, state any, fn func() error, opts ...CkptOption) error {
	if err := validCheckpointName(name); err != nil {
		return err
	}
	if rv := reflect.ValueOf(state); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("exp: checkpoint %q: state must be a non-nil pointer, got %T", name, state)
	}
	o := ckptOptions{attempts: 1}
	for _, opt := range opts {
		opt(&o)
	}
	attempts := max(o.attempts, 1)
	dir := filepath.Join(c.Out(), checkpointDir)
	path := filepath.Join(dir, name+".json")

	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, state); err != nil {
			return fmt.Errorf("exp: checkpoint %q: restoring %s: %w (delete it to run the step again)", name, path, err)
		}
		c.mu.Lock()
		if !c.restored[name] {
			if c.restored == nil {
				c.restored = make(map[string]bool)
			}
			c.restored[name] = true
			c.warnf("checkpoint %s restored", name)
		}
		c.mu.Unlock()
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("exp: checkpoint %q: %w", name, err)
	}

	for i := 1; ; i++ {
		err := fn()
		if err == nil {
			break
		}
		if i >= attempts {
			if attempts > 1 {
				return fmt.Errorf("exp: checkpoint %q: failed %d times: %w", name, attempts, err)
			}
			return fmt.Errorf("exp: checkpoint %q: %w", name, err)
		}
		c.warnf("checkpoint %s: attempt %d of %d failed: %v; retrying", name, i, attempts, err)
	}

	data, err = json.MarshalIndent(state, "", "  ")
	if err != nil {
		return fmt.Errorf("exp: checkpoint %q: saving state: %w", name, err)
	}
	// Metrics logged by the step must not be lost once the step is skipped
	// on continue.
	c.Flush()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("exp: checkpoint %q: %w", name, err)
	}
	if err := writeFileAtomic(path, append(data, '\n')); err != nil {
		return fmt.Errorf("exp: checkpoint %q: saving state: %w", name, err)
	}
	return nil
}

func validCheckpointName(name string) error {
	ok := name != "" && len(name) <= 200 && name[0] != '.'
	for i := 0; ok && i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("exp: invalid checkpoint name %q: use letters, digits, '.', '_' and '-', not starting with '.'", name)
	}
	return nil
}
