package gitstore

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// baseBuilder writes a new base file from experiments handed to it one at a time, in any order, while they are read
// from git: each is encoded at once to a temporary file and dropped, so that building the cache of a store read cold
// (after a clone, or a pull of many experiments) holds a small index in memory, not every experiment's decoded forms.
// finish sorts the index, rewrites the experiments to the base file in listing order (newest first, with the
// references to the experiment before and the short ids that need the whole set), and the caller maps it like any
// base. A cold listing of 100,000 held 576 MB this way before and ~12 KB per experiment the version before.
type baseBuilder struct {
	dir  string
	tmp  *os.File
	w    *bufio.Writer
	off  int64
	recs []builtRec
	keys []byte // created and id of each experiment, one after the other: no allocation per experiment
	enc  cacheEnc
	err  error
}

// builtRec is where one experiment is in the temporary file, and where what it is sorted by is in keys.
type builtRec struct {
	off            int64
	when           uint64 // createdKey of created, 0 when it has none
	n              uint32
	key            uint32 // created is keys[key:key+created], the id follows, idLen long
	added          uint32 // how many were added before it
	created, idLen uint16
}

// createdKey is a number that orders creation times in git-exp's form (2025-02-08T04:52:00.000Z: 17 digits) as
// their strings do, plus 1; 0 for any other string. Sorting 1,000,000 experiments by their strings took 1 s.
func createdKey(s string) uint64 {
	const form = "0000-00-00T00:00:00.000Z"
	if len(s) != len(form) {
		return 0
	}
	k := uint64(0)
	for i := 0; i < len(form); i++ {
		c := s[i]
		if form[i] != '0' {
			if c != form[i] {
				return 0
			}
			continue
		}
		if c < '0' || c > '9' {
			return 0
		}
		k = k*10 + uint64(c-'0')
	}
	return k + 1
}

// compareBuilt orders records newest first (CompareNewest): by creation time, then id, both descending.
func (b *baseBuilder) compareBuilt(x, y *builtRec) int {
	if x.when != 0 && y.when != 0 {
		if x.when != y.when {
			return cmp.Compare(y.when, x.when)
		}
	} else if c := strings.Compare(b.createdOf(y), b.createdOf(x)); c != 0 {
		return c
	}
	return strings.Compare(b.idOf(y), b.idOf(x))
}

func (b *baseBuilder) createdOf(r *builtRec) string {
	k := b.keys[r.key : r.key+uint32(r.created)]
	return unsafe.String(unsafe.SliceData(k), len(k))
}

func (b *baseBuilder) idOf(r *builtRec) string {
	start := r.key + uint32(r.created)
	k := b.keys[start : start+uint32(r.idLen)]
	return unsafe.String(unsafe.SliceData(k), len(k))
}

func newBaseBuilder(dir string) (*baseBuilder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "cache-build-")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // read back through the open file only; nothing to clean up after a crash
	return &baseBuilder{dir: dir, tmp: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// add encodes e on its own (no reference to another experiment) to the temporary file.
func (b *baseBuilder) add(e *Experiment) {
	if b.err != nil {
		return
	}
	b.enc.b = b.enc.b[:0]
	b.enc.experiment(e, nil)
	if len(b.enc.b) > 1<<31 || len(e.Created) > 1<<16-1 || len(e.ID) > 1<<16-1 || len(b.keys) > 1<<32-1<<17 ||
		len(b.recs) >= 1<<32-1 {
		b.err = errCache
		return
	}
	if _, err := b.w.Write(b.enc.b); err != nil {
		b.err = err
		return
	}
	b.recs = append(b.recs, builtRec{off: b.off, when: createdKey(e.Created), n: uint32(len(b.enc.b)),
		key: uint32(len(b.keys)), added: uint32(len(b.recs)), created: uint16(len(e.Created)), idLen: uint16(len(e.ID))})
	b.keys = append(append(b.keys, e.Created...), e.ID...)
	b.off += int64(len(b.enc.b))
}

// roundBlocks is how many blocks of cacheBlock experiments each core encodes at a time in finish.
var roundBlocks = 16

// close drops the temporary file.
func (b *baseBuilder) close() { b.tmp.Close() }

// finish writes the base file of the experiments added, with the state tip, root and fanout, to path.
func (b *baseBuilder) finish(path, tip, root string, fanout map[string]string) error {
	defer b.close()
	if b.err != nil {
		return b.err
	}
	if err := b.w.Flush(); err != nil {
		return err
	}
	recs := b.recs
	// The short ids (of the experiments in the order added) are worked out while the records are sorted.
	ids := make([]string, len(recs))
	for i := range recs {
		ids[i] = b.idOf(&recs[i])
	}
	var shorts []string // by added
	shortsDone := make(chan struct{})
	go func() {
		defer close(shortsDone)
		shorts = shortIDsOf(ids)
	}()
	slices.SortFunc(recs, func(x, y builtRec) int { return b.compareBuilt(&x, &y) })
	<-shortsDone
	ids = nil

	n := len(recs)
	blocks := (n + cacheBlock - 1) / cacheBlock
	h := &cacheEnc{}
	h.b = append(h.b, cacheMagic...)
	h.str(NewID())
	h.state(tip, root, fanout)
	h.uvarint(uint64(n))
	table := len(h.b)
	h.b = append(h.b, make([]byte, 4*n+8*blocks+8)...)
	sums := table + 4*n
	start := len(h.b)

	out, err := os.CreateTemp(b.dir, "cache-")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	w := bufio.NewWriterSize(out, 1<<20)
	if _, err := w.Write(h.b); err != nil { // the header again once the table and the checksums are known
		return err
	}
	// The temporary file is mapped, when it can be: reading it back in listing order is a read per experiment (1M
	// reads at 1,000,000), and the pages it takes are given back before the base is mapped (munmap below).
	var mem []byte
	if b.off > 0 && b.off < 1<<40 {
		if m, err := syscall.Mmap(int(b.tmp.Fd()), 0, int(b.off), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
			mem = m
			defer syscall.Munmap(m)
		}
	}
	// Each experiment is read back, decoded and encoded again after the one before it (which it refers to) within
	// its block of cacheBlock; blocks do not refer to each other, so they are encoded on every core, a round of
	// roundBlocks blocks per core at a time, and written in order.

	type part struct {
		b     []byte
		sizes []uint32
		sums  []uint64
		err   error
	}
	encode := func(p *part, lo, hi int) {
		p.b, p.sizes, p.sums, p.err = p.b[:0], p.sizes[:0], p.sums[:0], nil
		var bufs [2][]byte
		var exps [2]Experiment
		enc := &cacheEnc{b: p.b}
		d := &cacheDec{} // one decoder for all: its arenas serve many experiments
		hash := xxh3.New()
		for i := lo; i < hi; i++ {
			r := &recs[i]
			k := i & 1
			var buf []byte
			if mem != nil {
				if r.off+int64(r.n) > int64(len(mem)) {
					p.err = errCache
					return
				}
				buf = mem[r.off : r.off+int64(r.n)]
			} else {
				if cap(bufs[k]) < int(r.n) {
					bufs[k] = make([]byte, r.n, max(int(r.n), 4096))
				}
				buf = bufs[k][:r.n]
				if _, err := b.tmp.ReadAt(buf, r.off); err != nil {
					p.err = err
					return
				}
			}
			d.b, d.s, d.i = buf, unsafe.String(unsafe.SliceData(buf), len(buf)), 0
			exps[k] = Experiment{}
			d.experiment(&exps[k], nil)
			if d.err != nil || d.i != len(buf) {
				p.err = errCache
				return
			}
			exps[k].ShortID = shorts[r.added]
			var prev *Experiment
			if i%cacheBlock != 0 {
				prev = &exps[k^1]
			}
			at := len(enc.b)
			enc.experiment(&exps[k], prev)
			p.sizes = append(p.sizes, uint32(min(len(enc.b)-at, 1<<32-1)))
			hash.Write(enc.b[at:])
			if i%cacheBlock == cacheBlock-1 || i == n-1 {
				p.sums = append(p.sums, hash.Sum64())
				hash.Reset()
			}
		}
		p.b = enc.b
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	// A round is written (and its offsets and checksums put in the table) by a goroutine of its own while the next
	// one is encoded, into the other of two sets of parts: written between rounds, the cores waited for the writes
	// (336 MB at 1,000,000).
	sets := [2][]part{make([]part, workers), make([]part, workers)}
	end, rec, block := 0, 0, 0
	written := make(chan []part)
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for parts := range written {
			for k := range parts {
				p := &parts[k]
				if err != nil {
					break
				}
				if _, err = w.Write(p.b); err != nil {
					break
				}
				for _, size := range p.sizes {
					end += int(size)
					if end > 1<<32-1 {
						err = errCache
						break
					}
					binary.LittleEndian.PutUint32(h.b[table+4*rec:], uint32(end))
					rec++
				}
				for _, sum := range p.sums {
					binary.LittleEndian.PutUint64(h.b[sums+8*block:], sum)
					block++
				}
			}
		}
		writeErr <- err
	}()
	for round, lo := 0, 0; lo < n; round, lo = round+1, lo+workers*roundBlocks*cacheBlock {
		parts := sets[round%2] // the writer is done with it: it has taken the round after it
		var wg sync.WaitGroup
		for k := range workers {
			a := min(lo+k*roundBlocks*cacheBlock, n)
			z := min(a+roundBlocks*cacheBlock, n)
			wg.Go(func() { encode(&parts[k], a, z) })
		}
		wg.Wait()
		for k := range parts {
			if err == nil {
				err = parts[k].err
			}
		}
		if err != nil {
			break
		}
		written <- parts
	}
	close(written)
	if werr := <-writeErr; err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	if rec != n || block != blocks {
		return errCache
	}
	binary.LittleEndian.PutUint64(h.b[start-8:], sum(h.b[:start-8]))
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := out.WriteAt(h.b, 0); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(out.Name(), path); err != nil {
		return err
	}
	ok = true
	// What was read and built is garbage now: give it back before the caller maps the base.
	b.recs, b.keys, recs, shorts, h.b = nil, nil, nil, nil, nil
	debug.FreeOSMemory()
	return nil
}
