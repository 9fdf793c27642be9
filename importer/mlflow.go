package importer

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/git-exp/git-exp/config"
	"github.com/git-exp/git-exp/gitstore"
)

// MLflow reads an MLflow file store (mlflow/store/tracking/file_store.py): <root>/<experiment id>/meta.yaml, and in
// each experiment <run id>/meta.yaml, params/<key>, metrics/<key> (lines "timestamp value step"), tags/<key>, and
// the artifacts at the run's artifact_uri. Deleted experiments live in <root>/.trash.
type MLflow struct {
	Root           string
	IncludeDeleted bool

	exps map[string]*mlflowExperiment // by directory, read by List
	runs map[string]*mlflowRunMeta    // by run directory, read by List
}

// Kind implements Source.
func (s *MLflow) Kind() string { return "mlflow" }

type mlflowExperiment struct {
	ID             string `yaml:"experiment_id"`
	Name           string `yaml:"name"`
	LifecycleStage string `yaml:"lifecycle_stage"`
}

type mlflowRunMeta struct {
	RunID          string `yaml:"run_id"`
	RunUUID        string `yaml:"run_uuid"`
	RunName        string `yaml:"run_name"`
	ExperimentID   string `yaml:"experiment_id"`
	UserID         string `yaml:"user_id"`
	Status         int    `yaml:"status"`
	StartTime      *int64 `yaml:"start_time"`
	EndTime        *int64 `yaml:"end_time"`
	ArtifactURI    string `yaml:"artifact_uri"`
	LifecycleStage string `yaml:"lifecycle_stage"`
	SourceName     string `yaml:"source_name"`
	SourceVersion  string `yaml:"source_version"`
	EntryPointName string `yaml:"entry_point_name"`
}

// MLflow's RunStatus values (mlflow/protos/service.proto) and ours.
var mlflowStatus = map[int]string{
	1: gitstore.StatusRunning,   // RUNNING
	2: gitstore.StatusQueued,    // SCHEDULED
	3: gitstore.StatusCompleted, // FINISHED
	4: gitstore.StatusFailed,    // FAILED
	5: gitstore.StatusCancelled, // KILLED
}

func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: not valid YAML: %v", path, oneLine(err.Error()))
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// List implements Source: every run of every experiment, in experiment then run order.
func (s *MLflow) List() ([]Ref, []string, error) {
	st, err := os.Stat(s.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", s.Root, errText(err))
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory (give the MLflow store, e.g. ./mlruns)", s.Root)
	}
	expDirs, err := s.experimentDirs(s.Root)
	if err != nil {
		return nil, nil, err
	}
	trashed, _ := s.experimentDirs(filepath.Join(s.Root, ".trash"))
	if len(expDirs) == 0 && len(trashed) == 0 {
		return nil, nil, fmt.Errorf("%s is not an MLflow file store: no <experiment>/meta.yaml in it (give the mlruns directory)", s.Root)
	}
	var refs []Ref
	var deletedRuns, deletedExps, empty int
	s.exps, s.runs = map[string]*mlflowExperiment{}, map[string]*mlflowRunMeta{}
	if s.IncludeDeleted {
		expDirs = append(expDirs, trashed...)
	} else {
		deletedExps = len(trashed)
	}
	for _, dir := range expDirs {
		var e mlflowExperiment
		if err := readYAML(filepath.Join(dir, "meta.yaml"), &e); err != nil {
			return nil, nil, err
		}
		if e.LifecycleStage == "deleted" && !s.IncludeDeleted {
			deletedExps++
			continue
		}
		s.exps[dir] = &e
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", dir, errText(err))
		}
		runs := 0
		for _, de := range ents {
			if !de.IsDir() {
				continue
			}
			runDir := filepath.Join(dir, de.Name())
			if _, err := os.Stat(filepath.Join(runDir, "meta.yaml")); err != nil {
				continue // tags/, datasets/, models: not runs
			}
			var m mlflowRunMeta
			if err := readYAML(filepath.Join(runDir, "meta.yaml"), &m); err != nil {
				return nil, nil, err
			}
			id := cmp.Or(m.RunID, m.RunUUID, de.Name())
			if m.LifecycleStage == "deleted" && !s.IncludeDeleted {
				deletedRuns++
				continue
			}
			runs++
			refs = append(refs, Ref{ID: id, Path: runDir})
			s.runs[runDir] = &m
		}
		if runs == 0 {
			empty++
		}
	}
	var notes []string
	if deletedRuns > 0 {
		notes = append(notes, fmt.Sprintf("%d deleted %s skipped (--include-deleted imports them)", deletedRuns, plural(deletedRuns, "run")))
	}
	if deletedExps > 0 {
		notes = append(notes, fmt.Sprintf("%d deleted %s skipped (--include-deleted imports them)", deletedExps, plural(deletedExps, "experiment")))
	}
	if empty > 0 {
		notes = append(notes, fmt.Sprintf("%d %s without runs", empty, plural(empty, "experiment")))
	}
	return refs, notes, nil
}

// experimentDirs are the directories of root holding a meta.yaml, sorted (numerically where ids are numbers).
func (s *MLflow) experimentDirs(root string) ([]string, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %v", root, errText(err))
	}
	var names []string
	for _, de := range ents {
		if de.IsDir() && !strings.HasPrefix(de.Name(), ".") {
			if _, err := os.Stat(filepath.Join(root, de.Name(), "meta.yaml")); err == nil {
				names = append(names, de.Name())
			}
		}
	}
	sort.Slice(names, func(i, j int) bool {
		a, errA := strconv.Atoi(names[i])
		b, errB := strconv.Atoi(names[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return names[i] < names[j]
	})
	dirs := make([]string, len(names))
	for i, n := range names {
		dirs[i] = filepath.Join(root, n)
	}
	return dirs, nil
}

// Load implements Source.
func (s *MLflow) Load(ref Ref) (*Run, error) {
	m, e := s.runs[ref.Path], s.exps[filepath.Dir(ref.Path)]
	if m == nil || e == nil { // a Ref not from List
		m, e = &mlflowRunMeta{}, &mlflowExperiment{}
		if err := readYAML(filepath.Join(ref.Path, "meta.yaml"), m); err != nil {
			return nil, err
		}
		if err := readYAML(filepath.Join(filepath.Dir(ref.Path), "meta.yaml"), e); err != nil {
			return nil, err
		}
	}
	run := &Run{Ref: ref, User: m.UserID, Extra: map[string]string{}}
	status, ok := mlflowStatus[m.Status]
	if !ok {
		return nil, fmt.Errorf("%s: status %d is none of MLflow's (1 RUNNING .. 5 KILLED)", filepath.Join(ref.Path, "meta.yaml"), m.Status)
	}
	run.Status = status
	if m.StartTime != nil {
		run.Started = time.UnixMilli(*m.StartTime)
		run.Created = run.Started
	}
	if m.EndTime != nil && *m.EndTime > 0 {
		run.Ended = time.UnixMilli(*m.EndTime)
	}
	run.Extra["mlflow_experiment"] = e.Name
	run.Extra["mlflow_experiment_id"] = cmp.Or(e.ID, m.ExperimentID)
	if m.LifecycleStage == "deleted" || e.LifecycleStage == "deleted" {
		run.Extra["mlflow_lifecycle_stage"] = "deleted"
	}

	tags, err := readKeyFiles(filepath.Join(ref.Path, "tags"))
	if err != nil {
		return nil, err
	}
	run.Name = cmp.Or(tags["mlflow.runName"], m.RunName, shortID(ref.ID))
	run.Description = tags["mlflow.note.content"]
	run.Commit = strings.ToLower(strings.TrimSpace(cmp.Or(tags["mlflow.source.git.commit"], m.SourceVersion)))
	run.Branch = tags["mlflow.source.git.branch"]
	run.Remote = tags["mlflow.source.git.repoURL"]
	run.Script = cmp.Or(tags["mlflow.source.name"], m.SourceName)
	run.User = cmp.Or(tags["mlflow.user"], run.User)
	if p := tags["mlflow.parentRunId"]; p != "" {
		run.Extra["mlflow_parent_run"] = p
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "mlflow.") {
			continue
		}
		// A user tag with a value is "key=value"; one without (MLflow has no bare tags) is its key.
		if v := tags[k]; v != "" {
			run.Tags = append(run.Tags, k+"="+v)
		} else {
			run.Tags = append(run.Tags, k)
		}
	}

	raw, err := readKeyFiles(filepath.Join(ref.Path, "params"))
	if err != nil {
		return nil, err
	}
	run.Params = make(map[string]any, len(raw))
	for k, v := range raw {
		run.Params[k] = config.ParseValue(v)
	}

	if err := s.readMetrics(run, filepath.Join(ref.Path, "metrics")); err != nil {
		return nil, err
	}
	run.Artifacts = s.artifactDir(run, m.ArtifactURI)
	return run, nil
}

// readKeyFiles reads a directory of one-value files (params/, tags/): a key with '/' is a subdirectory path.
func readKeyFiles(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return filepath.SkipDir
			}
			return fmt.Errorf("%s: %v", path, errText(err))
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: %v", path, errText(err))
		}
		rel, _ := filepath.Rel(dir, path)
		// MLflow writes values without a final newline; one added by hand (an editor, a heredoc) is not part of it.
		out[filepath.ToSlash(rel)] = strings.TrimSuffix(string(data), "\n")
		return nil
	})
	if errors.Is(err, filepath.SkipDir) {
		err = nil
	}
	return out, err
}

// readMetrics reads metrics/<key> files: one point a line, "timestamp value step" (older stores: "timestamp value").
func (s *MLflow) readMetrics(run *Run, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return nil
			}
			return fmt.Errorf("%s: %v", path, errText(err))
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		name := filepath.ToSlash(rel)
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("%s: %v", path, errText(err))
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 4096), 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			p, err := parseMLflowMetric(line)
			if err != nil {
				return fmt.Errorf("%s: line %d: %v", path, n, err)
			}
			p.Name = name
			run.Metrics = append(run.Metrics, p)
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		return nil
	})
}

// parseMLflowMetric parses "timestamp value [step]"; the value is Python's str(float): nan, inf, -inf included.
func parseMLflowMetric(line string) (Point, error) {
	f := strings.Fields(line)
	if len(f) != 2 && len(f) != 3 {
		return Point{}, fmt.Errorf("%q is not \"timestamp value step\"", line)
	}
	ts, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return Point{}, fmt.Errorf("timestamp %q is not an integer (milliseconds)", f[0])
	}
	v, err := strconv.ParseFloat(f[1], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return Point{}, fmt.Errorf("value %q is not a number", f[1])
	}
	p := Point{Time: time.UnixMilli(ts), Value: v}
	if len(f) == 3 {
		if p.Step, err = strconv.ParseInt(f[2], 10, 64); err != nil {
			return Point{}, fmt.Errorf("step %q is not an integer", f[2])
		}
	}
	return p, nil
}

// artifactDir is the run's artifact directory: artifact_uri when it is a local path that exists, else the store's
// own <run>/artifacts (a store that was moved keeps old absolute URIs).
func (s *MLflow) artifactDir(run *Run, uri string) string {
	local := filepath.Join(run.Path, "artifacts")
	if uri != "" {
		p := uri
		if u, err := url.Parse(uri); err == nil && u.Scheme != "" {
			if u.Scheme != "file" {
				run.Warnings = append(run.Warnings, fmt.Sprintf("warning: %s: artifacts at %s are not local: not imported", run.Path, uri))
				return ""
			}
			p = u.Path
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
	}
	if st, err := os.Stat(local); err == nil && st.IsDir() {
		return local
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// errText is an error without the path that the caller puts in front of it.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
