package gitstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/git-exp/git-exp/internal/gitcmd"
	"github.com/git-exp/git-exp/value"
)

// Experiment is what the readers know of one experiment: its manifest with every note applied, and its parameters
// and results as raw JSON (decoded on demand, so a listing of 100,000 experiments decodes only what it shows).
type Experiment struct {
	Manifest
	ParamsJSON  []byte
	ResultsJSON []byte
	Notes       []Note
	Archived    bool
	Deleted     bool
	TreeOID     string // the experiment's directory in the store
	// Doc is the documented --json object (README "--json fields") without short_id, built once when the
	// experiment is read from git and kept in the cache, so listings print it without encoding anything.
	Doc []byte
	// ParamsKV and ResultsKV are the flattened "k=v k=v" forms that tables show.
	ParamsKV, ResultsKV string
	// ShortID is the shortest unique prefix (at least 7 digits) among every experiment in the store.
	ShortID string
	// ParamsTop and ResultsTop are the top-level values of params and results, typed (top.go).
	ParamsTop, ResultsTop []byte
	// MetricsJSON is metrics.summary.json: each metric's last, min and max value, for filters and sorts on
	// metrics.NAME even when the script wrote explicit results.
	MetricsJSON []byte
}

// docView is the shape of Doc; params and results follow it (see finishLoad).
type docView struct {
	Manifest
	Archived bool `json:"archived"`
}

// finishLoad computes what readers show of an experiment read from git.
func (e *Experiment) finishLoad() {
	e.applyNotes()
	if e.Attempt == 0 && e.Started != "" {
		e.Attempt = 1 // recorded by a version that left a staged experiment's first run at 0: attempts count from 1
	}
	v := docView{Manifest: e.Manifest, Archived: e.Archived}
	v.Runner = nil
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if v.Argv == nil {
		v.Argv = []string{}
	}
	if v.Git.Skipped == nil {
		v.Git.Skipped = []string{}
	}
	// Each JSON is decoded once, for the document and both precomputed forms. value.Unmarshal reads what a
	// script wrote (NaN, Infinity, 1e400 included); a file that is not JSON at all shows as {} (its bytes stay in
	// the store).
	params, presults := map[string]any{}, map[string]any{}
	if x, err := value.Unmarshal(e.ParamsJSON); err == nil && len(e.ParamsJSON) > 0 {
		e.ParamsKV, e.ParamsTop = value.CompactKV(value.Flatten(x)), encodeTop(x)
		if m, ok := x.(map[string]any); ok {
			params = m
		}
	}
	if x, err := value.Unmarshal(e.ResultsJSON); err == nil && len(e.ResultsJSON) > 0 {
		e.ResultsKV, e.ResultsTop = value.CompactKV(value.Flatten(x)), encodeTop(x)
		if m, ok := x.(map[string]any); ok {
			presults = m
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		doc := bytes.TrimRight(b.Bytes(), "\n")
		doc = append(doc[:len(doc)-1], `,"params":`...)
		doc, perr := value.AppendJSON(doc, params)
		doc = append(doc, `,"results":`...)
		doc, rerr := value.AppendJSON(doc, presults)
		if perr == nil && rerr == nil {
			e.Doc = append(doc, '}')
		}
	}
	e.Notes = nil // applied; the cache does not keep them
}

// Note is one append-only edit (notes/<op-id>.json).
type Note struct {
	ID    string   `json:"id"`
	Op    string   `json:"op"` // tag, untag, rename, describe, archive, unarchive, delete
	Tags  []string `json:"tags,omitempty"`
	Value string   `json:"value,omitempty"`
	Time  string   `json:"time"`
	User  string   `json:"user,omitempty"`
	Host  string   `json:"host,omitempty"`
}

// apply applies notes in order of time (then id), so every clone computes the same state.
func (e *Experiment) applyNotes() {
	sort.Slice(e.Notes, func(i, j int) bool {
		if e.Notes[i].Time != e.Notes[j].Time {
			return e.Notes[i].Time < e.Notes[j].Time
		}
		return e.Notes[i].ID < e.Notes[j].ID
	})
	for _, n := range e.Notes {
		switch n.Op {
		case "tag":
			for _, t := range n.Tags {
				if !slices.Contains(e.Tags, t) {
					e.Tags = append(e.Tags, t)
				}
			}
		case "untag":
			var keep []string
			for _, t := range e.Tags {
				if !slices.Contains(n.Tags, t) {
					keep = append(keep, t)
				}
			}
			e.Tags = keep
		case "rename":
			e.Name = n.Value
		case "describe":
			e.Description = n.Value
		case "archive":
			e.Archived = true
		case "unarchive":
			e.Archived = false
		case "delete":
			e.Deleted = true
		}
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
}

// cacheFile is the disposable local index of experiment summaries, keyed by tree ids so that it is brought up to
// date by reading only what changed between the cached tip and the new one.
//
// On disk it is a base file (cache-v11, every experiment) and a delta (cache-v11.delta: what changed since the base,
// for that base only). A run adds one experiment to a store of 100,000: writing the delta costs a few kilobytes where
// rewriting the base cost 160 MB and a second. The base is rewritten when the delta grows past a fraction of it.
type cacheFile struct {
	Tip      string
	RootTree string
	Fanout   map[string]string // fan-out directory name -> tree id
	List     []*Experiment     // newest first, as listings want them
	// BaseID names the base file the state was read from (random, in its header; a delta names the base it
	// applies to), and base holds that file's experiments: an experiment still in base is unchanged since.
	BaseID string
	base   []Experiment
}

// baseIndex is the position of e in the base file's experiments, -1 when e is not one of them (it was read since).
func (c *cacheFile) baseIndex(e *Experiment) int {
	if len(c.base) == 0 {
		return -1
	}
	p, lo := uintptr(unsafe.Pointer(e)), uintptr(unsafe.Pointer(&c.base[0]))
	if p < lo || p >= lo+uintptr(len(c.base))*unsafe.Sizeof(Experiment{}) {
		return -1
	}
	return int((p - lo) / unsafe.Sizeof(Experiment{}))
}

// inBase reports whether e is an experiment of the base file, unchanged.
func (c *cacheFile) inBase(e *Experiment) bool { return c.baseIndex(e) >= 0 }

// fanIndex is the index of a fan-out directory name ("00".."ff") in a [256] table; -1 for another name.
func fanIndex(name string) int {
	if len(name) < 2 {
		return -1
	}
	hi, lo := unhex(name[0]), unhex(name[1])
	if hi < 0 || lo < 0 {
		return -1
	}
	return hi<<4 | lo
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// order makes List the kept experiments (in order) with the added ones merged in, newest first, and brings short
// ids up to date: only those that share their first 7 characters with an id that came or went can change.
func (c *cacheFile) order(kept, added []*Experiment, touched []string) {
	SortNewest(added)
	c.List = mergeNewest(kept, added)
	var group []int
	if len(touched) > len(c.List)/8 {
		group = make([]int, len(c.List))
		for i := range group {
			group[i] = i
		}
	} else if len(touched) > 0 {
		prefixes := make(map[string]bool, len(touched))
		for _, id := range touched {
			prefixes[id[:min(7, len(id))]] = true
		}
		for i, e := range c.List {
			if prefixes[e.ID[:min(7, len(e.ID))]] {
				group = append(group, i)
			}
		}
	}
	ids := make([]string, len(group))
	for k, i := range group {
		ids[k] = c.List[i].ID
	}
	for k, short := range shortIDsOf(ids) {
		i := group[k]
		if e := c.List[i]; e.ShortID != short {
			if c.inBase(e) { // the base stays as it was read: the changed copy goes to the delta
				cp := *e
				e = &cp
				c.List[i] = e
			}
			e.ShortID = short
		}
	}
}

// CompareNewest orders experiments as listings show them: newest first, by creation time, then by id (both
// descending). It is negative when a comes first.
func CompareNewest(a, b *Experiment) int {
	if c := strings.Compare(b.Created, a.Created); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// mergeNewest merges two lists sorted newest first.
func mergeNewest(a, b []*Experiment) []*Experiment {
	if len(b) == 0 {
		return a
	}
	out := make([]*Experiment, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if CompareNewest(b[0], a[0]) < 0 {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// SortNewest sorts as listings show experiments (CompareNewest).
func SortNewest(exps []*Experiment) { slices.SortFunc(exps, CompareNewest) }

const cacheVersion = 11

func (s *Store) cachePath() string {
	return filepath.Join(s.ExpDir(), "cache-v"+strconv.Itoa(cacheVersion))
}
func (s *Store) deltaPath() string { return s.cachePath() + ".delta" }

func (s *Store) loadCache() *cacheFile {
	c := s.loadBase()
	if c == nil {
		return &cacheFile{}
	}
	if data, err := os.ReadFile(s.deltaPath()); err == nil {
		if d, err := decodeDelta(data); err == nil && d.BaseID == c.BaseID {
			c.apply(d)
		}
	}
	return c
}

// loadBase returns the base cache file, decoded: mapped and decoded once per file for the life of the Store (the
// file is only ever replaced, by rename), so a long-lived reader (git exp ui) that reads the store again whenever it
// moves neither maps the file again nor decodes it again. The caller gets its own copy of the state; the
// experiments in it are shared and never modified (order copies one before changing it). Nil when there is none.
func (s *Store) loadBase() *cacheFile {
	path := s.cachePath()
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	s.baseMu.Lock()
	defer s.baseMu.Unlock()
	if s.baseDec == nil || !os.SameFile(fi, s.baseFile) || fi.Size() != s.baseFile.Size() || !fi.ModTime().Equal(s.baseFile.ModTime()) {
		data, err := mapFile(path)
		if err != nil {
			return nil
		}
		c, err := decodeCache(data)
		if err != nil {
			return nil
		}
		s.baseFile, s.baseDec = fi, c
	}
	c := *s.baseDec
	c.List = slices.Clone(c.List)
	return &c
}

// apply brings a base up to its delta.
func (c *cacheFile) apply(d *cacheDelta) {
	drop := make(map[string]bool, len(d.Dropped)+len(d.List))
	for _, id := range d.Dropped {
		drop[id] = true
	}
	for _, e := range d.List { // a replaced experiment is among Dropped too; this keeps any delta from doubling one
		drop[e.ID] = true
	}
	kept := make([]*Experiment, 0, len(c.List))
	for _, e := range c.List {
		if !drop[e.ID] {
			kept = append(kept, e)
		}
	}
	c.List = mergeNewest(kept, d.List)
	c.Tip, c.RootTree, c.Fanout = d.Tip, d.RootTree, d.Fanout
}

// saveCache writes what changed since the base as the delta, or a new base when the delta would be large (or there
// is no base). Both are written to a temporary file and renamed: a reader sees a whole file, and ignores a delta
// written for another base.
func (s *Store) saveCache(c *cacheFile) {
	if err := os.MkdirAll(s.ExpDir(), 0o755); err != nil {
		return
	}
	if c.BaseID != "" && len(c.base) > 0 {
		d := &cacheDelta{BaseID: c.BaseID, Tip: c.Tip, RootTree: c.RootTree, Fanout: c.Fanout}
		present := make([]bool, len(c.base))
		for _, e := range c.List {
			if i := c.baseIndex(e); i >= 0 {
				present[i] = true
			} else {
				d.List = append(d.List, e)
			}
		}
		for i := range c.base {
			if !present[i] {
				d.Dropped = append(d.Dropped, c.base[i].ID)
			}
		}
		if len(d.List)+len(d.Dropped) <= max(deltaMinEntries, len(c.base)/16) {
			writeFileAtomic(s.ExpDir(), s.deltaPath(), encodeDelta(d))
			return
		}
	}
	c.BaseID = NewID()
	if !writeFileAtomic(s.ExpDir(), s.cachePath(), encodeCache(c)) {
		return
	}
	os.Remove(s.deltaPath()) // it was for the old base (a reader would ignore it anyway)
	// Caches of other format versions are of no use to this one (and may be large).
	old, _ := filepath.Glob(filepath.Join(s.ExpDir(), "cache-v*"))
	old = append(old, filepath.Join(s.ExpDir(), "cache.gob"))
	for _, p := range old {
		if p != s.cachePath() && p != s.deltaPath() {
			os.Remove(p)
		}
	}
}

// deltaMinEntries is the size a delta may always reach before the base is rewritten; past it, a sixteenth of the
// base.
var deltaMinEntries = 512

// writeFileAtomic writes data to path through a temporary file in dir and a rename.
func writeFileAtomic(dir, path string, data []byte) bool {
	f, err := os.CreateTemp(dir, "cache-")
	if err != nil {
		return false
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return false
	}
	return true
}

// Experiments returns every experiment in the store (deleted ones included, flagged), in no particular order. A warm
// call reads one cache file and opens no git object.
func (s *Store) Experiments() ([]*Experiment, error) {
	tip, err := s.Tip()
	if err != nil {
		return nil, err
	}
	c := s.loadCache()
	if tip == "" && c.Tip != "" {
		return nil, s.refGone(c.Tip)
	}
	if tip != c.Tip {
		if err := s.refreshCache(c, tip); err != nil {
			return nil, err
		}
		s.saveCache(c)
	}
	return append([]*Experiment(nil), c.List...), nil
}

// refGone is the error for a store whose ref was deleted while its cache (which remembers the last tip) remains:
// rather than list nothing, say so and how to get the experiments back.
func (s *Store) refGone(last string) error {
	msg := fmt.Sprintf("%s is gone (it was at %s when git-exp last read it)", s.Ref, short(last))
	if obj, err := s.cat.Get(last); err == nil && obj.Type == "commit" {
		msg += fmt.Sprintf(": restore it with 'git update-ref %s %s'", s.Ref, last)
		if out, err := s.Git.Run(context.Background(), "for-each-ref", "--count=1", "--format=%(refname)", "refs/experiments/remotes/"); err == nil && len(out) > 0 {
			msg += ", or get the shared experiments back with 'git exp pull'"
		}
	} else if out, err := s.Git.Run(context.Background(), "for-each-ref", "--count=1", "--format=%(refname)", "refs/experiments/remotes/"); err == nil && len(out) > 0 {
		msg += ": its commits are gone too; get the shared experiments back with 'git exp pull'"
	} else {
		msg += ": its commits are gone too (see 'git fsck --lost-found')"
	}
	return fmt.Errorf("%s; to start a new, empty store instead, delete %s", msg, s.ExpDir())
}

func (s *Store) refreshCache(c *cacheFile, tip string) error {
	if tip == "" {
		*c = cacheFile{}
		return nil
	}
	obj, err := s.cat.Get(tip)
	if err != nil {
		return fmt.Errorf("%s points to a missing commit: %w", s.Ref, err)
	}
	rootTree, err := commitTree(obj.Data)
	if err != nil {
		return err
	}
	root, err := s.readTree(rootTree)
	if err != nil {
		return err
	}
	for _, e := range root {
		if e.Name == "VERSION" {
			if v, err := s.cat.Get(e.OID); err == nil && strings.TrimSpace(string(v.Data)) != fmt.Sprint(FormatVersion) {
				return fmt.Errorf("%s is in storage format %s; this git-exp reads format %d: upgrade git-exp",
					s.Ref, strings.TrimSpace(string(v.Data)), FormatVersion)
			}
		}
	}
	// Fan-out directories that changed.
	newFan := map[string]string{}
	var changed []TreeEntry
	for _, e := range root {
		if e.isTree() && isFanout(e.Name) {
			newFan[e.Name] = e.OID
			if c.Fanout[e.Name] != e.OID {
				changed = append(changed, e)
			}
		}
	}
	oids := make([]string, len(changed))
	for i, e := range changed {
		oids[i] = e.OID
	}
	fanTrees, err := s.cat.GetMany(oids)
	if err != nil {
		return err
	}
	// The cached experiments of the changed fan-out directories, by id; the others stay as they are.
	var redo [256]bool // fan-out directories changed or gone
	for name := range c.Fanout {
		if i := fanIndex(name); i >= 0 && c.Fanout[name] != newFan[name] {
			redo[i] = true
		}
	}
	for _, e := range changed {
		if i := fanIndex(e.Name); i >= 0 {
			redo[i] = true
		}
	}
	inRedo := func(id string) bool { i := fanIndex(id); return i < 0 || redo[i] }
	old := map[string]*Experiment{}
	for _, e := range c.List {
		if inRedo(e.ID) {
			old[e.ID] = e
		}
	}
	want := map[string]string{} // id -> tree, to read
	keep := map[string]bool{}   // cached and unchanged, in a changed directory
	for i, ft := range fanTrees {
		ents, err := decodeTree(ft.Data, s.HexLen())
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !e.isTree() || !ValidID(e.Name) || e.Name[:2] != changed[i].Name {
				continue
			}
			if o, ok := old[e.Name]; ok && o.TreeOID == e.OID {
				keep[e.Name] = true
			} else {
				want[e.Name] = e.OID
			}
		}
	}
	exps, err := s.loadExperiments(want)
	if err != nil {
		return err
	}
	kept := make([]*Experiment, 0, len(c.List)+len(exps))
	var touched []string // ids that came, went or changed
	for _, e := range c.List {
		if !inRedo(e.ID) || keep[e.ID] {
			kept = append(kept, e)
		} else {
			touched = append(touched, e.ID)
		}
	}
	added := make([]*Experiment, 0, len(exps))
	for id, e := range exps {
		added = append(added, e)
		touched = append(touched, id)
	}
	c.order(kept, added, touched)
	c.Tip, c.RootTree, c.Fanout = tip, rootTree, newFan
	return nil
}

func isFanout(name string) bool {
	return len(name) == 2 && strings.Trim(name, "0123456789abcdef") == ""
}

// loadBatch is how many experiments loadExperiments reads at once: the raw objects of one batch are garbage once
// it is decoded, so a cold listing holds what it keeps plus one batch, not every object of the store.
const loadBatch = 4096

// loadExperiments reads experiment directories (id -> tree id), pipelining the object reads level by level, a batch
// at a time.
func (s *Store) loadExperiments(want map[string]string) (map[string]*Experiment, error) {
	ids := make([]string, 0, len(want))
	oids := make([]string, 0, len(want))
	for id, oid := range want {
		ids = append(ids, id)
		oids = append(oids, oid)
	}
	if len(ids) > loadBatch {
		// Many objects are read and dropped: the collector runs from here on, without the memory limit readers
		// start with (cli's shortReader: collector off, 2 GiB limit). A store whose experiments alone pass the
		// limit (1,000,000 of them) would otherwise be collected over and over, the limiter keeping the collector
		// busy for half the CPU for the rest of the process: the cold listing of 1M took 28x the time of 100k.
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	out := make(map[string]*Experiment, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), loadBatch)
		if err := s.loadBatch(ids[:n], oids[:n], out); err != nil {
			return nil, err
		}
		ids, oids = ids[n:], oids[n:]
	}
	return out, nil
}

// loadBatch reads the experiment directories ids (tree ids oids) into out.
func (s *Store) loadBatch(ids, oids []string, out map[string]*Experiment) error {
	trees, err := s.cat.GetMany(oids)
	if err != nil {
		return err
	}
	type slot struct {
		exp  *Experiment
		kind string // experiment, params, results, notes-tree, note
	}
	manifests := map[*Experiment][]byte{}
	var reqs []string
	var slots []slot
	for i, t := range trees {
		if t.Type != "tree" {
			continue
		}
		ents, err := decodeTree(t.Data, s.HexLen())
		if err != nil {
			return err
		}
		e := &Experiment{TreeOID: oids[i]}
		e.ID = ids[i]
		out[ids[i]] = e
		for _, ent := range ents {
			kind := ""
			switch ent.Name {
			case "experiment.json":
				kind = "experiment"
			case "params.json":
				kind = "params"
			case "results.json":
				kind = "results"
			case "metrics.summary.json":
				kind = "metrics-summary"
			case "notes":
				kind = "notes-tree"
			}
			if kind != "" {
				reqs = append(reqs, ent.OID)
				slots = append(slots, slot{e, kind})
			}
		}
	}
	for len(reqs) > 0 {
		objs, err := s.cat.GetMany(reqs)
		if err != nil {
			return err
		}
		var next []string
		var nextSlots []slot
		for i, o := range objs {
			sl := slots[i]
			switch sl.kind {
			case "experiment":
				manifests[sl.exp] = o.Data
			case "params":
				sl.exp.ParamsJSON = o.Data
			case "results":
				sl.exp.ResultsJSON = o.Data
			case "metrics-summary":
				sl.exp.MetricsJSON = o.Data
			case "notes-tree":
				ents, err := decodeTree(o.Data, s.HexLen())
				if err != nil {
					return err
				}
				for _, n := range ents {
					if strings.HasSuffix(n.Name, ".json") {
						next = append(next, n.OID)
						nextSlots = append(nextSlots, slot{sl.exp, "note"})
					}
				}
			case "note":
				var n Note
				if json.Unmarshal(o.Data, &n) == nil {
					sl.exp.Notes = append(sl.exp.Notes, n)
				}
			}
		}
		reqs, slots = next, nextSlots
	}
	// Decoding is what costs (a cold listing of 10,000 experiments): it runs on every core.
	list := make([]*Experiment, 0, len(ids))
	for _, id := range ids {
		if e, ok := out[id]; ok {
			list = append(list, e)
		}
	}
	finish := func(e *Experiment) {
		if data, ok := manifests[e]; ok {
			id := e.ID
			if err := json.Unmarshal(data, &e.Manifest); err != nil {
				e.Error = "experiment.json is unreadable: " + err.Error()
			}
			e.ID = id
		}
		e.ParamsJSON = compactJSON(e.ParamsJSON)
		e.ResultsJSON = compactJSON(e.ResultsJSON)
		e.finishLoad()
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(list)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(list); i += workers {
				finish(list[i])
			}
		})
	}
	wg.Wait()
	return nil
}

func compactJSON(b []byte) []byte {
	if b == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// Load reads one experiment fresh from the tip (not from the cache).
func (s *Store) Load(id string) (*Experiment, error) {
	_, tree, err := s.TipTree()
	if err != nil {
		return nil, err
	}
	if tree == "" {
		return nil, fmt.Errorf("experiment %s is not in the store", id)
	}
	obj, err := s.cat.Get(tree + ":" + ExpPath(id))
	if err != nil {
		if errors.Is(err, gitcmd.ErrMissing) {
			return nil, fmt.Errorf("experiment %s is not in the store", id)
		}
		return nil, err
	}
	exps, err := s.loadExperiments(map[string]string{id: obj.OID})
	if err != nil {
		return nil, err
	}
	e, ok := exps[id]
	if !ok {
		return nil, fmt.Errorf("experiment %s is not in the store", id)
	}
	return e, nil
}

// ReadFile reads one file of an experiment's directory at the tip; ok is false when it does not exist.
func (s *Store) ReadFile(id, name string) ([]byte, bool, error) {
	_, tree, err := s.TipTree()
	if err != nil || tree == "" {
		return nil, false, err
	}
	obj, err := s.cat.Get(tree + ":" + ExpPath(id) + "/" + name)
	if errors.Is(err, gitcmd.ErrMissing) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return obj.Data, true, nil
}

// ShortIDs returns the shortest unique prefix (at least 7 digits) of every id.
func ShortIDs(ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	for i, short := range shortIDsOf(ids) {
		out[ids[i]] = short
	}
	return out
}

// shortIDsOf is the short form of each of ids, in their order. Only ids that share their first 7 characters with
// another need more, so they are grouped by those (no sort of the whole set: a store of 100,000 has a few dozen such
// pairs).
func shortIDsOf(ids []string) []string {
	const n = 7
	out := make([]string, len(ids))
	first := make(map[string]int32, len(ids)) // prefix -> index of its first id, -1 once it has several
	var groups map[string][]int
	for i, id := range ids {
		out[i] = id[:min(n, len(id))]
		if len(id) < n {
			continue // no other id can share its first 7 characters
		}
		p := id[:n]
		j, seen := first[p]
		switch {
		case !seen:
			first[p] = int32(i)
		case j >= 0:
			if groups == nil {
				groups = map[string][]int{}
			}
			groups[p] = []int{int(j), i}
			first[p] = -1
		default:
			groups[p] = append(groups[p], i)
		}
	}
	for _, g := range groups {
		sorted := make([]string, len(g))
		for k, i := range g {
			sorted[k] = ids[i]
		}
		sort.Strings(sorted)
		for _, i := range g {
			id := ids[i]
			k, _ := slices.BinarySearch(sorted, id)
			l := n
			for _, nb := range []int{k - 1, k + 1} {
				// The neighbour of the first copy of a repeated id is the id itself: look past the copies.
				for nb >= 0 && nb < len(sorted) && sorted[nb] == id {
					nb += nb - k
				}
				if nb >= 0 && nb < len(sorted) {
					l = max(l, commonPrefix(id, sorted[nb])+1)
				}
			}
			out[i] = id[:min(l, len(id))]
		}
	}
	return out
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Resolve finds the one experiment a user means: a full id, an id prefix of at least 4 hex digits, or an exact name.
// Deleted experiments are not found. Several matches are an error that lists them.
func Resolve(exps []*Experiment, query string) (*Experiment, error) {
	if query == "" {
		return nil, errors.New("empty experiment id: give an id, an id prefix or a name (see git exp list)")
	}
	var matches []*Experiment
	isHex := len(query) >= 4 && strings.Trim(query, "0123456789abcdef") == ""
	for _, e := range exps {
		if e.Deleted {
			continue
		}
		if e.ID == query {
			return e, nil
		}
		if (isHex && strings.HasPrefix(e.ID, query)) || e.Name == query {
			matches = append(matches, e)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		if len(query) < 4 && strings.Trim(query, "0123456789abcdef") == "" {
			return nil, fmt.Errorf("no experiment matches %q: an id prefix needs at least 4 hex digits (see git exp list)", query)
		}
		return nil, fmt.Errorf("no experiment matches %q (see git exp list)", query)
	}
	sort.Slice(matches, func(i, j int) bool { return matches[i].Created < matches[j].Created })
	var names []string
	for _, m := range matches {
		names = append(names, fmt.Sprintf("%s (%s, %s)", m.ID, m.Name, m.Status))
	}
	return nil, fmt.Errorf("%q is ambiguous: it matches %s; use a longer id prefix", query, strings.Join(names, ", "))
}
