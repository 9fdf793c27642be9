package importer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

// TensorBoard reads TensorBoard log directories: every directory holding event files (events.out.tfevents.*),
// found recursively, is one run. Scalars (simple_value, and scalar tensors of the "scalars" plugin) become metrics
// with their step and wall time; the HParams plugin's session start info becomes the parameters.
type TensorBoard struct {
	Roots []string
}

// Kind implements Source.
func (s *TensorBoard) Kind() string { return "tensorboard" }

// isEventFile reports whether name is a TensorBoard event file.
func isEventFile(name string) bool { return strings.Contains(name, "tfevents") }

// List implements Source: one run per directory holding event files. The run's id is its absolute path.
func (s *TensorBoard) List() ([]Ref, []string, error) {
	var refs []Ref
	seen := map[string]bool{}
	for _, root := range s.Roots {
		st, err := os.Stat(root)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", root, errText(err))
		}
		if !st.IsDir() {
			return nil, nil, fmt.Errorf("%s is not a directory (give TensorBoard log directories)", root)
		}
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, nil, err
		}
		found := 0
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("%s: %v", path, errText(err))
			}
			if d.IsDir() || !isEventFile(d.Name()) {
				return nil
			}
			found++
			dir := filepath.Dir(path)
			if !seen[dir] {
				seen[dir] = true
				refs = append(refs, Ref{ID: dir, Path: dir})
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if found == 0 {
			return nil, nil, fmt.Errorf("%s holds no TensorBoard event files (events.out.tfevents.*)", root)
		}
	}
	return refs, nil, nil
}

// Load implements Source.
func (s *TensorBoard) Load(ref Ref) (*Run, error) {
	run := &Run{Ref: ref, Status: gitstore.StatusCompleted, Name: s.runName(ref.Path), Extra: map[string]string{}}
	ents, err := os.ReadDir(ref.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", ref.Path, errText(err))
	}
	var files []string
	for _, de := range ents {
		if !de.IsDir() && isEventFile(de.Name()) {
			files = append(files, filepath.Join(ref.Path, de.Name()))
		}
	}
	sort.Strings(files) // their names begin with the creation time
	rs := &tbRun{run: run, plugins: map[string]string{}, first: math.Inf(1), last: math.Inf(-1)}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, errText(err))
		}
		n, err := rs.read(f)
		f.Close()
		var re *RecordError
		switch {
		case errors.As(err, &re):
			run.Warnings = append(run.Warnings, fmt.Sprintf("warning: %s: damaged at %v: imported the %d %s before it", path, re, n, plural(n, "event")))
		case err != nil:
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	if !math.IsInf(rs.first, 0) {
		run.Started = wallTime(rs.first)
		run.Ended = wallTime(rs.last)
	}
	switch rs.endStatus {
	case 2: // FAILURE
		run.Status = gitstore.StatusFailed
	case 3: // RUNNING
		run.Status = gitstore.StatusRunning
		run.Ended = time.Time{}
	}
	run.Params = rs.params
	return run, nil
}

// runName is the run directory relative to the root given (prefixed with the root's own name).
func (s *TensorBoard) runName(dir string) string {
	for _, root := range s.Roots {
		abs, err := filepath.Abs(root)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(abs, dir); err == nil && !strings.HasPrefix(rel, "..") {
			name := filepath.Base(abs)
			if rel != "." {
				name += "/" + filepath.ToSlash(rel)
			}
			return name
		}
	}
	return filepath.Base(dir)
}

func wallTime(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// tbRun gathers the events of one run's files.
type tbRun struct {
	run         *Run
	plugins     map[string]string // tag -> plugin, from the first value of the tag that carried metadata
	params      map[string]any
	endStatus   int
	first, last float64
}

// read reads one event file, returning the number of events read. A damaged record ends the file with a
// *RecordError; what precedes it is kept.
func (rs *tbRun) read(r io.Reader) (int, error) {
	rr := newRecordReader(r)
	n := 0
	for {
		data, err := rr.next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		ev, err := decodeEvent(data)
		if err != nil {
			return n, &RecordError{rr.off, "not an Event message: " + err.Error()}
		}
		rs.add(ev)
		n++
	}
}

func (rs *tbRun) add(ev *event) {
	if len(ev.Values) > 0 && ev.WallTime > 0 {
		rs.first = min(rs.first, ev.WallTime)
		rs.last = max(rs.last, ev.WallTime)
	}
	for _, v := range ev.Values {
		plugin := v.Plugin
		if plugin != "" {
			if _, ok := rs.plugins[v.Tag]; !ok {
				rs.plugins[v.Tag] = plugin
			}
		} else {
			plugin = rs.plugins[v.Tag]
		}
		switch {
		case plugin == "hparams":
			params, status, err := decodeHParams(v.Content)
			if err != nil {
				rs.run.Warnings = append(rs.run.Warnings, fmt.Sprintf("warning: %s: hyperparameters of tag %q are malformed: %v", rs.run.Path, v.Tag, err))
				continue
			}
			for k, x := range params {
				if rs.params == nil {
					rs.params = map[string]any{}
				}
				rs.params[k] = x
			}
			if status != 0 {
				rs.endStatus = status
			}
		case v.HasSimple:
			rs.point(ev, v.Tag, float32Value(v.Simple))
		case v.Tensor != nil && (plugin == "scalars" || plugin == ""):
			if x, ok := v.Tensor.scalar(); ok {
				rs.point(ev, v.Tag, x)
			}
		}
	}
}

func (rs *tbRun) point(ev *event, tag string, v any) {
	rs.run.Metrics = append(rs.run.Metrics, Point{Step: ev.Step, Time: wallTime(ev.WallTime), Name: tag, Value: v})
}
