package gitstore

import (
	"os"
	"path/filepath"
	"strconv"
	"unsafe"
)

// cacheFile is the disposable local index of experiment summaries, keyed by tree ids so that it is brought up to
// date by reading only what changed between the cached tip and the new one.
//
// On disk it is a base file (cache-v12, every experiment) and a delta (cache-v12.delta: what changed since the base,
// for that base only). A run adds one experiment to a store of 100,000: writing the delta costs a few kilobytes where
// rewriting the base costs 34 MB (160 MB before cache v12). The base is rewritten when the delta grows past a fraction of it.
type cacheFile struct {
	Tip      string
	RootTree string
	Fanout   map[string]string // fan-out directory name -> tree id
	List     []*Experiment     // newest first, as listings want them
	// BaseID names the base file the state was read from (random, in its header; a delta names the base it
	// applies to), and base holds that file's experiments: an experiment still in base is unchanged since.
	BaseID string
	base   []Experiment
	saved  bool // the state was just written as a new base (rebuild)
	lazy   bool // a new base written by rebuild need not be decoded: the caller reads it (Stream)
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

const cacheVersion = 12

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
	bf, unlock := s.lockBase()
	defer unlock()
	if bf == nil {
		return nil
	}
	if s.baseDec == nil {
		c, err := bf.decodeAll()
		if err != nil {
			return nil
		}
		s.baseDec = c
	}
	c := *s.baseDec // List is shared too: every change to a state's List builds a new one (apply, refresh)
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
	s.dropOldCaches()
}

// dropOldCaches removes, after a new base was written, the delta (it was for the old base; a reader would ignore it
// anyway) and caches of other format versions, of no use to this one (and large).
func (s *Store) dropOldCaches() {
	os.Remove(s.deltaPath())
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
