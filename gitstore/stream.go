package gitstore

import (
	"os"
	"runtime"
	"slices"
	"sync"
)

// Stream is the experiments of the store that are not deleted, in the order listings show them (newest first, the
// members of a sweep in grid order: SortNewest, then GridOrder), read a round at a time (Each).
//
// When the cache is current (the common, warm case) nothing is decoded before Each: each round decodes the next
// blocks of the base file into buffers it reuses, on every core, and merges them with the delta's experiments, so a
// listing of 1,000,000 experiments never holds them all (632 MB decoded, whose fresh pages the kernel zeroes at a
// cost that was a third of the listing). When the store moved since by a few experiments (a run), the delta is
// brought up to date without decoding the base (refreshStream); when a cold read rebuilt the cache, the new base is
// streamed. Otherwise (many changes, no cache that can be written) Stream reads the store as Experiments does, which
// brings the cache up to date, and hands out that list the same way.
type Stream struct {
	bf   *baseFile       // the base file read a round at a time; nil when list holds every experiment
	list []*Experiment   // newest first: the delta's experiments (bf set), or every experiment
	drop map[string]bool // ids of the base's experiments that the delta removes or replaces
	// dropped is the delta's list of the base's experiments removed or replaced.
	dropped []string
	// active is the base's experiments that show as queued or running (Active), found while checking the base.
	active []int
}

// Stream returns the store's experiments to be read a round at a time (see Stream). Like Experiments, a warm call
// opens no git object.
func (s *Store) Stream() (*Stream, error) {
	s.startRead()
	defer s.warnDamage()
	tip, err := s.Tip()
	if err != nil {
		return nil, err
	}
	if bf := s.openBase(); bf != nil && tip != "" {
		st := &Stream{bf: bf}
		state, fanout := bf.Tip, bf.Fanout
		if data, err := os.ReadFile(s.deltaPath()); err == nil {
			if d, err := decodeDelta(data); err == nil && d.BaseID == bf.BaseID {
				state, fanout, st.list, st.dropped = d.Tip, d.Fanout, d.List, d.Dropped
				st.drop = make(map[string]bool, len(d.Dropped)+len(d.List))
				for _, id := range d.Dropped {
					st.drop[id] = true
				}
				for _, e := range d.List { // as apply does: a delta never doubles an experiment
					st.drop[e.ID] = true
				}
			}
		}
		// A fan-out directory not read whole (Damage) is read again, as one that changed.
		if state == tip && !damaged(fanout) && st.check() == nil {
			return st, nil
		}
		if (state != tip || damaged(fanout)) && st.check() == nil { // a few experiments came or changed since (a run): into the delta
			ok, err := s.refreshStream(st, fanout, tip)
			if err != nil {
				return nil, err
			}
			if ok {
				return st, nil
			}
		}
		// Not current, or damaged: Experiments brings it up to date (a damaged base is read again from git).
	}
	list, rebuilt, err := s.experiments(true)
	if err != nil {
		return nil, err
	}
	if rebuilt { // read from git and written as a new base as it was read (a cold read): streamed from there
		if bf := s.openBase(); bf != nil && bf.Tip == tip {
			if st := (&Stream{bf: bf}); st.check() == nil {
				return st, nil
			}
		}
		if list, _, err = s.experiments(false); err != nil {
			return nil, err
		}
	}
	return &Stream{list: list}, nil
}

// openBase maps the cache's base file and reads its header, once per file for the life of the Store (as
// loadBase). Nil when there is none or it is damaged.
func (s *Store) openBase() *baseFile {
	bf, unlock := s.lockBase()
	unlock()
	return bf
}

// lockBase maps the cache's base file (nil when there is none or it is damaged) with baseMu held: unlock releases it.
func (s *Store) lockBase() (bf *baseFile, unlock func()) {
	s.baseMu.Lock()
	path := s.cachePath()
	fi, err := os.Stat(path)
	if err != nil {
		return nil, s.baseMu.Unlock
	}
	return s.openBaseLocked(path, fi), s.baseMu.Unlock
}

func (s *Store) openBaseLocked(path string, fi os.FileInfo) *baseFile {
	if s.baseView != nil && os.SameFile(fi, s.baseFile) && fi.Size() == s.baseFile.Size() && fi.ModTime().Equal(s.baseFile.ModTime()) {
		return s.baseView
	}
	data, err := mapFile(path)
	if err != nil {
		return nil
	}
	bf, err := openCache(data)
	if err != nil {
		return nil
	}
	s.baseFile, s.baseView, s.baseDec = fi, bf, nil
	return bf
}

// check checks every block of the base against its checksum, on every core, before anything is listed (a damaged
// block found halfway through a listing could not be taken back), and notes which experiments show as queued or
// running. Reading the whole file also brings its pages in for the rounds that follow.
func (st *Stream) check() error {
	bf := st.bf
	workers := max(1, min(runtime.GOMAXPROCS(0), 8, bf.blocks))
	errs := make([]error, workers)
	found := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		kb, ke := bf.blocks*w/workers, bf.blocks*(w+1)/workers
		wg.Go(func() { found[w], errs[w] = bf.scanActive(kb, ke) })
	}
	wg.Wait()
	for w := range workers {
		if errs[w] != nil {
			return errs[w]
		}
		st.active = append(st.active, found[w]...)
	}
	return nil
}

// scanActive checks blocks kb to ke and returns the experiments in them whose status is queued or running: only
// the fields up to the status are read.
func (bf *baseFile) scanActive(kb, ke int) (active []int, err error) {
	defer func() {
		if recover() != nil {
			err = errCache
		}
	}()
	for k := kb; k < ke; k++ {
		if !bf.checkBlock(k) {
			return nil, errCache
		}
		lo, hi := k*cacheBlock, min((k+1)*cacheBlock, bf.n)
		d := &cacheDec{b: bf.data, s: bf.s, i: bf.offset(lo)}
		status := ""
		for i := lo; i < hi; i++ {
			d.i = bf.offset(i)
			d.varint()   // format
			d.span()     // id
			d.skipRef()  // name
			d.skipRef()  // description
			d.skipRefs() // tags
			status = d.ref(status)
			if d.err != nil {
				return nil, errCache
			}
			if status == StatusQueued || status == StatusRunning {
				active = append(active, i)
			}
		}
	}
	return active, nil
}

func (d *cacheDec) skipRef() {
	if n := d.uvarint(); n > 0 && d.err == nil {
		if n-1 > uint64(len(d.b)-d.i) {
			d.err = errCache
			return
		}
		d.i += int(n - 1)
	}
}

func (d *cacheDec) skipRefs() {
	n := d.uvarint()
	for i := uint64(1); i < n && d.err == nil; i++ {
		d.span()
	}
}

// Active returns the experiments of the store that show as queued or running, deleted ones included (those whose
// end RecordEnds may have to record), each a copy of its own.
func (st *Stream) Active() ([]*Experiment, error) {
	var out []*Experiment
	for _, e := range st.list {
		if e.Status == StatusQueued || e.Status == StatusRunning {
			out = append(out, e)
		}
	}
	if st.bf == nil {
		return out, nil
	}
	var buf []Experiment
	block := -1
	for _, i := range st.active {
		if k := i / cacheBlock; k != block {
			lo, hi := k*cacheBlock, min((k+1)*cacheBlock, st.bf.n)
			buf = make([]Experiment, hi-lo) // a new one: the copies handed out point into it
			if err := st.bf.decode(buf, lo, hi, false, nil); err != nil {
				return nil, err
			}
			block = k
		}
		if e := &buf[i-block*cacheBlock]; !st.drop[e.ID] {
			out = append(out, e)
		}
	}
	return out, nil
}

// streamRound is how many experiments of the base one core decodes in a round of Each (four blocks).
const streamRound = 4 * cacheBlock

// Each hands fn the experiments of the stream that keep accepts (every one when keep is nil), in order, a round
// at a time; the slice and the experiments in it are valid until fn returns (fn copies what it keeps). keep is
// called on every core. It returns how many experiments the stream holds, kept or not; an error of fn stops it and
// is returned.
//
// A round decodes the next blocks of the base, a part per core, keeps what keep keeps (all while fn has the round
// before), and merges that with the delta's experiments (both are newest first). The members of a sweep created
// together come next to each other, in the order of their ids, and go in grid order (GridOrder): the last run of a
// round, which the next round may continue, is held back until it ends.
func (st *Stream) Each(keep func(*Experiment) bool, fn func(exps []*Experiment) error) (int, error) {
	return st.each(keep, false, fn)
}

// Len is how many experiments the stream may hand out, at most.
func (st *Stream) Len() int {
	if st.bf != nil {
		return st.bf.n + len(st.list)
	}
	return len(st.list)
}

// Select is Each whose experiments are valid after fn returns: those of the base that keep accepts are copies of
// their own, made by the core that decoded them right after keep accepted them (or, when it kept most of what it
// decoded, the buffer they were decoded into, which the stream gives up). A sorted listing holds what it keeps,
// never every experiment, and can look at each round as it comes.
func (st *Stream) Select(keep func(*Experiment) bool, fn func(exps []*Experiment) error) (int, error) {
	return st.each(keep, true, fn)
}

// each is Each; with own, the experiments of the base that keep accepts are copied out of the rounds' buffers
// (Select).
func (st *Stream) each(keep func(*Experiment) bool, own bool, fn func(exps []*Experiment) error) (int, error) {
	bf := st.bf
	n := len(st.list)
	var delta []*Experiment // the delta's experiments kept, to merge into the base's
	seen := 0
	if bf != nil {
		n = bf.n
		for _, e := range st.list {
			if !e.Deleted {
				seen++
				if keep == nil || keep(e) {
					delta = append(delta, e)
				}
			}
		}
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 8, (n+streamRound-1)/streamRound))
	rounds := make(chan *streamPart)
	done := make(chan struct{})
	defer func() { // the decoding stops (and calls keep no more) before Each returns
		close(done)
		for range rounds {
		}
	}()
	go st.decodeRounds(n, workers, keep, own, rounds, done)
	var round []*Experiment
	held, stable := 0, 0 // round starts with held experiments held back; the first stable of them are copies of their own
	di := 0
	for r := range rounds {
		if r.err != nil {
			return seen, r.err
		}
		for w := range workers {
			seen += r.counts[w]
			part := r.parts[w]
			if di < len(delta) && len(part) > 0 && CompareNewest(delta[di], part[len(part)-1]) < 0 {
				for _, e := range part {
					for di < len(delta) && CompareNewest(delta[di], e) < 0 {
						round = append(round, delta[di])
						di++
					}
					round = append(round, e)
				}
			} else {
				round = append(round, part...)
			}
		}
		t := gridRun(round)
		if t > 0 {
			GridOrder(round[:t])
			if err := fn(round[:t]); err != nil {
				return seen, err
			}
		}
		// Held back again, those held from the round before are copied: the set they are in is decoded into next.
		for j := max(t, stable); j < held && bf != nil && !own; j++ {
			cp := *round[j]
			round[j] = &cp
		}
		stable = max(0, held-t)
		held = copy(round, round[t:])
		round = round[:held]
	}
	round = append(round, delta[di:]...)
	GridOrder(round)
	if len(round) > 0 {
		if err := fn(round); err != nil {
			return seen, err
		}
	}
	return seen, nil
}

// streamPart is a round of Each decoded and kept: each core's experiments (parts, in order) and how many of them
// are not deleted (counts).
type streamPart struct {
	parts  [][]*Experiment
	counts []int
	err    error
}

// decodeRounds decodes the rounds of Each and sends them to rounds in order, until done. Three sets of buffers are
// used by turns: one is the round Each has, one holds what that round held back from the one before, and the next
// round is decoded into the third.
func (st *Stream) decodeRounds(n, workers int, keep func(*Experiment) bool, own bool, rounds chan<- *streamPart, done <-chan struct{}) {
	defer close(rounds)
	bf := st.bf
	var bufs [3][][]Experiment
	var out [3]streamPart
	decs := make([]*cacheDec, workers)     // one per core for the whole stream: their arenas are reused
	owned := make([][]Experiment, workers) // with own: where each core copies what it keeps
	for lo, r := 0, 0; lo < n; lo, r = lo+streamRound*workers, r+1 {
		set, p := bufs[r%3], &out[r%3]
		if p.parts == nil {
			p.parts, p.counts = make([][]*Experiment, workers), make([]int, workers)
			if bf != nil {
				set = make([][]Experiment, workers)
				for w := range set {
					set[w] = make([]Experiment, streamRound)
				}
				bufs[r%3] = set
			}
		}
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			a, b := min(lo+w*streamRound, n), min(lo+(w+1)*streamRound, n)
			wg.Go(func() {
				part, count := p.parts[w][:0], 0
				add := func(e *Experiment) {
					if !e.Deleted {
						count++
						if keep == nil || keep(e) {
							part = append(part, e)
						}
					}
				}
				if bf == nil {
					for _, e := range st.list[a:b] {
						add(e)
					}
				} else if a < b {
					if decs[w] == nil {
						decs[w] = bf.decoder()
					}
					if errs[w] = bf.decode(set[w][:b-a], a, b, false, decs[w]); errs[w] != nil {
						return
					}
					for i := range b - a {
						if e := &set[w][i]; len(st.drop) == 0 || !st.drop[e.ID] {
							add(e)
						}
					}
					// With own, what was kept leaves the set, which a later round decodes into: the set itself
					// when it keeps half of it or more (a new one takes its place), else copies of what it keeps.
					if own && 2*len(part) >= b-a {
						set[w] = make([]Experiment, streamRound)
					} else if own {
						for i, e := range part {
							if len(owned[w]) == cap(owned[w]) {
								owned[w] = make([]Experiment, 0, streamRound)
							}
							owned[w] = append(owned[w], *e)
							part[i] = &owned[w][len(owned[w])-1]
						}
					}
				}
				p.parts[w], p.counts[w] = part, count
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				p.err = err
				break
			}
		}
		select {
		case rounds <- p:
		case <-done:
			return
		}
		if p.err != nil {
			return
		}
	}
}

// streamRefreshDirs is how many fan-out directories may have changed for refreshStream to bring a stream up to
// date (a run changes one); past it, the store is read as Experiments reads it.
const streamRefreshDirs = 8

// refreshStream brings st (a base and its delta, whose state has the fan-out directories fanout) to tip when
// little changed, as refresh does but without decoding the base: the changed directories are read, the base's
// experiments in them are found by their ids and tree ids read off the file, what changed is read from git, and
// the short ids that change are worked out over the ids that share a prefix with those that came or went (a base
// experiment whose short id changes goes into the delta with it). The new delta is written. ok is false when it
// would not do (many directories changed, many experiments, a delta that would be large, anything unexpected):
// the caller then reads as Experiments does.
func (s *Store) refreshStream(st *Stream, fanout map[string]string, tip string) (ok bool, err error) {
	bf := st.bf
	obj, err := s.get(tip)
	if err != nil {
		return false, nil
	}
	rootTree, err := commitTree(obj.Data)
	if err != nil {
		return false, nil
	}
	root, err := s.readTree(rootTree)
	if err != nil {
		return false, nil
	}
	if e, ok := findEntry(root, "VERSION"); ok {
		if v, err := s.get(e.OID); err == nil {
			if err := s.checkVersion(v.Data); err != nil {
				return false, err
			}
		}
	}
	newFan := map[string]string{}
	var changed []TreeEntry
	for _, e := range root {
		if e.isTree() && isFanout(e.Name) {
			newFan[e.Name] = e.OID
			if fanout[e.Name] != e.OID {
				changed = append(changed, e)
			}
		}
	}
	var redo [256]bool
	dirs := 0
	for name := range fanout {
		if i := fanIndex(name); i >= 0 && fanout[name] != newFan[name] && !redo[i] {
			redo[i] = true
			dirs++
		}
	}
	for _, e := range changed {
		if i := fanIndex(e.Name); i >= 0 && !redo[i] {
			redo[i] = true
			dirs++
		}
	}
	if dirs > streamRefreshDirs {
		return false, nil
	}
	inRedo := func(id string) bool { i := fanIndex(id); return i < 0 || redo[i] }
	oids := make([]string, len(changed))
	for i, e := range changed {
		oids[i] = e.OID
	}
	fanTrees, err := s.getObjects(nil, oids)
	if err != nil {
		return false, nil
	}
	// The cached experiments of the changed directories, by id: the delta's, and the base's (not replaced).
	old := map[string]*Experiment{}
	for _, e := range st.list {
		if inRedo(e.ID) {
			old[e.ID] = e
		}
	}
	var inBase []string // ids of the base's experiments in old
	for i := range bf.n {
		id, ok := bf.idAt(i)
		if !ok {
			return false, nil
		}
		if inRedo(id) && !st.drop[id] {
			tree, _, ok := bf.treeAt(i)
			if !ok {
				return false, nil
			}
			old[id] = &Experiment{TreeOID: tree}
			old[id].ID = id
			inBase = append(inBase, id)
		}
	}
	scanned, err := s.scanFanout(changed, fanTrees, old)
	if err != nil {
		return false, nil
	}
	want := &toRead{}
	keep := map[string]bool{}
	for _, d := range scanned {
		want.ids, want.oids = append(want.ids, d.ids...), append(want.oids, d.oids...)
		for _, id := range d.keep {
			keep[id] = true
		}
	}
	if len(want.ids) > streamMin {
		return false, nil
	}
	// What went or changed: out of the delta, or dropped from the base.
	// (A new version of a base experiment in the delta has the base's id among the delta's dropped already.)
	d := &cacheDelta{BaseID: bf.BaseID, Tip: tip, RootTree: rootTree, Fanout: newFan, Dropped: slices.Clone(st.dropped)}
	var touched []string
	var list []*Experiment
	for _, e := range st.list {
		if inRedo(e.ID) && !keep[e.ID] {
			touched = append(touched, e.ID)
		} else {
			cp := *e
			list = append(list, &cp)
		}
	}
	for _, id := range inBase {
		if !keep[id] {
			touched = append(touched, id)
			d.Dropped = append(d.Dropped, id)
		}
	}
	added, err := s.loadExperiments(nil, want, true)
	if err != nil {
		return false, err
	}
	for id, e := range added {
		list = append(list, e)
		touched = append(touched, id)
	}
	gone := map[string]bool{}
	for _, id := range d.Dropped {
		gone[id] = true
	}
	total := bf.n - len(gone) + len(list)
	if len(touched) > total/8 {
		return false, nil
	}
	// Short ids: only those that share their first 7 characters with an id that came or went can change (order).
	if len(touched) > 0 {
		prefixes := make(map[string]bool, len(touched))
		for _, id := range touched {
			prefixes[id[:min(7, len(id))]] = true
		}
		type member struct {
			base   int // index in the base, or -1: list[inList]
			inList int
		}
		var group []member
		var ids []string
		for i := range bf.n {
			id, _ := bf.idAt(i)
			if prefixes[id[:min(7, len(id))]] && !gone[id] {
				group = append(group, member{i, -1})
				ids = append(ids, id)
			}
		}
		for k, e := range list {
			if prefixes[e.ID[:min(7, len(e.ID))]] {
				group = append(group, member{-1, k})
				ids = append(ids, e.ID)
			}
		}
		for k, short := range shortIDsOf(ids) {
			m := group[k]
			if m.base < 0 {
				list[m.inList].ShortID = short
				continue
			}
			_, cur, ok := bf.treeAt(m.base)
			if !ok {
				return false, nil
			}
			if cur == short {
				continue
			}
			e, err := bf.experimentAt(m.base)
			if err != nil {
				return false, nil
			}
			e.ShortID = short
			list = append(list, e)
			d.Dropped = append(d.Dropped, e.ID)
		}
	}
	SortNewest(list)
	d.List = list
	if len(d.List)+len(d.Dropped) > max(deltaMinEntries, bf.n/16) {
		return false, nil
	}
	s.markDamaged(newFan)
	s.noteState(total, newFan)
	if err := os.MkdirAll(s.ExpDir(), 0o755); err == nil {
		writeFileAtomic(s.ExpDir(), s.deltaPath(), encodeDelta(d))
	}
	st.list, st.dropped = list, d.Dropped
	st.drop = make(map[string]bool, len(d.Dropped)+len(list))
	for _, id := range d.Dropped {
		st.drop[id] = true
	}
	for _, e := range list {
		st.drop[e.ID] = true
	}
	return true, nil
}

// idAt is the id of experiment i of the base (its second field, never a reference).
func (bf *baseFile) idAt(i int) (id string, ok bool) {
	d := &cacheDec{b: bf.data, s: bf.s, i: bf.offset(i)}
	d.varint()
	id = d.str()
	return id, d.err == nil
}

// treeAt reads the tree id and the short id of experiment i of the base off the file, skipping the fields before
// them (a reference is skipped without the experiment it refers to); ok is false unless the walk ends exactly where
// the experiment ends.
func (bf *baseFile) treeAt(i int) (tree, short string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	d := &cacheDec{b: bf.data, s: bf.s, i: bf.offset(i)}
	d.varint()
	id := d.str()
	d.skipRef()  // name
	d.skipRef()  // description
	d.skipRefs() // tags
	for range 2 {
		d.skipRef() // status, script
	}
	d.skipRefs() // argv
	for range 9 {
		d.skipRef() // cwd, executor, host, user, email, created, started, ended, updated
	}
	d.f64()
	if d.bool() {
		d.varint()
	}
	for range 3 {
		d.skipRef() // error, batch, parent
	}
	d.varint()
	d.varint()
	d.skipRef() // head
	d.skipRef() // branch
	d.bool()
	d.skipRef() // remote
	d.skipRef() // snapshot
	d.skipRefs()
	for n := d.uvarint(); n > 0 && d.err == nil; n-- {
		d.span()
		d.span()
		d.bool()
	}
	if d.bool() {
		d.span()
		d.varint()
		d.uvarint()
		d.span()
	}
	for n := d.uvarint(); n > 0 && d.err == nil; n-- {
		d.span()
		d.span()
		for k := d.uvarint(); k > 0 && d.err == nil; k-- {
			d.span()
		}
	}
	for n := d.uvarint(); n > 0 && d.err == nil; n-- {
		d.span()
		d.span()
	}
	for range 3 {
		d.span() // params, results, metrics
	}
	d.i += 2 // flags, objects
	tree = d.str()
	if n := d.uvarint(); n > 0 && n-1 <= uint64(len(id)) {
		short = id[:n-1]
	} else {
		short = d.str()
	}
	return tree, short, d.err == nil && d.i == bf.start+bf.end(i)
}

// experimentAt decodes experiment i of the base (its block up to it), into memory of its own.
func (bf *baseFile) experimentAt(i int) (*Experiment, error) {
	lo := i / cacheBlock * cacheBlock
	buf := make([]Experiment, i-lo+1)
	if err := bf.decode(buf, lo, i+1, false, nil); err != nil {
		return nil, err
	}
	e := buf[i-lo]
	return &e, nil
}
