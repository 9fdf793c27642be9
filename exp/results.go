package exp

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"github.com/git-exp/git-exp/value"
)

// Result sets one explicit result of the experiment; see Results.
func (c *Client) Result(key string, v any) error {
	return c.Results(map[string]any{key: v})
}

// Results merges m into the experiment's explicit results (GIT_EXP_RESULTS, or
// ./exp-out/results.json in bare mode): keys already set are replaced, others
// kept. The file is rewritten atomically (temporary file, then rename), so a
// reader never sees half of it. Values are anything value.Marshal
// accepts; NaN and infinities are stored as the bare tokens NaN, Infinity and
// -Infinity, as in the metrics file. Results also flushes buffered metrics.
//
// When a run sets no explicit results, `git exp` uses the last value of each
// metric instead (see LastValues).
func (c *Client) Results(m map[string]any) error {
	for k := range m {
		if k == "" {
			return errors.New("exp: Results: empty result name")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start()
	c.metrics.flush() // a write error is reported by Log and Close
	if !c.resultsLoaded {
		prev, err := readResults(c.resultsPath)
		if err != nil {
			return err
		}
		c.results, c.resultsLoaded = prev, true
	}
	next := maps.Clone(c.results)
	for k, v := range m {
		next[k] = v
	}
	data, err := value.Marshal(next)
	if err != nil {
		for k, v := range m { // name the culprit
			if _, kerr := value.Marshal(v); kerr != nil {
				return fmt.Errorf("exp: result %q: %w", k, kerr)
			}
		}
		return fmt.Errorf("exp: encoding results: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(c.resultsPath), 0o755); err != nil {
		return fmt.Errorf("exp: writing results: %w", err)
	}
	if err := writeFileAtomic(c.resultsPath, append(data, '\n')); err != nil {
		return fmt.Errorf("exp: writing results: %w", err)
	}
	c.results = next
	return nil
}

// Result sets one explicit result of the Default client's experiment.
func Result(key string, v any) error { return Default().Result(key, v) }

// Results merges m into the Default client's explicit results.
func Results(m map[string]any) error { return Default().Results(m) }

// readResults reads an existing results file; a missing or empty file is an
// empty object.
func readResults(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(data) == 0 {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exp: reading results: %w", err)
	}
	v, err := value.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("exp: reading results %s: %w", path, err)
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("exp: results file %s does not hold a JSON object", path)
	}
	return m, nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, fsynced, then renamed over path, then the directory fsynced.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { // best effort: make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}
