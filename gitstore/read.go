package gitstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// Experiments returns every experiment in the store (deleted ones included, flagged), in no particular order. A warm
// call reads one cache file and opens no git object.
func (s *Store) Experiments() ([]*Experiment, error) {
	s.startRead()
	list, _, err := s.experiments(false)
	s.warnDamage()
	return list, err
}

// experiments is Experiments; with lazy, a cache rebuilt whole as it was read (rebuild) is not decoded again:
// rebuilt is then true and the list nil, for a caller that reads the new base itself (Stream).
func (s *Store) experiments(lazy bool) (list []*Experiment, rebuilt bool, err error) {
	tip, err := s.Tip()
	if err != nil {
		return nil, false, err
	}
	c := s.loadCache()
	if tip == "" && c.Tip != "" {
		return nil, false, s.refGone(c.Tip)
	}
	if tip != c.Tip || damaged(c.Fanout) { // a directory not read whole is read again (Damage)
		c.lazy = lazy
		if err := s.refreshCache(c, tip); err != nil {
			return nil, false, err
		}
		if c.saved && lazy {
			return nil, true, nil
		}
		if !c.saved {
			s.saveCache(c)
		}
	}
	return append([]*Experiment(nil), c.List...), false, nil
}

// refGone is the error for a store whose ref was deleted while its cache (which remembers the last tip) remains:
// rather than list nothing, say so and how to get the experiments back.
func (s *Store) refGone(last string) error {
	msg := fmt.Sprintf("%s is gone (it was at %s when git-exp last read it)", s.Ref, short(last))
	if obj, err := s.get(last); err == nil && obj.Type == "commit" {
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

func (s *Store) refreshCache(c *cacheFile, tip string) error { return s.refresh(c, tip, true) }

// refresh brings c to tip; streamed says whether many experiments to read may be streamed to a new base (rebuild).
func (s *Store) refresh(c *cacheFile, tip string, streamed bool) error {
	if tip == "" {
		*c = cacheFile{}
		return nil
	}
	obj, err := s.get(tip)
	if err != nil {
		if errors.Is(err, gitcmd.ErrMissing) {
			return fmt.Errorf("%s points to commit %s, which is missing from the object store: no experiment can be listed; %s", s.Ref, short(tip), damageHelp)
		}
		return fmt.Errorf("%s points to a missing commit: %w", s.Ref, err)
	}
	rootTree, err := commitTree(obj.Data)
	if err != nil {
		return err
	}
	root, err := s.readTree(rootTree)
	if err != nil {
		if errors.Is(err, gitcmd.ErrMissing) {
			return fmt.Errorf("the tree %s of %s (commit %s) is missing from the object store: no experiment can be listed; %s", short(rootTree), s.Ref, short(tip), damageHelp)
		}
		return err
	}
	if e, ok := findEntry(root, "VERSION"); ok {
		if v, err := s.get(e.OID); err == nil {
			if err := s.checkVersion(v.Data); err != nil {
				return err
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
	// Many directories to read (a cold read reads all 256): the packs are read here (and by loadEach after),
	// on every core, not through cat-file.
	var ps *packSet
	if len(changed) >= packMinFanout {
		if ps = openPacks(s.ObjectDir, s.HexLen()/2); ps != nil {
			defer ps.close()
		}
	}
	fanTrees, err := s.getObjects(ps, oids)
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
	dirs, err := s.scanFanout(changed, fanTrees, old)
	if err != nil {
		return err
	}
	want := &toRead{} // experiment ids and their trees
	n := 0
	for _, d := range dirs {
		n += len(d.ids)
	}
	want.ids, want.oids = make([]string, 0, n), make([]string, 0, n)
	keep := map[string]bool{} // cached and unchanged, in a changed directory
	for _, d := range dirs {
		want.ids, want.oids = append(want.ids, d.ids...), append(want.oids, d.oids...)
		for _, id := range d.keep {
			keep[id] = true
		}
	}
	dirs = nil
	kept := make([]*Experiment, 0, len(c.List))
	var touched []string // ids that came, went or changed
	for _, e := range c.List {
		if !inRedo(e.ID) || keep[e.ID] {
			kept = append(kept, e)
		} else {
			touched = append(touched, e.ID)
		}
	}
	if streamed && len(want.ids) > streamMin {
		// Many to read (a cold listing, a large pull): write them to a new base as they are read.
		done, err := s.rebuild(c, ps, kept, want, tip, rootTree, newFan)
		if done || err != nil {
			return err
		}
		if want.ids == nil { // read (and dropped as it went), but the base could not be written: read again
			return s.refresh(c, tip, false)
		}
	}
	exps, err := s.loadExperiments(ps, want, true)
	if err != nil {
		return err
	}
	added := make([]*Experiment, 0, len(exps))
	for id, e := range exps {
		added = append(added, e)
		touched = append(touched, id)
	}
	c.order(kept, added, touched)
	s.markDamaged(newFan)
	s.noteState(len(c.List), newFan)
	c.Tip, c.RootTree, c.Fanout = tip, rootTree, newFan
	return nil
}

// rebuild makes c the new base of the kept experiments and those of want, read from git: each is written to the
// base as it is read (baseBuilder), and the base is then mapped as a warm listing maps it. done is false when the
// cache cannot be written here (a read-only repository, a full disk): the caller then reads into memory.
func (s *Store) rebuild(c *cacheFile, ps *packSet, kept []*Experiment, want *toRead, tip, root string, fanout map[string]string) (done bool, err error) {
	b, err := newBaseBuilder(s.ExpDir())
	if err != nil {
		return false, nil // want is untouched: the caller reads it into memory
	}
	for _, e := range kept {
		b.add(e)
	}
	ids, oids := want.ids, want.oids
	want.ids, want.oids = nil, nil // loadEach drops them as it reads them
	Tracef("phase cold read: reading %d experiments", len(ids))
	err = s.loadEach(ps, ids, oids, true, true, b.add)
	if ps != nil {
		ps.close() // its mappings (the pack of 100,000 is 80 MB) are not held while the base is written
	}
	if err != nil {
		b.close()
		return true, err
	}
	Tracef("phase cold read: read, writing the base")
	s.markDamaged(fanout)
	s.noteState(len(b.recs), fanout)
	if err := b.finish(s.cachePath(), tip, root, fanout); err != nil {
		return false, nil
	}
	Tracef("phase cold read: base written")
	if c.lazy { // the caller reads the new base itself
		s.dropOldCaches()
		*c = cacheFile{Tip: tip, RootTree: root, Fanout: fanout, saved: true, lazy: true}
		return true, nil
	}
	nc := s.loadBase()
	if nc == nil {
		return false, nil
	}
	s.dropOldCaches()
	*c = *nc
	c.saved = true
	return true, nil
}

func isFanout(name string) bool {
	return len(name) == 2 && strings.Trim(name, "0123456789abcdef") == ""
}

// streamMin is how many experiments to read make a refresh write a new base as it reads them (rebuild).
var streamMin = 4096

// loadBatch is how many experiments loadExperiments reads at once: the raw objects of one batch are garbage once
// it is decoded, so a cold listing holds what it keeps plus a few batches (one read, one decoded, one added), not
// every object of the store. 2048, not 4096: with a batch added while the next two are read and decoded, 4096 took
// the peak of a cold listing of 100,000 from 177 to 193–202 MB.
var loadBatch = 2048

// loadExperiments reads experiment directories (id -> tree id) into a map; ps and capped as for loadEach.
func (s *Store) loadExperiments(ps *packSet, want *toRead, capped bool) (map[string]*Experiment, error) {
	out := make(map[string]*Experiment, len(want.ids))
	err := s.loadEach(ps, want.ids, want.oids, capped, false, func(e *Experiment) { out[e.ID] = e })
	return out, err
}

// toRead lists experiment directories to read: ids and their tree ids.
type toRead struct{ ids, oids []string }

// loadEach reads experiment directories (ids, tree ids oids), pipelining the object reads level by level, a batch at a
// time, and hands each experiment to add (in order, from one goroutine at a time) as soon as its batch is decoded.
// ps are the packs to read from, when the caller has them open (nil: loadEach opens them when there are many to
// read). capped cuts values longer than CapValue (what the cache keeps); dropped says that add keeps nothing in
// memory (it writes each experiment to a new base).
func (s *Store) loadEach(ps *packSet, ids, oids []string, capped, dropped bool, add func(*Experiment)) error {
	if len(ids) > loadBatch {
		// Many objects are read and dropped: the collector runs from here on, without the memory limit readers
		// start with (cli's shortReader: collector off, 2 GiB limit). A store whose experiments alone pass the
		// limit (1,000,000 of them) would otherwise be collected over and over, the limiter keeping the collector
		// busy for half the CPU for the rest of the process: the cold listing of 1M took 28x the time of 100k.
		// 200, not the default 100: collecting half as often took the collector from ~0.6 s to ~0.3 s of a cold
		// listing of 100,000 (4.4 s at 1M).
		debug.SetGCPercent(200)
		debug.SetMemoryLimit(math.MaxInt64)
		if dropped {
			// What is live is small (the builder's index, the lists of what to read, a few batches): the heap may
			// grow to 5 times it, up to 512 MiB (a cold read of 1,000,000 holds ~130 MB live), and the collector
			// runs half as often again (CPU of a cold listing of 100,000 −7%). After the read, the heap is given
			// back (the new base's temporary file is mapped next: 977 MB at 1M without it) and the collector is at
			// 200% again: the base is mapped and decoded (632 MB of experiments at 1,000,000).
			debug.SetGCPercent(400)
			debug.SetMemoryLimit(512 << 20)
			defer func() {
				debug.FreeOSMemory()
				debug.SetGCPercent(200)
				debug.SetMemoryLimit(math.MaxInt64)
			}()
		}
	}
	// Many objects are read from the packs directly (packSet), the rest through cat-file.
	if ps == nil && len(ids) >= packMinRead {
		if ps = openPacks(s.ObjectDir, s.HexLen()/2); ps != nil {
			defer ps.close()
		}
	}
	// Three stages overlap: a batch is read (its objects inflated on every core) while the batch before it is
	// decoded (on every core) and the one before that handed to add, in order, from a goroutine of its own: add
	// (a new base encodes and writes each experiment: one core) was a section of the reading goroutine, which
	// then read nothing.
	decoded := make(chan []*Experiment) // unbuffered: no more than three batches are held (read, decoded, added)
	added := make(chan struct{})
	go func() {
		defer close(added)
		for list := range decoded {
			for _, e := range list {
				add(e)
			}
		}
	}()
	// Many experiments are read in the order of their trees in the packs, not of their ids: the objects of a batch
	// are then near each other (whether the pack was written as they were recorded or by git gc, which writes trees
	// and blobs in the order of the directories), where in the order of ids each batch was spread over the whole
	// pack, with a read per object (of a pack read with pread) and the index and pages touched all over.
	var locs []objLoc
	if ps != nil && len(ids) > loadBatch {
		locs = ps.locateAll(oids)
		order := inPackOrder(locs)
		sorted := make([]objLoc, len(locs))
		sids, soids := make([]string, len(ids)), make([]string, len(ids))
		for k, i := range order {
			sorted[k], sids[k], soids[k] = locs[i], ids[i], oids[i]
		}
		clear(ids) // the caller's lists are dropped as they are read, as these are
		clear(oids)
		locs, ids, oids = sorted, sids, soids
	}
	var decoding chan []*Experiment // the batch being decoded
	var err error
	for len(ids) > 0 {
		n := min(len(ids), loadBatch)
		var b *rawBatch
		var at []objLoc
		if locs != nil {
			at, locs = locs[:n], locs[n:]
		}
		b, err = s.readBatch(ps, ids[:n], oids[:n], at)
		if decoding != nil {
			decoded <- <-decoding
			decoding = nil
		}
		if err != nil {
			break
		}
		decoding = make(chan []*Experiment, 1)
		go func(out chan<- []*Experiment) { out <- b.decode(capped) }(decoding)
		clear(ids[:n]) // what is read is dropped as it goes (a cold read of 1,000,000 holds no list of them)
		clear(oids[:n])
		ids, oids = ids[n:], oids[n:]
	}
	if decoding != nil {
		decoded <- <-decoding
	}
	close(decoded)
	<-added
	return err
}

// rawBatch is a batch of experiments read from git, not yet decoded.
type rawBatch struct {
	list      []*Experiment
	manifests [][]byte // experiment.json of each of list (nil when it has none)
	notes     [][]Note // of each of list; nil when none has notes
	missing   []string // the files missing from the object store of each of list; nil when none misses one
}

// packMinRead is how many experiments to read make loadEach read the pack files itself.
var packMinRead = 64

// packMinFanout is how many fan-out directories to read make refresh read the pack files itself.
var packMinFanout = 16

// fanoutDir is what scanFanout found in one fan-out directory: the experiments to read (ids, their tree ids oids)
// and the cached ones that are unchanged (keep).
type fanoutDir struct {
	ids, oids, keep []string
}

// scanFanout scans the fan-out directories dirs (their trees) on every core. old holds the cached experiments of
// those directories, by id: one whose tree is unchanged is kept, not read again.
func (s *Store) scanFanout(dirs []TreeEntry, trees []gitcmd.Object, old map[string]*Experiment) ([]fanoutDir, error) {
	out := make([]fanoutDir, len(dirs))
	errs := make([]error, len(dirs))
	hexLen := s.HexLen()
	scan := func(i int) {
		fan := dirs[i].Name
		d := &out[i]
		if trees[i].Type != "tree" { // missing: its experiments cannot be listed (Damage)
			s.noteMissing(&s.dmg.Fanout, fan, dirs[i].OID)
			return
		}
		// The ids and tree ids of a directory are cut from one string (an id then its tree id, each entry as long):
		// a cold read of 1,000,000 made two strings of each entry here.
		const idLen = 16
		var buf []byte
		var hexID [64]byte
		errs[i] = scanTree(trees[i].Data, hexLen, func(mode, name, id []byte) {
			if string(mode) != ModeTree || len(name) < 2 || string(name[:2]) != fan {
				return
			}
			if o, ok := old[string(name)]; ok {
				hex.Encode(hexID[:], id)
				if o.TreeOID == string(hexID[:hexLen]) {
					d.keep = append(d.keep, o.ID)
					return
				}
			}
			if ValidID(unsafe.String(unsafe.SliceData(name), len(name))) {
				if buf == nil {
					buf = make([]byte, 0, len(trees[i].Data)/(len("40000 0123456789abcdef\x00")+hexLen/2)*(idLen+hexLen))
				}
				buf = hex.AppendEncode(append(buf, name...), id)
			}
		})
		all := unsafe.String(unsafe.SliceData(buf), len(buf)) // buf is not written again
		n := len(buf) / (idLen + hexLen)
		d.ids, d.oids = make([]string, n), make([]string, n)
		for k := range n {
			at := k * (idLen + hexLen)
			d.ids[k], d.oids[k] = all[at:at+idLen], all[at+idLen:at+idLen+hexLen]
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(dirs)/8+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(dirs); i += workers {
				scan(i)
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// readBatch reads the experiment directories ids (tree ids oids) from git (through ps when not nil; locs, when not
// nil, is where each tree is in ps).
func (s *Store) readBatch(ps *packSet, ids, oids []string, locs []objLoc) (*rawBatch, error) {
	trees, err := s.getObjectsAt(ps, oids, locs)
	if err != nil {
		return nil, err
	}
	const (
		manifestFile = iota
		paramsFile
		resultsFile
		metricsFile
		notesTree
		noteFile
	)
	fileNames := [...]string{"experiment.json", "params.json", "results.json", "metrics.summary.json", "notes", "notes/*.json"}
	type slot struct {
		exp  int // in list
		kind int
	}
	all := make([]Experiment, len(ids)) // one allocation for the batch's experiments
	b := &rawBatch{list: make([]*Experiment, 0, len(ids))}
	hl := s.HexLen() / 2
	raw := make([]byte, 0, 3*hl*len(ids)) // the ids of the files to read, one after the other (binary)
	slots := make([]slot, 0, 3*len(ids))
	for i, t := range trees {
		if t.Type != "tree" { // missing: the experiment cannot be listed (Damage)
			s.noteMissing(&s.dmg.Trees, ids[i], oids[i])
			continue
		}
		e := &all[i]
		e.ID, e.TreeOID = ids[i], oids[i]
		k := len(b.list)
		err := scanTree(t.Data, s.HexLen(), func(_, name, id []byte) {
			kind := -1
			switch string(name) {
			case "experiment.json":
				kind = manifestFile
			case "params.json":
				kind = paramsFile
			case "results.json":
				kind = resultsFile
			case "metrics.summary.json":
				kind = metricsFile
			case "notes":
				kind = notesTree
			}
			if kind >= 0 {
				raw = append(raw, id...)
				slots = append(slots, slot{k, kind})
			}
		})
		if err != nil {
			return nil, err
		}
		b.list = append(b.list, e)
	}
	b.manifests = make([][]byte, len(b.list))
	var notes [][]Note
	for len(slots) > 0 {
		objs, err := s.getRawObjects(ps, raw)
		if err != nil {
			return nil, err
		}
		var next []byte
		var nextSlots []slot
		for i, o := range objs {
			sl := slots[i]
			e := b.list[sl.exp]
			if o.Type == "" { // missing: the experiment is listed without it, and says so (Damage)
				name := e.ID + "/" + fileNames[sl.kind]
				oid := hex.EncodeToString(raw[i*hl : i*hl+hl])
				s.noteMissing(&s.dmg.Files, name, oid)
				if b.missing == nil {
					b.missing = make([]string, len(b.list))
				}
				if b.missing[sl.exp] != "" {
					b.missing[sl.exp] += ", "
				}
				b.missing[sl.exp] += fileNames[sl.kind] + " (object " + short(oid) + ")"
				continue
			}
			switch sl.kind {
			case manifestFile:
				b.manifests[sl.exp] = o.Data
			case paramsFile:
				e.ParamsJSON = o.Data
			case resultsFile:
				e.ResultsJSON = o.Data
			case metricsFile:
				e.MetricsJSON = o.Data
			case notesTree:
				err := scanTree(o.Data, s.HexLen(), func(_, name, id []byte) {
					if strings.HasSuffix(string(name), ".json") {
						next = append(next, id...)
						nextSlots = append(nextSlots, slot{sl.exp, noteFile})
					}
				})
				if err != nil {
					return nil, err
				}
			case noteFile:
				var n Note
				if json.Unmarshal(o.Data, &n) == nil {
					if notes == nil {
						notes = make([][]Note, len(b.list))
					}
					notes[sl.exp] = append(notes[sl.exp], n)
				}
			}
		}
		raw, slots = next, nextSlots
	}
	b.notes = notes
	return b, nil
}

// decode decodes the experiments of the batch: what costs in a cold listing, run on every core.
func (b *rawBatch) decode(capped bool) []*Experiment {
	finish := func(i int) {
		e := b.list[i]
		if data := b.manifests[i]; data != nil {
			id := e.ID
			if !decodeManifest(data, &e.Manifest) { // what it does not decode exactly as encoding/json, that does
				if err := json.Unmarshal(data, &e.Manifest); err != nil {
					e.Error = "experiment.json is unreadable: " + err.Error()
				}
			}
			e.ID = id
		}
		if b.missing != nil && b.missing[i] != "" {
			// No tree id: the cache does not keep it as read, the next listing reads it again (Damage).
			e.TreeOID = ""
			if e.Error != "" {
				e.Error += "; "
			}
			e.Error += "missing from the object store: " + b.missing[i] + " (see git exp fsck)"
		}
		e.ParamsJSON = compactJSON(e.ParamsJSON)
		e.ResultsJSON = compactJSON(e.ResultsJSON)
		var notes []Note
		if b.notes != nil {
			notes = b.notes[i]
		}
		e.finishLoad(notes, capped)
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(b.list)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(b.list); i += workers {
				finish(i)
			}
		})
	}
	wg.Wait()
	return b.list
}

// compactJSON drops the whitespace between the tokens of JSON (what json.Compact does to valid JSON, without its
// validation: whether the document is JSON is found out after, by Index). JSON already compact is returned as it
// is; a string that does not end leaves the input as it is.
func compactJSON(b []byte) []byte {
	i := 0
	for ; i < len(b); i++ { // up to the first space
		switch b[i] {
		case '"':
			j := skipString(b, i)
			if j < 0 {
				return b
			}
			i = j - 1
			continue
		case ' ', '\t', '\n', '\r':
		default:
			continue
		}
		break
	}
	if i == len(b) {
		return b
	}
	// The rest a byte at a time (into room for all of it): indented JSON has spaces between most tokens, and
	// copying the runs between them cost a call each (compactJSON was 40% of checking a params.json).
	out := make([]byte, i, len(b))
	copy(out, b[:i])
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case ' ', '\t', '\n', '\r':
		case '"':
			j := skipString(b, i)
			if j < 0 {
				return b
			}
			out = append(out, b[i:j]...)
			i = j - 1
		default:
			out = append(out, c)
		}
	}
	return out
}

// Full returns e with every value whole: e itself, unless the cache cut one of its values (Capped, see CapValue);
// then the experiment read again from the store, with e's short id.
func (s *Store) Full(e *Experiment) (*Experiment, error) {
	if !e.Capped {
		return e, nil
	}
	f, err := s.Load(e.ID)
	if err != nil {
		return nil, err
	}
	f.ShortID = e.ShortID
	return f, nil
}

// Load reads one experiment fresh from the tip (not from the cache), every value whole.
func (s *Store) Load(id string) (*Experiment, error) {
	_, tree, err := s.TipTree()
	if err != nil {
		return nil, err
	}
	if tree == "" {
		return nil, fmt.Errorf("experiment %s is not in the store", id)
	}
	dir, ok, err := s.treePath(tree, ExpPath(id))
	if err != nil {
		return nil, err
	}
	if !ok || !dir.isTree() {
		return nil, fmt.Errorf("experiment %s is not in the store", id)
	}
	exps, err := s.loadExperiments(nil, &toRead{[]string{id}, []string{dir.OID}}, false)
	if err != nil {
		return nil, err
	}
	e, ok := exps[id]
	if !ok {
		obj, err := s.get(dir.OID)
		if err != nil && !errors.Is(err, gitcmd.ErrMissing) {
			return nil, err
		}
		if err != nil || obj.Type != "tree" {
			return nil, fmt.Errorf("experiment %s cannot be read: its directory's tree %s is missing from the object store; %s", id, short(dir.OID), damageHelp)
		}
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
	e, ok, err := s.treePath(tree, ExpPath(id)+"/"+name)
	if err != nil || !ok || e.isTree() {
		return nil, false, err
	}
	obj, err := s.get(e.OID)
	if err != nil {
		return nil, false, err
	}
	return obj.Data, true, nil
}
