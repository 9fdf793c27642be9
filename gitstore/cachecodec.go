package gitstore

import (
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// The cache file is a hand-written binary encoding, not gob or JSON: a warm `list` of 100,000 experiments reads it
// whole, and decoding must cost little more than reading. Every string is a substring of the file's one buffer (no
// copy, no allocation), every []byte a slice of it. The file is disposable: any error means "rebuild".
//
// Layout: magic, base id, tip, root tree, fan-out table, count, each experiment's end offset, a checksum of each
// block of cacheBlock experiments, a checksum of everything before it (the header), then each experiment's fields in
// the order of (*cacheEnc).experiment. A new Manifest field must be added there and in (*cacheDec).experiment; the
// round-trip test fills every field by reflection and fails when one is forgotten.
//
// A reader checks each block's checksum right before it decodes the block (so the block is in the CPU cache for the
// decoder, on the core that decodes it): a bit flipped on disk means "rebuild", never a wrong answer. The delta ends
// with a checksum of all of it. Checksums are XXH3-64: on a 145 MB base (100,000 experiments) CRC-32C from the
// standard library added about 20% to the decode's CPU time, XXH3 (AVX2) an amount within the noise.

var (
	cacheMagic = []byte("GXC\x0c")
	deltaMagic = []byte("GXD\x0c")
)

// cacheBlock is how many experiments one checksum of the base file covers (about 350 KB: it stays in the CPU's
// cache between the checksum and the decode).
const cacheBlock = 256

func sum(b []byte) uint64 { return xxh3.Hash(b) }

type cacheEnc struct{ b []byte }

func (e *cacheEnc) uvarint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }
func (e *cacheEnc) varint(n int64)   { e.b = binary.AppendVarint(e.b, n) }
func (e *cacheEnc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *cacheEnc) bytes(b []byte)   { e.uvarint(uint64(len(b))); e.b = append(e.b, b...) }
func (e *cacheEnc) f64(f float64)    { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f)) }
func (e *cacheEnc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *cacheEnc) strs(l []string) {
	e.uvarint(uint64(len(l)))
	for _, s := range l {
		e.str(s)
	}
}

type cacheDec struct {
	b   []byte
	s   string // the same memory as b
	i   int
	err error
	// Arenas for the small slices and ints of many experiments: one allocation per few thousand instead of
	// several per experiment.
	strArena []string
	intArena []int
	recent   [4][]string // lists decoded last (strsN)
	next     int
}

var errCache = errors.New("corrupt cache")

func (d *cacheDec) uvarint() uint64 {
	if i := d.i; i < len(d.b) && d.b[i] < 0x80 { // one byte: most lengths and counts (inlined)
		d.i = i + 1
		return uint64(d.b[i])
	}
	return d.uvarintLong()
}

func (d *cacheDec) uvarintLong() uint64 {
	if d.err != nil {
		return 0
	}
	n, w := binary.Uvarint(d.b[d.i:])
	if w <= 0 {
		d.err = errCache
		return 0
	}
	d.i += w
	return n
}

func (d *cacheDec) varint() int64 {
	if i := d.i; i < len(d.b) && d.b[i] < 0x80 { // one byte (zigzag: -64..63), inlined
		d.i = i + 1
		return int64(d.b[i]>>1) ^ -int64(d.b[i]&1)
	}
	return d.varintLong()
}

func (d *cacheDec) varintLong() int64 {
	if d.err != nil {
		return 0
	}
	n, w := binary.Varint(d.b[d.i:])
	if w <= 0 {
		d.err = errCache
		return 0
	}
	d.i += w
	return n
}

func (d *cacheDec) span() (int, int) {
	var n uint64
	if i := d.i; i < len(d.b) && d.b[i] < 0x80 { // uvarint's one byte, here rather than in a call
		n, d.i = uint64(d.b[i]), i+1
	} else {
		n = d.uvarintLong()
	}
	if d.err != nil || n > uint64(len(d.b)-d.i) {
		d.err = errCache
		return d.i, d.i
	}
	start := d.i
	d.i += int(n)
	return start, d.i
}

func (d *cacheDec) str() string {
	a, b := d.span()
	return d.s[a:b]
}

func (d *cacheDec) bytes() []byte {
	a, b := d.span()
	if a == b {
		return nil
	}
	return d.b[a:b:b]
}

func (d *cacheDec) f64() float64 {
	if d.err != nil || len(d.b)-d.i < 8 {
		d.err = errCache
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.i:]))
	d.i += 8
	return v
}

func (d *cacheDec) bool() bool {
	if d.err != nil || d.i >= len(d.b) {
		d.err = errCache
		return false
	}
	v := d.b[d.i] != 0
	d.i++
	return v
}

func (d *cacheDec) strs() []string { return d.strsN(d.uvarint()) }

func (d *cacheDec) strsN(n uint64) []string {
	if d.err != nil || n > uint64(len(d.b)-d.i) {
		d.err = errCache
		return nil
	}
	if n == 0 {
		return []string{}
	}
	if uint64(cap(d.strArena)-len(d.strArena)) < n {
		d.strArena = make([]string, 0, max(4096, int(n)))
	}
	start := len(d.strArena)
	for i := uint64(0); i < n; i++ {
		d.strArena = append(d.strArena, d.str())
	}
	l := d.strArena[start:len(d.strArena):len(d.strArena)]
	// The same few lists (tags, argv) come back and forth: one copy of each serves them all.
	for _, r := range d.recent {
		if slices.Equal(r, l) {
			d.strArena = d.strArena[:start]
			return r
		}
	}
	d.recent[d.next%len(d.recent)] = l
	d.next++
	return l
}

// smallInts are the exit codes most experiments have: pointed to, not copied (decoded experiments are never
// modified).
var smallInts = func() (t [258]int) {
	for i := range t {
		t[i] = i - 2
	}
	return t
}()

func (d *cacheDec) intPtr(v int) *int {
	if v >= -2 && v <= 255 {
		return &smallInts[v+2]
	}
	if len(d.intArena) == cap(d.intArena) {
		d.intArena = make([]int, 0, 4096)
	}
	d.intArena = append(d.intArena, v)
	return &d.intArena[len(d.intArena)-1]
}

func encodeCache(c *cacheFile) []byte {
	e := &cacheEnc{b: make([]byte, 0, 64+len(c.List)*1700)}
	e.b = append(e.b, cacheMagic...)
	e.str(c.BaseID)
	e.state(c.Tip, c.RootTree, c.Fanout)
	e.uvarint(uint64(len(c.List)))
	// Each experiment's end offset, relative to the first experiment (fixed 4 bytes each), so that a reader can
	// decode ranges of experiments in parallel; then the blocks' checksums and the header's.
	table := len(e.b)
	blocks := (len(c.List) + cacheBlock - 1) / cacheBlock
	e.b = append(e.b, make([]byte, 4*len(c.List)+8*blocks+8)...)
	sums := table + 4*len(c.List)
	start := len(e.b)
	for i, x := range c.List {
		var prev *Experiment
		if i%cacheBlock != 0 {
			prev = c.List[i-1]
		}
		e.experiment(x, prev)
		binary.LittleEndian.PutUint32(e.b[table+4*i:], uint32(len(e.b)-start))
	}
	for k := 0; k < blocks; k++ {
		lo, hi := start, start+int(binary.LittleEndian.Uint32(e.b[table+4*min((k+1)*cacheBlock, len(c.List))-4:]))
		if k > 0 {
			lo = start + int(binary.LittleEndian.Uint32(e.b[table+4*(k*cacheBlock)-4:]))
		}
		binary.LittleEndian.PutUint64(e.b[sums+8*k:], sum(e.b[lo:hi]))
	}
	binary.LittleEndian.PutUint64(e.b[start-8:], sum(e.b[:start-8]))
	return e.b
}

// baseFile is a base cache file as mapped: its header read and checked, its experiments decoded on demand
// (decodeCache decodes them all; a Stream a round at a time, never holding them all).
type baseFile struct {
	data                  []byte
	s                     string // the same memory as data
	n, blocks             int
	table, sums, start    int // offsets of the end table, the blocks' checksums and the first experiment
	BaseID, Tip, RootTree string
	Fanout                map[string]string
}

// openCache reads the header of a base file and checks it (the experiments' blocks are checked as they are read).
func openCache(data []byte) (*baseFile, error) {
	if len(data) < len(cacheMagic) || string(data[:len(cacheMagic)]) != string(cacheMagic) {
		return nil, errCache
	}
	d := &cacheDec{b: data, s: unsafe.String(unsafe.SliceData(data), len(data)), i: len(cacheMagic)}
	f := &baseFile{data: data, s: d.s}
	f.BaseID = d.str()
	f.Tip, f.RootTree, f.Fanout = d.state()
	n := d.uvarint()
	if d.err != nil || n > uint64(len(data)) {
		return nil, errCache
	}
	blocks := (n + cacheBlock - 1) / cacheBlock
	if uint64(len(data)-d.i) < 4*n+8*blocks+8 {
		return nil, errCache
	}
	f.n, f.blocks = int(n), int(blocks)
	f.table = d.i
	f.sums = d.i + 4*f.n
	f.start = f.sums + 8*f.blocks + 8
	if binary.LittleEndian.Uint64(data[f.start-8:]) != sum(data[:f.start-8]) {
		return nil, errCache
	}
	if f.n > 0 && f.start+f.end(f.n-1) != len(data) {
		return nil, errCache
	}
	return f, nil
}

// decoder is a decoder of f's experiments (decode).
func (f *baseFile) decoder() *cacheDec { return &cacheDec{b: f.data, s: f.s} }

// end is the offset of the end of experiment i, relative to the first experiment.
func (f *baseFile) end(i int) int { return int(binary.LittleEndian.Uint32(f.data[f.table+4*i:])) }

// offset is where experiment i starts in the file.
func (f *baseFile) offset(i int) int {
	if i == 0 {
		return f.start
	}
	return f.start + f.end(i-1)
}

// checkBlock reports whether block k (experiments k*cacheBlock on) is as its checksum says.
func (f *baseFile) checkBlock(k int) bool {
	lo, hi := f.offset(k*cacheBlock), f.start+f.end(min((k+1)*cacheBlock, f.n)-1)
	return lo <= hi && hi <= len(f.data) && binary.LittleEndian.Uint64(f.data[f.sums+8*k:]) == sum(f.data[lo:hi])
}

// decode decodes experiments lo to hi (lo at the start of a block) into dst[:hi-lo], each overwritten whole; check
// says to check each block's checksum right before decoding it (a Stream checked them all before). rd, when not
// nil, is a decoder of f's to use again (its arenas are kept: what it decoded before stays as it was). A corrupt
// file is errCache, never a panic.
func (f *baseFile) decode(dst []Experiment, lo, hi int, check bool, rd *cacheDec) (err error) {
	defer func() {
		if recover() != nil {
			err = errCache
		}
	}()
	if rd == nil {
		rd = f.decoder()
	}
	rd.i = f.offset(lo)
	for i := lo; i < hi; i++ {
		if check && i%cacheBlock == 0 && !f.checkBlock(i/cacheBlock) {
			return errCache
		}
		var prev *Experiment
		if i%cacheBlock != 0 {
			prev = &dst[i-lo-1]
		}
		x := &dst[i-lo]
		*x = Experiment{}
		rd.experiment(x, prev)
		if rd.err != nil || rd.i != f.start+f.end(i) {
			return errCache
		}
	}
	return nil
}

func decodeCache(data []byte) (*cacheFile, error) {
	f, err := openCache(data)
	if err != nil {
		return nil, err
	}
	return f.decodeAll()
}

// decodeAll decodes every experiment of f, on every core, into one allocation.
func (f *baseFile) decodeAll() (*cacheFile, error) {
	c := &cacheFile{BaseID: f.BaseID, Tip: f.Tip, RootTree: f.RootTree, Fanout: f.Fanout}
	n := f.n
	c.List = make([]*Experiment, n)
	all := make([]Experiment, n) // one allocation for every experiment
	hugePages(unsafe.Pointer(unsafe.SliceData(all)), uintptr(n)*unsafe.Sizeof(Experiment{}))
	// Large caches decode on every core.
	parts := 1
	if n >= 4096 {
		parts = min(runtime.GOMAXPROCS(0), 8)
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		// whole blocks to each part, so that each checks the checksums of what it decodes
		lo, hi := f.blocks*p/parts*cacheBlock, min(f.blocks*(p+1)/parts*cacheBlock, n)
		wg.Go(func() {
			if lo >= hi {
				return
			}
			errs[p] = f.decode(all[lo:hi], lo, hi, true, nil)
			for i := lo; i < hi; i++ {
				c.List[i] = &all[i]
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	c.base = all
	return c, nil
}

// state encodes what the cache is the state of: the store's tip, its root tree and its fan-out directories.
func (e *cacheEnc) state(tip, root string, fanout map[string]string) {
	e.str(tip)
	e.str(root)
	e.uvarint(uint64(len(fanout)))
	for name, oid := range fanout {
		e.str(name)
		e.str(oid)
	}
}

func (d *cacheDec) state() (tip, root string, fanout map[string]string) {
	tip, root = d.str(), d.str()
	n := d.uvarint()
	fanout = make(map[string]string, min(n, 4096))
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := d.str()
		fanout[name] = d.str()
	}
	return tip, root, fanout
}

// cacheDelta is what changed since a base file: the experiments read since (new ones and new versions, newest
// first) and the ids of the base's experiments that are gone or replaced, with the state it brings the base to.
type cacheDelta struct {
	BaseID        string
	Tip, RootTree string
	Fanout        map[string]string
	Dropped       []string
	List          []*Experiment
}

// Layout: magic, base id, state, dropped ids, count, experiments.
func encodeDelta(c *cacheDelta) []byte {
	e := &cacheEnc{b: make([]byte, 0, 16<<10+len(c.List)*1600)}
	e.b = append(e.b, deltaMagic...)
	e.str(c.BaseID)
	e.state(c.Tip, c.RootTree, c.Fanout)
	e.strs(c.Dropped)
	e.uvarint(uint64(len(c.List)))
	for i, x := range c.List {
		var prev *Experiment
		if i > 0 {
			prev = c.List[i-1]
		}
		e.experiment(x, prev)
	}
	return binary.LittleEndian.AppendUint64(e.b, sum(e.b))
}

// decodeDelta decodes a delta read into memory it owns (its strings point into data).
func decodeDelta(data []byte) (c *cacheDelta, err error) {
	if len(data) < len(deltaMagic)+8 || string(data[:len(deltaMagic)]) != string(deltaMagic) {
		return nil, errCache
	}
	if binary.LittleEndian.Uint64(data[len(data)-8:]) != sum(data[:len(data)-8]) {
		return nil, errCache
	}
	data = data[:len(data)-8]
	defer func() {
		if recover() != nil {
			c, err = nil, errCache
		}
	}()
	d := &cacheDec{b: data, s: unsafe.String(unsafe.SliceData(data), len(data)), i: len(deltaMagic)}
	c = &cacheDelta{BaseID: d.str()}
	c.Tip, c.RootTree, c.Fanout = d.state()
	c.Dropped = d.strs()
	n := d.uvarint()
	if d.err != nil || n > uint64(len(data)) {
		return nil, errCache
	}
	all := make([]Experiment, n)
	c.List = make([]*Experiment, n)
	for i := range all {
		var prev *Experiment
		if i > 0 {
			prev = &all[i-1]
		}
		d.experiment(&all[i], prev)
		c.List[i] = &all[i]
	}
	if d.err != nil || d.i != len(data) {
		return nil, errCache
	}
	return c, nil
}

// The fields of an experiment are written in this order; each string field is written as "the same as" a
// reference when it is (a 0 in place of its length + 1): the same field of the experiment before it in the file
// (host, user, script, branch, head... repeat from one experiment to the next), or for started and updated this
// experiment's created and ended. The first experiment of each block has no experiment before it (blocks decode
// on their own). ShortID, a prefix of ID, is written as its length.
func (e *cacheEnc) experiment(x, prev *Experiment) {
	if prev == nil {
		prev = &noExperiment
	}
	m, p := &x.Manifest, &prev.Manifest
	e.varint(int64(m.Format))
	e.str(m.ID)
	e.ref(m.Name, p.Name)
	e.ref(m.Description, p.Description)
	e.refs(m.Tags, p.Tags, prev != &noExperiment)
	e.ref(m.Status, p.Status)
	e.ref(m.Script, p.Script)
	e.refs(m.Argv, p.Argv, prev != &noExperiment)
	e.ref(m.Cwd, p.Cwd)
	e.ref(m.Executor, p.Executor)
	e.ref(m.Host, p.Host)
	e.ref(m.User, p.User)
	e.ref(m.Email, p.Email)
	e.ref(m.Created, p.Created)
	e.ref(m.Started, m.Created)
	e.ref(m.Ended, p.Ended)
	e.ref(m.Updated, m.Ended)
	e.f64(m.DurationS)
	e.bool(m.ExitCode != nil)
	if m.ExitCode != nil {
		e.varint(int64(*m.ExitCode))
	}
	e.ref(m.Error, p.Error)
	e.ref(m.Batch, p.Batch)
	e.ref(m.Parent, p.Parent)
	e.varint(int64(m.Attempt))
	e.varint(int64(m.Seq))
	e.ref(m.Git.Head, p.Git.Head)
	e.ref(m.Git.Branch, p.Git.Branch)
	e.bool(m.Git.Dirty)
	e.ref(m.Git.Remote, p.Git.Remote)
	e.ref(m.Git.Snapshot, p.Git.Snapshot)
	e.refs(m.Git.Skipped, p.Git.Skipped, prev != &noExperiment)
	e.uvarint(uint64(len(m.Git.Submodules)))
	for _, sm := range m.Git.Submodules {
		e.str(sm.Path)
		e.str(sm.Commit)
		e.bool(sm.Dirty)
	}
	e.bool(m.Runner != nil)
	if r := m.Runner; r != nil {
		e.str(r.Host)
		e.varint(int64(r.PID))
		e.uvarint(r.Start)
		e.str(r.Boot)
	}
	e.uvarint(uint64(len(m.Sources)))
	for _, s := range m.Sources {
		e.str(s.Kind)
		e.str(s.Path)
		e.strs(s.Keys)
	}
	e.uvarint(uint64(len(m.Extra)))
	for k, v := range m.Extra {
		e.str(k)
		e.str(v)
	}
	e.bytes(x.ParamsJSON)
	e.bytes(x.ResultsJSON)
	e.bytes(x.MetricsJSON)
	var flags byte
	for i, b := range []bool{x.Archived, x.Deleted, x.Capped} {
		if b {
			flags |= 1 << i
		}
	}
	e.b = append(e.b, flags, x.objects)
	e.str(x.TreeOID)
	if strings.HasPrefix(x.ID, x.ShortID) {
		e.uvarint(uint64(len(x.ShortID)) + 1)
	} else {
		e.uvarint(0)
		e.str(x.ShortID)
	}
}

var noExperiment Experiment

// ref writes s as the same as r, or itself.
func (e *cacheEnc) ref(s, r string) {
	if s == r {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(s)) + 1)
	e.b = append(e.b, s...)
}

// refs writes l as the same as r (when there is an r), or itself.
func (e *cacheEnc) refs(l, r []string, hasRef bool) {
	if hasRef && slices.Equal(l, r) {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(l)) + 1)
	for _, s := range l {
		e.str(s)
	}
}

func (d *cacheDec) ref(r string) string {
	var n uint64
	if i := d.i; i < len(d.b) && d.b[i] < 0x80 { // as in span
		n, d.i = uint64(d.b[i]), i+1
	} else {
		n = d.uvarintLong()
	}
	if n == 0 || d.err != nil {
		return r
	}
	if n-1 > uint64(len(d.b)-d.i) {
		d.err = errCache
		return ""
	}
	s := d.s[d.i : d.i+int(n-1)]
	d.i += int(n - 1)
	return s
}

func (d *cacheDec) refs(r []string, hasRef bool) []string {
	n := d.uvarint()
	if n == 0 {
		if !hasRef {
			d.err = errCache
		}
		return r
	}
	return d.strsN(n - 1)
}

func (d *cacheDec) experiment(x, prev *Experiment) {
	hasPrev := prev != nil
	if !hasPrev {
		prev = &noExperiment
	}
	m, p := &x.Manifest, &prev.Manifest
	m.Format = int(d.varint())
	m.ID = d.str()
	m.Name = d.ref(p.Name)
	m.Description = d.ref(p.Description)
	m.Tags = d.refs(p.Tags, hasPrev)
	m.Status = d.ref(p.Status)
	m.Script = d.ref(p.Script)
	m.Argv = d.refs(p.Argv, hasPrev)
	m.Cwd = d.ref(p.Cwd)
	m.Executor = d.ref(p.Executor)
	m.Host = d.ref(p.Host)
	m.User = d.ref(p.User)
	m.Email = d.ref(p.Email)
	m.Created = d.ref(p.Created)
	m.Started = d.ref(m.Created)
	m.Ended = d.ref(p.Ended)
	m.Updated = d.ref(m.Ended)
	m.DurationS = d.f64()
	if d.bool() {
		m.ExitCode = d.intPtr(int(d.varint()))
	}
	m.Error = d.ref(p.Error)
	m.Batch = d.ref(p.Batch)
	m.Parent = d.ref(p.Parent)
	m.Attempt = int(d.varint())
	m.Seq = int(d.varint())
	m.Git.Head = d.ref(p.Git.Head)
	m.Git.Branch = d.ref(p.Git.Branch)
	m.Git.Dirty = d.bool()
	m.Git.Remote = d.ref(p.Git.Remote)
	m.Git.Snapshot = d.ref(p.Git.Snapshot)
	m.Git.Skipped = d.refs(p.Git.Skipped, hasPrev)
	if n := d.uvarint(); n > 0 && d.err == nil && n < uint64(len(d.b)) {
		m.Git.Submodules = make([]Submodule, n)
		for i := range m.Git.Submodules {
			m.Git.Submodules[i] = Submodule{Path: d.str(), Commit: d.str(), Dirty: d.bool()}
		}
	}
	if d.bool() {
		m.Runner = &Runner{Host: d.str(), PID: int(d.varint()), Start: d.uvarint(), Boot: d.str()}
	}
	if n := d.uvarint(); n > 0 && d.err == nil && n < uint64(len(d.b)) {
		m.Sources = make([]ParamSource, n)
		for i := range m.Sources {
			m.Sources[i] = ParamSource{Kind: d.str(), Path: d.str(), Keys: d.strs()}
		}
	}
	if n := d.uvarint(); n > 0 && d.err == nil && n < uint64(len(d.b)) {
		m.Extra = make(map[string]string, n)
		for i := uint64(0); i < n; i++ {
			k := d.str()
			m.Extra[k] = d.str()
		}
	}
	x.ParamsJSON = d.bytes()
	x.ResultsJSON = d.bytes()
	x.MetricsJSON = d.bytes()
	if d.err != nil || len(d.b)-d.i < 2 {
		d.err = errCache
		return
	}
	flags := d.b[d.i]
	x.Archived, x.Deleted, x.Capped = flags&1 != 0, flags&2 != 0, flags&4 != 0
	x.objects = d.b[d.i+1]
	d.i += 2
	x.TreeOID = d.str()
	if n := d.uvarint(); n > 0 {
		if n-1 > uint64(len(m.ID)) {
			d.err = errCache
			return
		}
		x.ShortID = m.ID[:n-1]
	} else {
		x.ShortID = d.str()
	}
}
