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
// repoRoot makes the recorded paths relative. Imports must resolve, after following symlinks, inside repoRoot or
// inside the directory of one of configFiles; every file must be a regular file of at most MaxFileSize bytes. Resolve returns the tree and the sources used, in the order
// applied.
func Resolve(repoRoot, rootConfig string, configFiles []string, env []string, params []string) (map[string]any, []Source, error) {
	tree := map[string]any{}
	var sources []Source
	l := newLoader()
	if repoRoot != "" {
		l.allow(repoRoot)
	}
	if rootConfig != "" {
		l.allow(filepath.Dir(rootConfig))
	}
	for _, f := range configFiles {
		l.allow(filepath.Dir(f))
	}
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
	if value.TooDeep(tree, value.MaxDepth) {
		return nil, nil, fmt.Errorf("the parameters nest more than %d levels deep (config files and dotted keys together): flatten them", value.MaxDepth)
	}
	if err := checkSize(tree); err != nil {
		return nil, nil, err
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

// MaxParamsSize is the most the parameters of one experiment may take as JSON. Parameters are read by every
// listing, so they are meant for settings; data belongs in files (pass their path as a parameter).
const MaxParamsSize = 256 << 10

// checkSize refuses parameters larger than MaxParamsSize, naming the largest value.
func checkSize(tree map[string]any) error {
	b, err := value.Marshal(tree)
	if err != nil || len(b) <= MaxParamsSize {
		return nil // values JSON cannot hold are reported where the parameters are stored
	}
	key, size := largest(tree, "")
	return fmt.Errorf("the parameters take %d KiB as JSON, more than the %d KiB allowed; the largest is %s (%d KiB): put data in a file and pass its path",
		len(b)>>10, MaxParamsSize>>10, shorten(key), size>>10)
}

// largest returns the dotted key of the largest leaf value of v (lists count as leaves) and its size as JSON.
func largest(v any, prefix string) (string, int) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		b, _ := value.Marshal(v)
		return prefix, len(b)
	}
	bestKey, best := "", -1
	for k, e := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if k2, n := largest(e, key); n > best {
			bestKey, best = k2, n
		}
	}
	return bestKey, best
}
