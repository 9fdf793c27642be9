package importer

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/git-exp/git-exp/gitstore"
)

// Yanex reads a yanex experiments directory (~/.yanex/experiments, or $YANEX_EXPERIMENTS_DIR): one directory per
// experiment with metadata.json, params.yaml (config.yaml before), metrics.json (results.json before: a list of
// {step, timestamp, <metric>: value}), and artifacts/ holding stdout.txt and stderr.txt. Archived experiments are
// under archived/.
type Yanex struct {
	Root string
}

// Kind implements Source.
func (s *Yanex) Kind() string { return "yanex" }

// DefaultYanexDir is where yanex keeps experiments, given the environment lookup.
func DefaultYanexDir(getenv func(string) string) string {
	if d := getenv("YANEX_EXPERIMENTS_DIR"); d != "" {
		return d
	}
	return filepath.Join(getenv("HOME"), ".yanex", "experiments")
}

// List implements Source.
func (s *Yanex) List() ([]Ref, []string, error) {
	st, err := os.Stat(s.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", s.Root, errText(err))
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory (give the yanex experiments directory)", s.Root)
	}
	refs, err := s.list(s.Root)
	if err != nil {
		return nil, nil, err
	}
	archived, err := s.list(filepath.Join(s.Root, "archived"))
	if err != nil {
		return nil, nil, err
	}
	refs = append(refs, archived...)
	if len(refs) == 0 {
		ents, _ := os.ReadDir(s.Root)
		if len(ents) > 0 {
			return nil, nil, fmt.Errorf("%s is not a yanex experiments directory: no <id>/metadata.json in it", s.Root)
		}
	}
	return refs, nil, nil
}

func (s *Yanex) list(root string) ([]Ref, error) {
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", root, errText(err))
	}
	var refs []Ref
	for _, de := range ents {
		dir := filepath.Join(root, de.Name())
		if !de.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "metadata.json")); err != nil {
			continue
		}
		refs = append(refs, Ref{ID: de.Name(), Path: dir})
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].ID < refs[j].ID })
	return refs, nil
}

var yanexStatus = map[string]string{
	"created":   gitstore.StatusStaged,
	"staged":    gitstore.StatusStaged,
	"running":   gitstore.StatusRunning,
	"completed": gitstore.StatusCompleted,
	"failed":    gitstore.StatusFailed,
	"cancelled": gitstore.StatusCancelled,
}

// Load implements Source.
func (s *Yanex) Load(ref Ref) (*Run, error) {
	metaPath := filepath.Join(ref.Path, "metadata.json")
	data, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", metaPath, errText(err))
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", metaPath, err)
	}
	meta, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a JSON object", metaPath)
	}
	str := func(m map[string]any, k string) string {
		if s, ok := m[k].(string); ok {
			return s
		}
		return ""
	}
	run := &Run{Ref: ref, Extra: map[string]string{}}
	if id := str(meta, "id"); id != "" {
		run.ID = id
	}
	run.Name = cmp.Or(str(meta, "name"), run.ID)
	run.Description = str(meta, "description")
	if tags, ok := meta["tags"].([]any); ok {
		for _, t := range tags {
			if s, ok := t.(string); ok {
				run.Tags = append(run.Tags, s)
			}
		}
	}
	if filepath.Base(filepath.Dir(ref.Path)) == "archived" {
		run.Tags = append(run.Tags, "archived")
	}
	status := str(meta, "status")
	if run.Status = yanexStatus[status]; run.Status == "" {
		return nil, fmt.Errorf("%s: status %q is none of yanex's (created, running, completed, failed, cancelled, staged)", metaPath, status)
	}
	for _, f := range []struct {
		key string
		dst *time.Time
	}{{"created_at", &run.Created}, {"started_at", &run.Started}, {"completed_at", &run.Ended}} {
		if s := str(meta, f.key); s != "" {
			t, err := parsePythonTime(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %s %q is not a date", metaPath, f.key, s)
			}
			*f.dst = t
		}
	}
	run.Script = str(meta, "script_path")
	var args []string
	if list, ok := meta["script_args"].([]any); ok {
		for _, a := range list {
			args = append(args, fmt.Sprint(a))
		}
	}
	run.Error = cmp.Or(str(meta, "error_message"), str(meta, "cancellation_reason"))
	if g, ok := meta["git"].(map[string]any); ok {
		run.Commit = strings.ToLower(strings.TrimSpace(str(g, "commit_hash")))
		run.Branch = str(g, "branch")
		run.Remote = str(g, "remote_url")
		// yanex ran `python -u SCRIPT ARGS` with the script's absolute path; inside the repository it had, the same
		// command runs from a checkout of the snapshot (what rerun and continue do).
		if repo := str(g, "repo_path"); repo != "" && run.Script != "" {
			if rel, err := filepath.Rel(repo, run.Script); err == nil && filepath.IsAbs(run.Script) && !strings.HasPrefix(rel, "..") {
				run.Script = filepath.ToSlash(rel)
				run.Argv = append([]string{"python3", "-u", run.Script}, args...)
			}
		}
		run.Dirty, _ = g["has_uncommitted_changes"].(bool)
		if patch := str(g, "patch_file"); patch != "" {
			run.Extra["yanex_patch"] = patch // the uncommitted changes, kept among the artifacts
		}
	}
	if run.Argv == nil && len(args) > 0 {
		run.Extra["yanex_script_args"] = strings.Join(args, " ")
	}
	if p := str(meta, "project"); p != "" {
		run.Extra["yanex_project"] = p
	}

	if run.Params, err = s.params(ref.Path); err != nil {
		return nil, err
	}
	if err := s.metrics(run); err != nil {
		return nil, err
	}
	for _, name := range []string{"stdout", "stderr"} {
		for _, p := range []string{filepath.Join(ref.Path, "artifacts", name+".txt"), filepath.Join(ref.Path, name+".log")} {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				if name == "stdout" {
					run.Stdout = p
				} else {
					run.Stderr = p
				}
				break
			}
		}
	}
	if st, err := os.Stat(filepath.Join(ref.Path, "artifacts")); err == nil && st.IsDir() {
		run.Artifacts = filepath.Join(ref.Path, "artifacts")
	}
	return run, nil
}

// params reads params.yaml (config.yaml in older yanex).
func (s *Yanex) params(dir string) (map[string]any, error) {
	for _, name := range []string{"params.yaml", "config.yaml"} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, errText(err))
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("%s: not valid YAML: %v", path, oneLine(err.Error()))
		}
		if v == nil {
			return map[string]any{}, nil
		}
		m, ok := normalizeYAML(v).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: not a mapping of parameters", path)
		}
		return m, nil
	}
	return map[string]any{}, nil
}

// normalizeYAML turns what yaml.v3 decodes into the value tree: maps with string keys, dates as strings.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
		return x
	case int64:
		return int(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return v
}

// metrics reads metrics.json (results.json in older yanex): a JSON list of steps.
func (s *Yanex) metrics(run *Run) error {
	for _, name := range []string{"metrics.json", "results.json"} {
		path := filepath.Join(run.Path, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %v", path, errText(err))
		}
		v, err := decodeJSON(data)
		if err != nil {
			return fmt.Errorf("%s: not valid JSON: %v", path, err)
		}
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: not a list of metric steps", path)
		}
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: entry %d is not an object", path, i+1)
			}
			var step int64 = int64(i)
			if n, ok := m["step"].(int); ok {
				step = int64(n)
			}
			var t time.Time
			if ts, ok := m["timestamp"].(string); ok {
				if t, err = parsePythonTime(ts); err != nil {
					return fmt.Errorf("%s: entry %d: timestamp %q is not a date", path, i+1, ts)
				}
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				if k != "step" && k != "timestamp" {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				run.Metrics = append(run.Metrics, Point{Step: step, Time: t, Name: k, Value: m[k]})
			}
		}
		return nil
	}
	return nil
}

// parsePythonTime parses datetime.isoformat(): naive times are UTC (yanex writes datetime.utcnow()).
func parsePythonTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}
