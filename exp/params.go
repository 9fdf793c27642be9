package exp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/git-exp/git-exp/value"
)

// An Option configures Params and Decode.
type Option func(*decodeOptions)

type decodeOptions struct {
	allowUnknown bool
}

// AllowUnknown makes Params and Decode ignore params that match no struct
// field, instead of failing.
func AllowUnknown() Option {
	return func(o *decodeOptions) { o.allowUnknown = true }
}

// Params decodes the experiment's resolved params into dst, a non-nil pointer
// to a struct or to a map[string]any. Set dst to the program's defaults
// first: params are decoded onto it, so a field keeps its value where the
// params have no key for it (see Decode for the rules).
//
// Under `git exp run` the params are those recorded for the experiment
// (GIT_EXP_PARAMS). In bare mode they are config.yaml at the root of the
// enclosing git repository (if present), overlaid with GIT_EXP_PARAM_<key>
// environment variables ("__" in a key stands for ".", as in
// GIT_EXP_PARAM_model__hidden), resolved by `git-exp params` (so git-exp must
// be on PATH when either is present).
func (c *Client) Params(dst any, opts ...Option) error {
	c.mu.Lock()
	c.start()
	params, err := c.loadParams()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return Decode(dst, params, opts...)
}

// Params decodes the Default client's params into dst; see Client.Params.
func Params(dst any, opts ...Option) error { return Default().Params(dst, opts...) }

// loadParams reads the params once. c.mu held.
func (c *Client) loadParams() (map[string]any, error) {
	if c.paramsLoaded {
		return c.params, c.paramsErr
	}
	c.paramsLoaded = true
	c.params, c.paramsErr = c.readParams()
	return c.params, c.paramsErr
}

func (c *Client) readParams() (map[string]any, error) {
	if c.tracked {
		if c.paramsPath == "" {
			return map[string]any{}, nil
		}
		data, err := os.ReadFile(c.paramsPath)
		if err != nil {
			return nil, fmt.Errorf("exp: reading params: %w", err)
		}
		v, err := value.Unmarshal(data)
		if err != nil {
			return nil, fmt.Errorf("exp: reading params %s: %w", c.paramsPath, err)
		}
		if v == nil {
			return map[string]any{}, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("exp: params file %s does not hold a JSON object", c.paramsPath)
		}
		return m, nil
	}
	// The same layering as `git exp run`, minus --config and --param.
	return bareParams(repoRoot(c.cwd), c.environ)
}

// bareParams resolves the params of a bare run: config.yaml in root overlaid with GIT_EXP_PARAM_* variables. YAML
// is read by git-exp itself (`git-exp params`), so its semantics are those of `git exp run` and exp needs no YAML
// library; with neither a config.yaml nor such a variable there is nothing to resolve and git-exp is not needed.
func bareParams(root string, environ []string) (map[string]any, error) {
	_, statErr := os.Stat(filepath.Join(root, "config.yaml"))
	hasVars := false
	for _, kv := range environ {
		hasVars = hasVars || strings.HasPrefix(kv, "GIT_EXP_PARAM_")
	}
	if statErr != nil && !hasVars {
		return map[string]any{}, nil
	}
	bin, err := exec.LookPath("git-exp")
	if err != nil {
		return nil, errors.New("exp: resolving params (config.yaml, GIT_EXP_PARAM_*) needs git-exp on PATH: " +
			"go install github.com/git-exp/git-exp/cmd/git-exp@latest")
	}
	cmd := exec.Command(bin, "params", "--root", root)
	cmd.Env = environ
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("exp: resolving params: %s", strings.TrimPrefix(msg, "git exp: "))
		}
		return nil, fmt.Errorf("exp: resolving params: %s: %w", bin, err)
	}
	v, err := value.Unmarshal(out)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, fmt.Errorf("exp: resolving params: %s params printed no JSON object", bin)
	}
	return m, nil
}

// repoRoot returns the nearest directory at or above dir holding .git (a
// directory, or a file in linked worktrees), else dir itself.
func repoRoot(dir string) string {
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

// Decode decodes params (as produced by config.Load or value.Unmarshal) into
// dst, a non-nil pointer to a struct or a map, onto its current value, with
// value.Decode — the same rules as registry.Build: a key matches a field by
// json tag, else by Go name ignoring case, '_' and '-' (batch_size fills
// BatchSize); absent keys keep the defaults; keys matching no field are an
// error unless AllowUnknown; all mismatches are reported together. Decode
// never modifies params.
func Decode(dst any, params map[string]any, opts ...Option) error {
	var o decodeOptions
	for _, opt := range opts {
		opt(&o)
	}
	return value.Decode(dst, params, value.DecodeOptions{
		AllowUnknown: o.allowUnknown,
		Prefix:       "exp: ",
		UnknownHint:  "; use exp.AllowUnknown() to ignore unknown params",
	})
}
