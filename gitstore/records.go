package gitstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Spool is where a running experiment's output is written before it is stored (under the git dir, so a crash
// leaves it for the next command to store).
type Spool struct {
	Dir     string
	Stdout  string
	Stderr  string
	Out     string // GIT_EXP_OUT
	Metrics string // GIT_EXP_METRICS
	Results string // GIT_EXP_RESULTS
	Params  string // GIT_EXP_PARAMS
}

// SpoolFor returns the spool of an experiment (not created).
func (r *Repo) SpoolFor(id string) Spool {
	d := filepath.Join(r.ExpDir(), "runs", id)
	return Spool{
		Dir: d, Stdout: filepath.Join(d, "stdout"), Stderr: filepath.Join(d, "stderr"),
		Out: filepath.Join(d, "out"), Metrics: filepath.Join(d, "metrics.jsonl"),
		Results: filepath.Join(d, "results.json"), Params: filepath.Join(d, "params.json"),
	}
}

// Create records a new experiment: experiment.json and params.json, with its snapshot commit as an extra parent of
// the commit, so that gc, push and fetch keep the code with the experiment.
func (s *Store) Create(ctx context.Context, verb string, m *Manifest, params []byte) error {
	if m.Format == 0 {
		m.Format = FormatVersion
	}
	paramsOID, err := s.WriteBlob(params)
	if err != nil {
		return err
	}
	return s.Update(ctx, fmt.Sprintf("%s %s %s", verb, m.ID[:7], m.Name), func(tx *Tx) error {
		if err := s.CheckVersion(tx); err != nil {
			return err
		}
		if _, exists, err := tx.Entry(ExpPath(m.ID) + "/experiment.json"); err != nil || exists {
			if err == nil {
				err = fmt.Errorf("experiment %s exists already", m.ID)
			}
			return err
		}
		if err := tx.Put(ExpPath(m.ID)+"/params.json", TreeEntry{Mode: ModeFile, OID: paramsOID}); err != nil {
			return err
		}
		if m.Git.Snapshot != "" {
			tx.ExtraParents = []string{m.Git.Snapshot}
		}
		return WriteManifest(tx, m)
	})
}

// Outputs is what a finished run leaves to store.
type Outputs struct {
	Spool          Spool
	Results        []byte // results.json content; nil for none
	MetricsSummary []byte // metrics.summary.json: {"metric": {"last", "min", "max"}}; nil for none
	// ResultsFrom and MetricsFilesFrom, when set, compute Results and the files derived from the metrics file (by
	// name in the experiment's directory, nil for none: metrics.summary.json, and the chart summary of a long series)
	// while the other outputs are being stored: reading a long metrics file and compressing it take about as long,
	// and overlap on two cores. MetricsFilesFrom's files take the place of MetricsSummary.
	ResultsFrom      func() []byte
	MetricsFilesFrom func() map[string][]byte
	MaxArtifactSize  int64 // files above it are left out (0: no limit)
	Warn             func(format string, args ...any)
}

// Prepared are the stored objects of a run's outputs, ready to be put into an experiment's directory.
type Prepared struct {
	Entries map[string]TreeEntry // path inside the experiment directory -> entry
	Skipped []string
}

// PrepareOutputs stores a run's outputs as objects — logs compressed with zstd, artifacts and metrics streamed — before
// the commit that references them, so that a retried commit does not redo the work.
func (s *Store) PrepareOutputs(o Outputs) (*Prepared, error) {
	p := &Prepared{Entries: map[string]TreeEntry{}}
	// The metrics file (often the largest output), the results and the summary are made on goroutines of their own,
	// the logs and the artifacts on this one.
	var (
		wg         sync.WaitGroup
		metricsOID string
		metricsErr error
		results    = o.Results
		derived    = map[string][]byte{"metrics.summary.json": o.MetricsSummary}
	)
	if st, err := os.Stat(o.Spool.Metrics); err == nil && st.Size() > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			metricsOID, metricsErr = s.WriteFileBlob(o.Spool.Metrics)
		}()
	}
	if o.ResultsFrom != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results = o.ResultsFrom()
		}()
	}
	if o.MetricsFilesFrom != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			derived = o.MetricsFilesFrom()
		}()
	}
	defer wg.Wait()
	for name, src := range map[string]string{"stdout.zst": o.Spool.Stdout, "stderr.zst": o.Spool.Stderr} {
		oid, err := s.compressFile(src)
		if err != nil {
			return nil, err
		}
		p.Entries[name] = TreeEntry{Mode: ModeFile, OID: oid}
	}
	var left leftOut
	tree, err := s.storeDir(o.Spool.Out, "", o.MaxArtifactSize, &left)
	if err != nil {
		return nil, fmt.Errorf("storing artifacts: %w", err)
	}
	if o.Warn != nil {
		if len(left.large) > 0 {
			o.Warn("warning: %d artifact(s) larger than exp.maxArtifactSize (%d bytes) were not stored: %s (raise it with 'git config exp.maxArtifactSize 1g')",
				len(left.large), o.MaxArtifactSize, strings.Join(left.large, ", "))
		}
		if len(left.refused) > 0 {
			o.Warn("warning: %d artifact(s) were not stored because git refuses their paths (a .git component): %s",
				len(left.refused), strings.Join(left.refused, ", "))
		}
		if len(left.special) > 0 {
			o.Warn("warning: %d artifact(s) were not stored because they are not regular files, directories or symlinks (FIFOs, sockets, devices): %s",
				len(left.special), strings.Join(left.special, ", "))
		}
	}
	p.Skipped = left.large
	if tree != "" {
		p.Entries["artifacts"] = TreeEntry{Mode: ModeTree, OID: tree}
	}
	wg.Wait()
	if metricsErr != nil {
		return nil, metricsErr
	}
	if metricsOID != "" {
		p.Entries["metrics.jsonl"] = TreeEntry{Mode: ModeFile, OID: metricsOID}
	}
	if results != nil {
		oid, err := s.WriteBlob(results)
		if err != nil {
			return nil, err
		}
		p.Entries["results.json"] = TreeEntry{Mode: ModeFile, OID: oid}
	}
	for name, data := range derived {
		if data == nil {
			continue
		}
		if strings.ContainsAny(name, "/\\") || name == "" || p.Entries[name].OID != "" {
			return nil, fmt.Errorf("storing outputs: %q is not a file name of its own", name)
		}
		oid, err := s.WriteBlob(data)
		if err != nil {
			return nil, err
		}
		p.Entries[name] = TreeEntry{Mode: ModeFile, OID: oid}
	}
	return p, nil
}

// Put writes prepared entries into the experiment's directory.
func (p *Prepared) Put(tx *Tx, id string) error {
	names := make([]string, 0, len(p.Entries))
	for n := range p.Entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tx.Put(ExpPath(id)+"/"+n, p.Entries[n]); err != nil {
			return err
		}
	}
	return nil
}

// compressFile stores a zstd-compressed copy of a file (an empty stream when it does not exist), streamed through
// a temporary file so memory stays small whatever the size.
func (s *Store) compressFile(path string) (string, error) {
	var src io.Reader = strings.NewReader("")
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		src = f
		// Small outputs (most runs) are compressed in memory, with no temporary file.
		if st, err := f.Stat(); err == nil && st.Size() <= smallOutput {
			data, err := io.ReadAll(f)
			if err != nil {
				return "", err
			}
			return s.WriteBlob(smallEncoder().EncodeAll(data, nil))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	} else {
		return s.WriteBlob(smallEncoder().EncodeAll(nil, nil))
	}
	tmp, err := s.compressToTemp(src)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	oid, err := s.WriteFileBlob(tmp)
	if err == nil {
		// The temporary file goes: to write the blob again after a prune, compress the output again (same
		// settings, same bytes).
		s.objs.note(oid, "blob", nil, "")
		s.objs.setRebuild(oid, func() (string, func(), error) {
			f, err := os.Open(path)
			if err != nil {
				return "", nil, err
			}
			defer f.Close()
			tmp, err := s.compressToTemp(f)
			return tmp, func() { os.Remove(tmp) }, err
		})
	}
	return oid, err
}

// compressToTemp writes a zstd-compressed copy of src to a temporary file and returns its path.
func (s *Store) compressToTemp(src io.Reader) (string, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.ExpDir(), "tmp"), "zst-")
	if errors.Is(err, os.ErrNotExist) {
		os.MkdirAll(filepath.Join(s.ExpDir(), "tmp"), 0o755)
		tmp, err = os.CreateTemp(filepath.Join(s.ExpDir(), "tmp"), "zst-")
	}
	if err != nil {
		return "", err
	}
	defer tmp.Close()
	zw, err := zstd.NewWriter(tmp, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
	if err == nil {
		if _, err = io.Copy(zw, src); err != nil {
			zw.Close()
		} else {
			err = zw.Close()
		}
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

const smallOutput = 4 << 20

var smallEnc struct {
	once sync.Once
	enc  *zstd.Encoder
}

// smallEncoder is one encoder shared by EncodeAll calls (safe for concurrent use), with the same settings as the
// streaming path, so both produce the same frames' format.
func smallEncoder() *zstd.Encoder {
	smallEnc.once.Do(func() {
		smallEnc.enc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
	})
	return smallEnc.enc
}

// storeDir stores a directory tree as git trees: regular files as blobs (executable bit kept), symbolic links as
// links (never followed), other file types ignored. Returns "" for a missing or empty directory.
func (s *Store) storeDir(dir, rel string, maxSize int64, left *leftOut) (string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var tree []TreeEntry
	for _, de := range ents {
		path := filepath.Join(dir, de.Name())
		relPath := de.Name()
		if rel != "" {
			relPath = rel + "/" + de.Name()
		}
		t := de.Type()
		if CheckArtifactPath(relPath, t&fs.ModeSymlink != 0) != nil {
			left.refused = append(left.refused, relPath)
			continue
		}
		switch {
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return "", err
			}
			oid, err := s.WriteBlob([]byte(target))
			if err != nil {
				return "", err
			}
			tree = append(tree, TreeEntry{Mode: ModeSymlink, Name: de.Name(), OID: oid})
		case t.IsDir():
			sub, err := s.storeDir(path, relPath, maxSize, left)
			if err != nil {
				return "", err
			}
			if sub != "" {
				tree = append(tree, TreeEntry{Mode: ModeTree, Name: de.Name(), OID: sub})
			}
		case t.IsRegular():
			info, err := de.Info()
			if err != nil {
				return "", err
			}
			if maxSize > 0 && info.Size() > maxSize {
				left.large = append(left.large, relPath)
				continue
			}
			oid, err := s.WriteFileBlob(path)
			if err != nil {
				return "", err
			}
			mode := ModeFile
			if info.Mode()&0o111 != 0 {
				mode = ModeExec
			}
			tree = append(tree, TreeEntry{Mode: mode, Name: de.Name(), OID: oid})
		default:
			left.special = append(left.special, relPath)
		}
	}
	if len(tree) == 0 {
		return "", nil
	}
	return s.WriteTree(tree)
}

// leftOut collects what storeDir did not store, for one warning each.
type leftOut struct {
	large   []string // above the size limit
	refused []string // paths git refuses (CheckArtifactPath)
	special []string // FIFOs, sockets, devices
}

// Finish stores a run's outputs and lets mutate set the final state of the manifest, in one commit. mutate sees the
// manifest as it is at the tip and may return ErrNoChange to record nothing (someone else finished it first).
func (s *Store) Finish(ctx context.Context, verb, id string, p *Prepared, mutate func(m *Manifest) error) error {
	return s.Update(ctx, fmt.Sprintf("%s %s", verb, id[:7]), func(tx *Tx) error {
		m, err := ReadManifest(tx, id)
		if err != nil {
			return err
		}
		if err := mutate(m); err != nil {
			return err
		}
		tx.label = fmt.Sprintf("%s %s %s", verb, id[:7], m.Name)
		if p != nil {
			if err := p.Put(tx, id); err != nil {
				return err
			}
		}
		return WriteManifest(tx, m)
	})
}

// Edit changes an experiment's manifest in one commit.
func (s *Store) Edit(ctx context.Context, verb, id string, mutate func(m *Manifest) error) error {
	return s.Finish(ctx, verb, id, nil, mutate)
}

// Batch is batches/<id>.json: one manifest per sweep or staged batch.
type Batch struct {
	ID       string   `json:"id"`
	Created  string   `json:"created"`
	Command  []string `json:"command"`
	Snapshot string   `json:"snapshot"`
	Runs     []string `json:"runs"`
	Executor string   `json:"executor"`
	User     string   `json:"user"`
	Host     string   `json:"host"`
}

// NewRecord is one experiment to create.
type NewRecord struct {
	Manifest *Manifest
	Params   []byte
}

// CreateBatch records several experiments and their batch manifest in one commit (with the snapshot commits as
// extra parents), so a grid of 1,000 runs costs one ref update, not 1,000.
func (s *Store) CreateBatch(ctx context.Context, verb string, b *Batch, recs []NewRecord) error {
	oids := make([]string, len(recs))
	snaps := map[string]bool{}
	var parents []string
	for i, r := range recs {
		oid, err := s.WriteBlob(r.Params)
		if err != nil {
			return err
		}
		oids[i] = oid
		if sn := r.Manifest.Git.Snapshot; sn != "" && !snaps[sn] {
			snaps[sn] = true
			parents = append(parents, sn)
		}
	}
	batchJSON, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return s.Update(ctx, fmt.Sprintf("%s batch %s (%d experiments)", verb, b.ID[:7], len(recs)), func(tx *Tx) error {
		if err := s.CheckVersion(tx); err != nil {
			return err
		}
		for i, r := range recs {
			if err := tx.Put(ExpPath(r.Manifest.ID)+"/params.json", TreeEntry{Mode: ModeFile, OID: oids[i]}); err != nil {
				return err
			}
			if err := WriteManifest(tx, r.Manifest); err != nil {
				return err
			}
		}
		tx.ExtraParents = parents
		return tx.WriteBlob("batches/"+b.ID+".json", append(batchJSON, '\n'))
	})
}

// Batches reads every batch manifest at the tip.
func (s *Store) Batches() ([]*Batch, error) {
	_, tree, err := s.TipTree()
	if err != nil || tree == "" {
		return nil, err
	}
	obj, err := s.cat.Get(tree + ":batches")
	if err != nil {
		return nil, nil
	}
	ents, err := decodeTree(obj.Data, s.HexLen())
	if err != nil {
		return nil, err
	}
	oids := make([]string, len(ents))
	for i, e := range ents {
		oids[i] = e.OID
	}
	objs, err := s.cat.GetMany(oids)
	if err != nil {
		return nil, err
	}
	var out []*Batch
	for _, o := range objs {
		var b Batch
		if json.Unmarshal(o.Data, &b) == nil && b.ID != "" {
			out = append(out, &b)
		}
	}
	return out, nil
}
