package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-exp/git-exp/value"
)

// Kinds of Source, from the lowest precedence to the highest.
const (
	KindDefaultConfig = "default-config" // config.yaml at the repository root
	KindConfig        = "config"         // a --config file
	KindEnv           = "env"            // GIT_EXP_PARAM_* variables
	KindParam         = "param"          // --param KEY=VALUE
)

// Source describes one layer of parameters, for the record.
type Source struct {
	Kind string   `json:"kind"`           // KindDefaultConfig, KindConfig, KindEnv or KindParam
	Path string   `json:"path,omitempty"` // file path (relative to the repository root when inside it) for config kinds
	Keys []string `json:"keys,omitempty"` // for env/param: the dotted keys it set
}

// Resolve builds the parameters of a run from its layers, lowest precedence first:
//
//  1. rootConfig (the repository's config.yaml), when rootConfig != "" and the file exists;
//  2. each configFiles entry, in order;
//  3. GIT_EXP_PARAM_* variables from env (see EnvParams), in sorted order;
//  4. each --param KEY=VALUE in params, in order.
//
// Every layer is applied onto the tree built so far like a file onto its imports: a config file's plain top-level
// keys replace, its dotted keys update one nested value; env and params are applied with Set, so a dotted key
// through a non-map value is an error, never a silent replacement. Paths are relative to the current directory;
// repoRoot only makes the recorded paths relative. Resolve returns the tree and the sources used, in the order
// applied.
func Resolve(repoRoot, rootConfig string, configFiles []string, env []string, params []string) (map[string]any, []Source, error) {
	tree := map[string]any{}
	var sources []Source
	l := newLoader()
	if rootConfig != "" {
		if _, err := os.Stat(rootConfig); err == nil {
			if err := l.applyFile(tree, rootConfig, ""); err != nil {
				return nil, nil, err
			}
			sources = append(sources, Source{Kind: KindDefaultConfig, Path: recordPath(repoRoot, rootConfig)})
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
	}
	for _, f := range configFiles {
		if err := l.applyFile(tree, f, ""); err != nil {
			return nil, nil, err
		}
		sources = append(sources, Source{Kind: KindConfig, Path: recordPath(repoRoot, f)})
	}

	envValues, names, invalid := envParams(env)
	if len(invalid) > 0 {
		return nil, nil, fmt.Errorf("%s: not a valid parameter name; write GIT_EXP_PARAM_model__lr for model.lr", invalid[0])
	}
	if len(names) > 0 {
		keys := make([]string, 0, len(names))
		for _, name := range names {
			key := envKey(name)
			if err := value.Set(tree, key, envValues[key]); err != nil {
				return nil, nil, fmt.Errorf("%s: %v", name, err)
			}
			keys = appendUnique(keys, key)
		}
		sources = append(sources, Source{Kind: KindEnv, Keys: keys})
	}

	if len(params) > 0 {
		keys, err := ApplyParams(tree, params)
		if err != nil {
			return nil, nil, err
		}
		sources = append(sources, Source{Kind: KindParam, Keys: keys})
	}
	return tree, sources, nil
}

// ApplyParams sets each --param KEY=VALUE argument onto tree, in order (the last step of Resolve, and what rerun
// applies onto the recorded parameters), and returns the keys set. Sweep values (list(...), range(...)) stay strings
// here: sweep.Expand turns the tree into its points, for run and rerun alike.
func ApplyParams(tree map[string]any, params []string) ([]string, error) {
	var keys []string
	for _, p := range params {
		key, v, err := ParseParam(p)
		if err != nil {
			return nil, err
		}
		if err := value.Set(tree, key, v); err != nil {
			return nil, fmt.Errorf("--param %s: %v", p, err)
		}
		keys = appendUnique(keys, key)
	}
	return keys, nil
}

func appendUnique(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// recordPath returns path relative to repoRoot with forward slashes when it is inside repoRoot, else absolute.
func recordPath(repoRoot, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	if repoRoot == "" {
		return filepath.ToSlash(abs)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	if rel, ok := within(root, abs); ok {
		return rel
	}
	// The same directory may be reached through a symlink (macOS /tmp, a symlinked checkout).
	if r, err := filepath.EvalSymlinks(root); err == nil {
		if a, err := filepath.EvalSymlinks(abs); err == nil {
			if rel, ok := within(r, a); ok {
				return rel
			}
		}
	}
	return filepath.ToSlash(abs)
}

func within(root, path string) (string, bool) {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
