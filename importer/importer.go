// Package importer brings runs recorded by other tools (yanex, MLflow, TensorBoard) into the experiment store, each
// as a first-class experiment: manifest, typed parameters, every metric point, results, logs and artifacts.
//
// A Source lists its runs cheaply and loads one at a time. Import reads every run that is not imported yet, stores
// its objects as it goes (memory does not grow with the number of runs), and records all of them in one commit at
// the end, so an error in any run leaves refs/experiments/main where it was. Each experiment records the source's
// run id in extra.imported_from; a run whose id is in the store already is skipped, so importing twice adds nothing.
package importer

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/thin"
)

// Extra keys an import sets on the manifest.
const (
	// ExtraImportedFrom is "<kind>:<source run id>", e.g. "mlflow:1f2e...".
	ExtraImportedFrom = "imported_from"
	// ExtraNoSnapshot says why an imported experiment has no snapshot (checkout and rerun print it).
	ExtraNoSnapshot = "no_snapshot"
)

// A Source is the store of another tool.
type Source interface {
	// Kind names the tool: "yanex", "mlflow", "tensorboard".
	Kind() string
	// List finds the runs without reading them whole. notes are clauses for the summary line ("2 deleted runs
	// skipped"). A location that is not such a store is an error naming it.
	List() (refs []Ref, notes []string, err error)
	// Load reads one run. A malformed file is an error naming the file and what is wrong.
	Load(ref Ref) (*Run, error)
}

// Ref names one run of a source.
type Ref struct {
	ID   string // the source's own id of the run (unique within the kind)
	Path string // where the run is
}

// Run is one run read from a source, in the terms of a git-exp experiment.
type Run struct {
	Ref
	Name        string
	Description string
	Tags        []string
	Status      string // one of gitstore's statuses
	Created     time.Time
	Started     time.Time
	Ended       time.Time
	Script      string
	Argv        []string
	User        string
	Host        string
	ExitCode    *int
	Error       string
	Commit      string // the git commit the source recorded ("" unknown)
	Branch      string
	Remote      string
	Dirty       bool // the source's worktree had uncommitted changes (the snapshot is then the commit without them)
	Params      map[string]any
	Results     map[string]any // nil: the last value of each metric
	Metrics     []Point
	Stdout      string // path of a file holding the run's standard output ("" none)
	Stderr      string
	Artifacts   string // directory of the run's artifacts ("" none)
	Extra       map[string]string
	Warnings    []string // what could not be imported of this run (said once, on stderr)
}

// Point is one logged value of one metric.
type Point struct {
	Step  int64
	Time  time.Time
	Name  string
	Value any // float64 (NaN and ±Inf included), int, bool or string
}

// InputError is a source that cannot be read: not such a store, an unreadable file, a malformed line.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Options control an import.
type Options struct {
	Tags   []string // added to every imported experiment
	DryRun bool     // read and report, write nothing
	// Start is called once, with the number of runs to read (those not imported yet).
	Start func(total int)
	// Loaded is called after each run is read (and, unless DryRun, stored).
	Loaded func(r *Run)
	// Warn receives one-line warnings.
	Warn func(msg string)
}

// Summary is what an import did.
type Summary struct {
	Kind     string
	Found    int      // runs in the source
	Already  int      // runs imported before (skipped)
	Imported int      // experiments written (or that would be, with DryRun)
	Points   int      // metric points among them
	Notes    []string // the source's notes (runs it skipped and why)
	Commit   string   // the commit that records them ("" when nothing was written)
}

// Import reads src and records its runs in st. Nothing is committed unless every run was read.
func Import(ctx context.Context, st *gitstore.Store, src Source, opt Options) (*Summary, error) {
	warn := opt.Warn
	if warn == nil {
		warn = func(string) {}
	}
	refs, notes, err := src.List()
	if err != nil {
		return nil, &InputError{err}
	}
	sum := &Summary{Kind: src.Kind(), Found: len(refs), Notes: notes}
	seenTip, err := st.Tip()
	if err != nil {
		return nil, err
	}
	done, err := importedRuns(st)
	if err != nil {
		return nil, err
	}
	var todo []Ref
	for _, r := range refs {
		if done[src.Kind()+":"+r.ID] {
			sum.Already++
			continue
		}
		done[src.Kind()+":"+r.ID] = true // a source listing a run twice imports it once
		todo = append(todo, r)
	}
	if opt.Start != nil {
		opt.Start(len(todo))
	}
	var recs []*record
	batch := &blobBatch{st: st}
	snaps := map[string]bool{}
	var parents []string
	for _, ref := range todo {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		run, err := src.Load(ref)
		if err != nil {
			return nil, &InputError{err}
		}
		for _, w := range run.Warnings {
			warn(w)
		}
		sum.Imported++
		sum.Points += len(run.Metrics)
		if !opt.DryRun {
			rec, err := store(ctx, st, batch, src.Kind(), run, opt.Tags)
			if err != nil {
				return nil, err
			}
			recs = append(recs, rec)
			if sn := rec.m.Git.Snapshot; sn != "" && !snaps[sn] {
				snaps[sn] = true
				parents = append(parents, sn)
			}
		}
		if opt.Loaded != nil {
			opt.Loaded(run)
		}
	}
	if opt.DryRun || len(recs) == 0 {
		return sum, nil
	}
	if err := batch.flush(ctx); err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("import %d experiments from %s", len(recs), src.Kind())
	if len(recs) == 1 {
		msg = fmt.Sprintf("import %s %s (from %s)", recs[0].m.ID[:7], recs[0].m.Name, src.Kind())
	}
	err = st.Update(ctx, msg, func(tx *gitstore.Tx) error {
		if err := st.CheckVersion(tx); err != nil {
			return err
		}
		if tx.Tip != seenTip {
			// Another writer moved the store since we looked: a concurrent import of the same source must not
			// make its runs appear twice.
			now, err := importedRuns(st)
			if err != nil {
				return err
			}
			kept := recs[:0:0]
			for _, r := range recs {
				if !now[r.m.Extra[ExtraImportedFrom]] {
					kept = append(kept, r)
				}
			}
			recs, seenTip = kept, tx.Tip
			if len(recs) == 0 {
				return gitstore.ErrNoChange
			}
		}
		for _, r := range recs {
			dir := gitstore.ExpPath(r.m.ID)
			if err := tx.Put(dir+"/params.json", gitstore.TreeEntry{Mode: gitstore.ModeFile, OID: r.params}); err != nil {
				return err
			}
			if err := r.out.Put(tx, r.m.ID); err != nil {
				return err
			}
			m := *r.m
			if err := gitstore.WriteManifest(tx, &m); err != nil {
				return err
			}
		}
		tx.ExtraParents = parents
		return nil
	})
	if err != nil {
		return nil, err
	}
	dropped := sum.Imported - len(recs) // imported meanwhile by another writer
	sum.Already += dropped
	sum.Imported -= dropped
	if len(recs) > 0 {
		sum.Commit, _ = st.Tip()
	}
	return sum, nil
}

// importedRuns is the set of extra.imported_from of every experiment in the store (removed ones included: a run
// removed after its import is not brought back).
func importedRuns(st *gitstore.Store) (map[string]bool, error) {
	exps, err := st.Experiments()
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, e := range exps {
		if from := e.Extra[ExtraImportedFrom]; from != "" {
			done[from] = true
		}
	}
	return done, nil
}

// record is one experiment stored as objects, waiting for the commit.
type record struct {
	m      *gitstore.Manifest
	params string
	out    *gitstore.Prepared
}

// blobBatch gathers small blobs (parameters, metrics, results) of many runs and stores them together: in one pack
// through the store's WriteBlobs when they are many, instead of a loose object file each. It holds at most
// batchBytes, so memory does not grow with the number of runs.
type blobBatch struct {
	st    *gitstore.Store
	datas [][]byte
	dsts  []func(oid string)
	size  int
}

const (
	batchBytes = 8 << 20
	batchCount = 4096
	// bigBlob is the size from which a blob is stored at once rather than batched.
	bigBlob = 8 << 20
)

func (b *blobBatch) add(ctx context.Context, data []byte, dst func(oid string)) error {
	b.datas = append(b.datas, data)
	b.dsts = append(b.dsts, dst)
	b.size += len(data)
	if b.size >= batchBytes || len(b.datas) >= batchCount {
		return b.flush(ctx)
	}
	return nil
}

func (b *blobBatch) flush(ctx context.Context) error {
	if len(b.datas) == 0 {
		return nil
	}
	oids, err := b.st.WriteBlobs(ctx, b.datas)
	if err != nil {
		return err
	}
	for i, oid := range oids {
		b.dsts[i](oid)
	}
	b.datas, b.dsts, b.size = b.datas[:0], b.dsts[:0], 0
	return nil
}

// store writes a run's objects (parameters, metrics, results, logs, artifacts) and builds its manifest. Small blobs
// go through batch: the record is complete once the batch is flushed.
func store(ctx context.Context, st *gitstore.Store, batch *blobBatch, kind string, run *Run, tags []string) (*record, error) {
	rec := &record{}
	params, err := marshalObject(run.Params)
	if err != nil {
		return nil, fmt.Errorf("%s: parameters: %v", run.Path, err)
	}
	tmpDir := filepath.Join(st.ExpDir(), "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, err
	}
	var metrics []byte
	var last map[string]any
	if len(run.Metrics) > 0 {
		if metrics, last, err = appendMetrics(nil, run.Metrics); err != nil {
			return nil, err
		}
	}
	// The files a run's end derives from its metrics file, derived the same way: metrics.summary.json (what
	// --where/--sort read as metrics.NAME) and, for a long series, its chart summary (the first chart of it in
	// git exp ui then reads no series).
	var derived map[string][]byte
	if metrics != nil {
		derived = thin.Derived(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(metrics)), nil }, int64(len(metrics)))
	}
	results := run.Results
	if results == nil {
		results = last
	}
	var resultsJSON []byte
	if len(results) > 0 {
		if resultsJSON, err = marshalObject(results); err != nil {
			return nil, fmt.Errorf("%s: results: %v", run.Path, err)
		}
	}
	none := filepath.Join(tmpDir, "absent") // never created: an empty log
	or := func(p string) string {
		if p == "" {
			return none
		}
		return p
	}
	out, err := st.PrepareOutputs(gitstore.Outputs{
		Spool: gitstore.Spool{Stdout: or(run.Stdout), Stderr: or(run.Stderr), Out: or(run.Artifacts), Metrics: none},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", run.Path, err)
	}
	rec.m, rec.out = manifest(st, kind, run, tags), out
	file := func(name string) func(string) {
		return func(oid string) { out.Entries[name] = gitstore.TreeEntry{Mode: gitstore.ModeFile, OID: oid} }
	}
	if err := batch.add(ctx, params, func(oid string) { rec.params = oid }); err != nil {
		return nil, err
	}
	switch {
	case len(metrics) > bigBlob: // a run of millions of points: stored alone, not held in the batch
		oid, err := st.WriteBlob(metrics)
		if err != nil {
			return nil, err
		}
		file("metrics.jsonl")(oid)
	case metrics != nil:
		if err := batch.add(ctx, metrics, file("metrics.jsonl")); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{thin.SummaryFileName, thin.FileName} {
		switch data := derived[name]; {
		case len(data) > bigBlob:
			oid, err := st.WriteBlob(data)
			if err != nil {
				return nil, err
			}
			file(name)(oid)
		case data != nil:
			if err := batch.add(ctx, data, file(name)); err != nil {
				return nil, err
			}
		}
	}
	if resultsJSON != nil {
		if err := batch.add(ctx, resultsJSON, file("results.json")); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// manifest is the experiment.json of an imported run.
func manifest(st *gitstore.Store, kind string, run *Run, tags []string) *gitstore.Manifest {
	m := &gitstore.Manifest{
		ID: gitstore.NewID(), Name: run.Name, Description: run.Description, Status: run.Status,
		Script: run.Script, Argv: run.Argv, User: run.User, Host: run.Host, ExitCode: run.ExitCode, Error: run.Error,
		Git:     gitstore.GitInfo{Head: run.Commit, Branch: run.Branch, Remote: run.Remote, Dirty: run.Dirty},
		Sources: []gitstore.ParamSource{{Kind: "import", Path: run.Path}},
		Extra:   map[string]string{},
	}
	if m.Status == "" {
		m.Status = gitstore.StatusCompleted
	}
	seen := map[string]bool{}
	for _, t := range append(slices.Clone(run.Tags), tags...) {
		if t != "" && !seen[t] {
			seen[t] = true
			m.Tags = append(m.Tags, t)
		}
	}
	created := run.Created
	for _, t := range []time.Time{run.Started, run.Ended} {
		if created.IsZero() {
			created = t
		}
	}
	if created.IsZero() {
		created = time.Now()
	}
	m.Created = gitstore.FormatTime(created)
	if !run.Started.IsZero() {
		m.Started = gitstore.FormatTime(run.Started)
	}
	if !run.Ended.IsZero() {
		m.Ended = gitstore.FormatTime(run.Ended)
		if !run.Started.IsZero() && !run.Ended.Before(run.Started) {
			m.DurationS = float64(run.Ended.Sub(run.Started).Milliseconds()) / 1000
		}
	}
	maps.Copy(m.Extra, run.Extra)
	m.Extra[ExtraImportedFrom] = kind + ":" + run.ID
	switch {
	case run.Commit == "":
		m.Extra[ExtraNoSnapshot] = fmt.Sprintf("%s recorded no git commit for this run", kind)
	case st.HasCommit(run.Commit):
		m.Git.Snapshot = run.Commit
	default:
		m.Extra[ExtraNoSnapshot] = fmt.Sprintf("commit %s recorded by %s is not in this repository (fetch it, then import again into a fresh store)", short(run.Commit), kind)
	}
	return m
}

func short(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// appendMetrics appends the points as metrics.jsonl, in step order: points of the same step and time (MLflow's
// log_metrics, TensorBoard's scalars of one event) share a line. It also returns the last value of each metric.
func appendMetrics(b []byte, pts []Point) ([]byte, map[string]any, error) {
	slices.SortStableFunc(pts, func(a, b Point) int {
		if c := cmp.Compare(a.Step, b.Step); c != 0 {
			return c
		}
		return a.Time.Compare(b.Time)
	})
	last := map[string]any{}
	var err error
	eachLine(pts, func(line []Point) bool {
		p := line[0]
		b = append(b, `{"step":`...)
		b = appendInt(b, p.Step)
		if !p.Time.IsZero() { // a yanex step without a timestamp has no time
			b = append(b, `,"time":"`...)
			b = append(b, gitstore.FormatTime(p.Time)...)
			b = append(b, '"')
		}
		for _, q := range line {
			name := lineName(q.Name)
			b = append(b, ',')
			b = appendString(b, name)
			b = append(b, ':')
			if b, err = appendValue(b, q.Value); err != nil {
				err = fmt.Errorf("metric %q: %v", q.Name, err)
				return false
			}
			last[name] = q.Value
		}
		b = append(b, "}\n"...)
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	return b, last, nil
}

// eachLine calls fn with the points of each line of metrics.jsonl, in order (pts sorted as appendMetrics sorts
// them): the points that follow one another with one step and time and distinct names. It stops when fn returns
// false.
func eachLine(pts []Point, fn func(line []Point) bool) {
	names := map[string]bool{}
	for i := 0; i < len(pts); {
		p := pts[i]
		clear(names)
		j := i
		for ; j < len(pts) && pts[j].Step == p.Step && pts[j].Time.Equal(p.Time) && !names[pts[j].Name]; j++ {
			names[pts[j].Name] = true
		}
		if !fn(pts[i:j]) {
			return
		}
		i = j
	}
}

// lineName is a metric's name in metrics.jsonl: the names of a point's own step and time take a "_".
func lineName(name string) string {
	if name == "step" || name == "time" {
		return name + "_"
	}
	return name
}
