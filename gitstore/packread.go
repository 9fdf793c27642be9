//go:build unix

package gitstore

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/klauspost/compress/zlib"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// packSet reads objects straight from the repository's pack files (mapped), without git: what a cold listing reads is
// ~4 small objects per experiment, and through `git cat-file --batch` each costs git an index lookup, an inflate and
// two writes to the pipe (it flushes before every blob), and git-exp a wake-up and a read: 400,000 objects (100,000
// experiments) took git 3.0 s of CPU alone and the whole listing 6.2–6.7 s user + 2.4 s sys, one git process being
// the limit whatever the cores. Inflating them here takes ~2.3 s of CPU, shared by every core (bench/README.md, "cold
// read, third part"). Only what the packs answer simply is read here: an object that is loose, in an alternate, in a
// pack added since, larger than packMaxObject, or that does not decode, is left to cat-file (getObjects), so that git
// stays the judge of everything unusual.
type packSet struct {
	hashLen int
	packs   []*packFile
}

// packFile is one pack and its index (version 2, mapped). The pack is mapped when small (packMapMax): the pages
// of a mapping count as the process's memory, and a cold read of 1,000,000 experiments reads 4M objects all over an
// 800 MB pack; a large pack is read with pread, a copy of 2 KiB per object, but no fault per object, and nothing
// kept (faults with the pages given back after each batch cost 7.7 µs per object read at random, pread 2.3 µs).
type packFile struct {
	idx   []byte
	data  io.ReaderAt
	file  *os.File
	mem   []byte // the mapped pack, or nil
	size  int64
	n     int
	names []byte // n object ids, sorted
	off32 []byte // n 4-byte offsets (high bit: index into off64)
	off64 []byte
}

// packMapMax is how many bytes of packs are mapped rather than read with pread.
var packMapMax int64 = 128 << 20

// packMaxObject is the largest object (inflated) read from a pack here; larger ones are cat-file's.
const packMaxObject = 16 << 20

// packMaxDepth bounds a delta chain (git's own default is 50; a corrupt pack could make a loop).
const packMaxDepth = 4096

var errPackObject = errors.New("pack object not readable here")

// openPacks maps the pack files of objDir; nil when there are none (or none can be read).
func openPacks(objDir string, hashLen int) *packSet {
	idxs, _ := filepath.Glob(filepath.Join(objDir, "pack", "pack-*.idx"))
	s := &packSet{hashLen: hashLen}
	for _, idx := range idxs {
		if p := openPack(idx, hashLen); p != nil {
			s.packs = append(s.packs, p)
		}
	}
	slices.SortFunc(s.packs, byObjects)
	mapped := int64(0)
	for _, p := range s.packs {
		if mapped+p.size <= packMapMax {
			if mem, err := syscall.Mmap(int(p.file.Fd()), 0, int(p.size), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
				p.mem, p.data = mem, bytes.NewReader(mem)
				mapped += p.size
			}
		}
	}
	if len(s.packs) == 0 {
		return nil
	}
	return s
}

// byObjects orders packs with the most objects first (where most lookups end).
func byObjects(a, b *packFile) int { return b.n - a.n }

func openPack(idxPath string, hashLen int) *packFile {
	idx, err := mapIndex(idxPath)
	if err != nil {
		return nil
	}
	p, err := parsePackIndex(idx, hashLen)
	if err != nil {
		syscall.Munmap(idx)
		return nil
	}
	p.file, err = os.Open(strings.TrimSuffix(idxPath, ".idx") + ".pack")
	if err != nil {
		p.close()
		return nil
	}
	st, err := p.file.Stat()
	var head [12]byte
	if err != nil || st.Size() < int64(12+hashLen) || st.Size() > 1<<50 {
		p.close()
		return nil
	}
	p.data, p.size = p.file, st.Size()
	if _, err := p.file.ReadAt(head[:], 0); err != nil || string(head[:4]) != "PACK" ||
		binary.BigEndian.Uint32(head[8:]) != uint32(p.n) {
		p.close()
		return nil
	}
	return p
}

// mapIndex maps a pack index without reading it ahead: the index of a large repository's code can be hundreds of
// MB, of which reading a few experiments touches a few pages.
func mapIndex(path string) ([]byte, error) {
	return mapReadOnly(path, 8+1024, errPackObject, syscall.MAP_SHARED)
}

// parsePackIndex checks a version-2 pack index and returns its tables (idx must stay alive with them).
func parsePackIndex(idx []byte, hashLen int) (*packFile, error) {
	bad := errors.New("unreadable pack index")
	if len(idx) < 8+1024 || string(idx[:4]) != "\xfftOc" || binary.BigEndian.Uint32(idx[4:]) != 2 {
		return nil, bad
	}
	fan := idx[8 : 8+1024]
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		v := binary.BigEndian.Uint32(fan[4*i:])
		if v < prev {
			return nil, bad
		}
		prev = v
	}
	n := int(prev)
	rest := idx[8+1024:]
	if n > len(rest)/(hashLen+8) {
		return nil, bad
	}
	p := &packFile{idx: idx, n: n}
	p.names = rest[:n*hashLen]
	p.off32 = rest[n*hashLen+4*n : n*hashLen+8*n]
	p.off64 = rest[n*hashLen+8*n:]
	if len(p.off64) < 2*hashLen {
		return nil, bad
	}
	p.off64 = p.off64[:len(p.off64)-2*hashLen] // the pack's and the index's checksums
	return p, nil
}

func (p *packFile) close() {
	if p.idx != nil {
		syscall.Munmap(p.idx)
	}
	if p.mem != nil {
		syscall.Munmap(p.mem)
	}
	if p.file != nil {
		p.file.Close()
	}
	p.idx, p.file, p.data, p.mem = nil, nil, nil, nil
}

func (s *packSet) close() {
	for _, p := range s.packs {
		p.close()
	}
	s.packs = nil
}

// find returns the offset of the object id (binary) in p, or -1. Object ids are uniformly spread: the position of
// id between the bounds of its fan-out range is a close guess (interpolation), so a lookup reads ~3 entries of the
// index where a binary search reads ~19, each a cache miss in an index of millions.
func (p *packFile) find(id []byte, hashLen int) int64 {
	fan := p.idx[8:]
	lo := 0
	if id[0] > 0 {
		lo = int(binary.BigEndian.Uint32(fan[4*(int(id[0])-1):]))
	}
	hi := int(binary.BigEndian.Uint32(fan[4*int(id[0]):]))
	if hi > p.n || lo > hi {
		return -1
	}
	key := binary.BigEndian.Uint64(id)
	// Within the fan-out range the first byte is id[0]: interpolate on the next 8 bytes' worth below it.
	kl, kh := uint64(id[0])<<56, uint64(id[0])<<56|(1<<56-1)
	for probes := 0; lo < hi; probes++ {
		var m int
		if probes < 4 && kh > kl && key >= kl && key <= kh {
			m = lo + int(float64(hi-lo)*(float64(key-kl)/float64(kh-kl)))
			m = min(max(m, lo), hi-1)
		} else {
			m = int(uint(lo+hi) >> 1)
		}
		name := p.names[m*hashLen : m*hashLen+hashLen]
		c := binary.BigEndian.Uint64(name)
		if c == key {
			switch bytes.Compare(name[8:], id[8:]) {
			case 0:
				return p.offset(m)
			case -1:
				lo = m + 1
			default:
				hi = m
			}
			continue
		}
		if c < key {
			lo, kl = m+1, c
		} else {
			hi, kh = m, c
		}
	}
	return -1
}

// offset is the pack offset of the m-th object of the index, -1 when the index is corrupt.
func (p *packFile) offset(m int) int64 {
	o := binary.BigEndian.Uint32(p.off32[4*m:])
	if o&0x80000000 == 0 {
		return int64(o)
	}
	k := int(o & 0x7fffffff)
	if 8*k+8 > len(p.off64) {
		return -1
	}
	v := binary.BigEndian.Uint64(p.off64[8*k:])
	if v > 1<<62 {
		return -1
	}
	return int64(v)
}

// packReader reads objects of a packSet; one per goroutine (it keeps an inflater and delta bases).
type packReader struct {
	set   *packSet
	last  int    // the pack of the last object found
	chunk []byte // bytes of pack cpack from coff, read last
	cpack int
	coff  int64
	zf    *inflater // small streams (all of a store's objects but large files)
	zr    io.ReadCloser
	src   bytes.Reader
	bases map[baseKey]packed // inflated delta bases, most recent ones
	size  int                // bytes in bases
}

type baseKey struct {
	pack int
	off  int64
}

type packed struct {
	typ  byte
	data []byte
}

// packBaseCache bounds the delta bases a packReader keeps.
const packBaseCache = 16 << 20

var packTypeNames = [...]string{1: "commit", 2: "tree", 3: "blob", 4: "tag"}

// objLoc is where an object is in a packSet: the index of its pack and its offset there; pack is -1 when no pack
// has it.
type objLoc struct {
	off  int64
	pack int32
}

// locate finds the object id (hex) in the packs.
func (r *packReader) locate(oid string) objLoc {
	var id [32]byte
	hl := r.set.hashLen
	if len(oid) != 2*hl {
		return objLoc{pack: -1}
	}
	if _, err := hex.Decode(id[:hl], []byte(oid)); err != nil {
		return objLoc{pack: -1}
	}
	return r.locateRaw(id[:hl])
}

// locateRaw finds the object id (binary, hashLen bytes) in the packs, the pack that had the last object first (as
// git does: most objects of a store are in one pack).
func (r *packReader) locateRaw(id []byte) objLoc {
	hl := r.set.hashLen
	if len(id) != hl {
		return objLoc{pack: -1}
	}
	packs := r.set.packs
	for k := range packs {
		i := k
		if k == 0 {
			i = r.last
		} else if k <= r.last {
			i = k - 1
		}
		if off := packs[i].find(id, hl); off >= 0 {
			r.last = i
			return objLoc{off: off, pack: int32(i)}
		}
	}
	return objLoc{pack: -1}
}

// get reads the object id (hex); errPackObject when it is not in a pack or not readable here.
func (r *packReader) get(oid string) (gitcmd.Object, error) {
	return r.getAt(oid, r.locate(oid))
}

// getAt reads the object id (hex) at loc (locate).
func (r *packReader) getAt(oid string, loc objLoc) (gitcmd.Object, error) {
	if loc.pack < 0 {
		return gitcmd.Object{}, errPackObject
	}
	o, err := r.read(int(loc.pack), loc.off, 0)
	if err != nil {
		return gitcmd.Object{}, errPackObject
	}
	return gitcmd.Object{OID: oid, Type: packTypeNames[o.typ], Data: o.data}, nil
}

// locateAll locates the objects oids (hex), on every core.
func (s *packSet) locateAll(oids []string) []objLoc {
	locs := make([]objLoc, len(oids))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(oids)/1024))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := &packReader{set: s, cpack: -1}
			for i := w * len(oids) / workers; i < (w+1)*len(oids)/workers; i++ {
				locs[i] = r.locate(oids[i])
			}
		})
	}
	wg.Wait()
	return locs
}

// inPackOrder returns the indexes of locs in the order of the packs' bytes (pack, then offset), those in no pack
// last, in the order given.
func inPackOrder(locs []objLoc) []int32 {
	type keyed struct {
		key uint64 // pack (13 bits) and offset (50), or the top bit and the index, for one in no pack
		i   int32
	}
	keys := make([]keyed, len(locs))
	for i, l := range locs {
		keys[i] = keyed{1<<63 | uint64(i), int32(i)}
		if l.pack >= 0 && l.pack < 1<<13 && l.off < 1<<50 {
			keys[i].key = uint64(l.pack)<<50 | uint64(l.off)
		}
	}
	// Numbers, not objLocs compared field by field: sorting the 1,000,000 trees of a cold read is a section on one
	// core.
	slices.SortFunc(keys, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	order := make([]int32, len(locs))
	for k := range keys {
		order[k] = keys[k].i
	}
	return order
}

// packChunk is how much of a pack is read at once (pread) for an object: its header and, for most objects of a store
// (all under 1 KiB), the whole of it; the chunk is kept, and often holds the objects asked next (the files of one
// experiment are next to each other in a pack written as they were recorded).
const packChunk = 2048

// packRun is how much is read at once when objects are asked one after the other in the pack (the next one starts
// within packChunk of where the last chunk ended): a cold read asks the experiments in the order of their trees in
// the pack (loadEach), and read 2 KiB at a time the 720 MB pack of 1,000,000 took ~2M reads, 4.4 s of system time.
// Objects asked in the order of the pack but further apart (the files of genstore's experiments, in that order,
// are ~100 KB apart) are read 2 KiB at a time still: read 64 KiB at a time, most of it was copied for nothing.
const packRun = 64 << 10

// entry reads the pack entry at off of pack i: its type, inflated size, and its bytes from where the header ends
// up to at least the most its compressed data can take (or the end of the pack). The bytes are r's until the next
// call.
func (r *packReader) entry(i int, off int64) (typ byte, size int, data []byte, err error) {
	p := r.set.packs[i]
	if off < 12 || off >= p.size {
		return 0, 0, nil, errPackObject
	}
	var buf []byte
	switch {
	case p.mem != nil:
		buf = p.mem[off:]
	case i == r.cpack && off >= r.coff && off+64 <= r.coff+int64(len(r.chunk)):
		buf = r.chunk[off-r.coff:]
	default:
		n := int64(packChunk)
		if i == r.cpack && off >= r.coff && off < r.coff+int64(len(r.chunk))+packChunk {
			n = packRun // reading on through the pack
		}
		if buf, err = r.fill(i, off, n); err != nil {
			return 0, 0, nil, err
		}
	}
	typ, size, pos, err := packEntryHeader(buf)
	if err != nil {
		return 0, 0, nil, err
	}
	// zlib's bound on what it writes for size bytes, and the longest header of a delta (a base's id).
	need := int64(pos) + int64(size) + int64(size>>12+size>>14) + 64 + 64
	if p.mem == nil && need > int64(len(buf)) && int64(len(buf)) < p.size-off {
		if buf, err = r.fill(i, off, max(need, packChunk)); err != nil {
			return 0, 0, nil, err
		}
	}
	return typ, size, buf[pos:], nil
}

// fill reads n bytes of pack i from off (fewer at its end) into r's chunk.
func (r *packReader) fill(i int, off, n int64) ([]byte, error) {
	p := r.set.packs[i]
	n = min(n, p.size-off)
	if int64(cap(r.chunk)) < n {
		r.chunk = make([]byte, n)
	}
	r.chunk = r.chunk[:n]
	if m, _ := p.data.ReadAt(r.chunk, off); int64(m) != n {
		r.cpack = -1
		return nil, errPackObject
	}
	r.cpack, r.coff = i, off
	return r.chunk, nil
}

// read reads the object at off of pack i, resolving deltas through the bases kept (each base read is kept).
func (r *packReader) read(i int, off int64, depth int) (packed, error) {
	if depth > packMaxDepth {
		return packed{}, errPackObject
	}
	typ, size, data, err := r.entry(i, off)
	if err != nil {
		return packed{}, err
	}
	switch typ {
	case 1, 2, 3, 4:
		out, err := r.inflate(data, size)
		return packed{typ, out}, err
	case 6, 7:
	default:
		return packed{}, errPackObject
	}
	bi, boff := i, int64(0)
	if typ == 6 {
		rel, n := packOfsDelta(data)
		if n == 0 || rel <= 0 || rel > off {
			return packed{}, errPackObject
		}
		boff, data = off-rel, data[n:]
	} else {
		hl := r.set.hashLen
		if hl > len(data) {
			return packed{}, errPackObject
		}
		id := data[:hl]
		boff = -1
		for j, q := range r.set.packs {
			if o := q.find(id, hl); o >= 0 {
				bi, boff = j, o
				break
			}
		}
		if boff < 0 {
			return packed{}, errPackObject // a thin pack's base, or one in another object store: git's
		}
		data = data[hl:]
	}
	delta, err := r.inflate(data, size)
	if err != nil {
		return packed{}, err
	}
	key := baseKey{bi, boff}
	base, ok := r.bases[key]
	if !ok {
		if base, err = r.read(bi, boff, depth+1); err != nil {
			return packed{}, err
		}
	}
	out, err := applyDelta(base.data, delta)
	if err != nil {
		return packed{}, err
	}
	if !ok {
		r.keep(key, base)
	}
	return packed{base.typ, out}, nil
}

// keep remembers a delta base, forgetting them all when they pass packBaseCache (a chain is read again at worst).
func (r *packReader) keep(k baseKey, o packed) {
	if len(o.data) > packBaseCache/4 {
		return
	}
	if r.bases == nil || r.size+len(o.data) > packBaseCache {
		r.bases, r.size = make(map[baseKey]packed), 0
	}
	r.bases[k] = o
	r.size += len(o.data)
}

// packEntryHeader decodes the type and (inflated) size of the pack entry data starts with, and where what follows
// starts.
func packEntryHeader(data []byte) (typ byte, size int, pos int, err error) {
	if len(data) == 0 {
		return 0, 0, 0, errPackObject
	}
	c := data[0]
	typ = c >> 4 & 7
	size = int(c & 15)
	shift := 4
	pos = 1
	for c&0x80 != 0 {
		if pos >= len(data) || shift > 28 {
			return 0, 0, 0, errPackObject
		}
		c = data[pos]
		size |= int(c&0x7f) << shift
		shift += 7
		pos++
	}
	if size > packMaxObject {
		return 0, 0, 0, errPackObject
	}
	return typ, size, pos, nil
}

// packOfsDelta decodes the negative offset of an ofs-delta's base data starts with; n is 0 when it does not decode.
func packOfsDelta(data []byte) (rel int64, n int) {
	if len(data) == 0 {
		return 0, 0
	}
	c := data[0]
	rel = int64(c & 0x7f)
	n = 1
	for c&0x80 != 0 {
		if n >= len(data) || rel > 1<<48 {
			return 0, 0
		}
		c = data[n]
		rel = (rel+1)<<7 | int64(c&0x7f)
		n++
	}
	return rel, n
}

// inflate decompresses the zlib stream data starts with, which must give size bytes and end.
func (r *packReader) inflate(data []byte, size int) ([]byte, error) {
	if r.zf == nil {
		r.zf = new(inflater)
	}
	out := make([]byte, size)
	if r.zf.inflate(out, data) == nil {
		return out, nil
	}
	// What the inflater does not take (it takes what compress/zlib takes: FuzzInflate), zlib judges.
	r.src.Reset(data)
	if r.zr == nil {
		zr, err := zlib.NewReader(&r.src)
		if err != nil {
			return nil, errPackObject
		}
		r.zr = zr
	} else if err := r.zr.(zlib.Resetter).Reset(&r.src, nil); err != nil {
		return nil, errPackObject
	}
	if _, err := io.ReadFull(r.zr, out); err != nil {
		return nil, errPackObject
	}
	// The stream must end here: reading its end checks its checksum (of every byte inflated).
	var more [1]byte
	if n, err := r.zr.Read(more[:]); n != 0 || err != io.EOF {
		return nil, errPackObject
	}
	return out, nil
}

// applyDelta builds an object from its base and a git delta (copy and insert instructions).
func applyDelta(base, delta []byte) ([]byte, error) {
	srcSize, delta, ok := deltaSize(delta)
	if !ok || srcSize != len(base) {
		return nil, errPackObject
	}
	dstSize, delta, ok := deltaSize(delta)
	if !ok || dstSize > packMaxObject {
		return nil, errPackObject
	}
	out := make([]byte, 0, dstSize)
	for len(delta) > 0 {
		c := delta[0]
		delta = delta[1:]
		if c&0x80 == 0 {
			if c == 0 || int(c) > len(delta) {
				return nil, errPackObject
			}
			out = append(out, delta[:c]...)
			delta = delta[c:]
			continue
		}
		var off, n int
		for k := 0; k < 7; k++ {
			if c&(1<<k) == 0 {
				continue
			}
			if len(delta) == 0 {
				return nil, errPackObject
			}
			if k < 4 {
				off |= int(delta[0]) << (8 * k)
			} else {
				n |= int(delta[0]) << (8 * (k - 4))
			}
			delta = delta[1:]
		}
		if n == 0 {
			n = 0x10000
		}
		if off+n > len(base) || len(out)+n > dstSize {
			return nil, errPackObject
		}
		out = append(out, base[off:off+n]...)
	}
	if len(out) != dstSize {
		return nil, errPackObject
	}
	return out, nil
}

// deltaSize decodes one of the two sizes a delta starts with.
func deltaSize(d []byte) (int, []byte, bool) {
	size, shift := 0, 0
	for i := 0; i < len(d); i++ {
		if shift > 56 {
			return 0, nil, false
		}
		size |= int(d[i]&0x7f) << shift
		shift += 7
		if d[i]&0x80 == 0 {
			return size, d[i+1:], size >= 0
		}
	}
	return 0, nil, false
}

// packRunObjects is how many objects a core reads at a time, one after the other (readPacked).
const packRunObjects = 128

// packAnswered counts the objects getObjects read from packs (tests check that a cold read takes that path).
var packAnswered atomic.Int64

// getObjects reads many objects like cat.GetMany (a missing one comes back with an empty Type): from the packs ps
// (nil: none) directly, on every core, and what they do not answer from cat-file.
func (s *Store) getObjects(ps *packSet, oids []string) ([]gitcmd.Object, error) {
	return s.getObjectsAt(ps, oids, nil)
}

// getObjectsAt is getObjects of objects located already (locs: where each of oids is, locateAll), or not (nil).
func (s *Store) getObjectsAt(ps *packSet, oids []string, locs []objLoc) ([]gitcmd.Object, error) {
	if ps == nil || len(oids) < 16 {
		return s.getFew(oids)
	}
	return s.readPacked(ps, len(oids), func(r *packReader, i int) (gitcmd.Object, error) {
		if locs != nil {
			return r.getAt(oids[i], locs[i])
		}
		return r.get(oids[i])
	}, func(i int) string { return oids[i] })
}

// getRawObjects is getObjects of the objects whose binary ids are one after the other in raw. An object read from
// the packs comes back without its OID: its id is written in hex only when cat-file is asked for it (a cold read of
// 100,000 wrote 300,000 ids in hex, only to decode them again).
func (s *Store) getRawObjects(ps *packSet, raw []byte) ([]gitcmd.Object, error) {
	hl := s.HexLen() / 2
	n := len(raw) / hl
	hexOf := func(i int) string { return hex.EncodeToString(raw[i*hl : i*hl+hl]) }
	if ps == nil || n < 16 {
		oids := make([]string, n)
		for i := range oids {
			oids[i] = hexOf(i)
		}
		return s.getFew(oids)
	}
	return s.readPacked(ps, n, func(r *packReader, i int) (gitcmd.Object, error) {
		return r.getAt("", r.locateRaw(raw[i*hl:i*hl+hl]))
	}, hexOf)
}

// getFew reads objects like cat.GetMany, each from the object directory where it can (localObjects: what a listing
// after a run reads — its new tip, a fan-out tree or two, the experiments it recorded — then needs no cat-file), the
// rest in one request to cat-file.
func (s *Store) getFew(oids []string) ([]gitcmd.Object, error) {
	objs := make([]gitcmd.Object, len(oids))
	for i, oid := range oids {
		objs[i], _ = s.local.get(oid)
	}
	if _, err := s.askCat(objs, func(i int) string { return oids[i] }); err != nil {
		return nil, err
	}
	return objs, nil
}

// askCat reads from cat-file, in one request, the objects of objs not read yet (no Type), the i-th by its id in hex
// oid(i); it returns how many there were.
func (s *Store) askCat(objs []gitcmd.Object, oid func(i int) string) (int, error) {
	var rest []string
	var at []int
	for i := range objs {
		if objs[i].Type == "" {
			rest, at = append(rest, oid(i)), append(at, i)
		}
	}
	if len(rest) == 0 {
		return 0, nil
	}
	got, err := s.cat.GetMany(rest)
	if err != nil {
		return len(rest), err
	}
	for k, i := range at {
		objs[i] = got[k]
	}
	return len(rest), nil
}

// readPacked reads n objects from the packs ps, the i-th with get, on every core, and asks cat-file for those the
// packs do not answer (by their ids in hex, oid).
func (s *Store) readPacked(ps *packSet, n int, get func(r *packReader, i int) (gitcmd.Object, error), oid func(i int) string) ([]gitcmd.Object, error) {
	objs := make([]gitcmd.Object, n)
	// Runs of packRunObjects objects, in the order asked (the files of an experiment, asked one after the other, are
	// often next to each other in the pack: one read), taken by whichever core is free: in two halves, one core
	// waited for the other at the end of most calls (two per batch).
	workers := min(runtime.GOMAXPROCS(0), max(1, n/64))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			r := &packReader{set: ps, cpack: -1}
			for {
				lo := int(next.Add(packRunObjects)) - packRunObjects
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+packRunObjects, n); i++ {
					if o, err := get(r, i); err == nil {
						objs[i] = o
					}
				}
			}
		})
	}
	wg.Wait()
	asked, err := s.askCat(objs, oid)
	packAnswered.Add(int64(n - asked))
	if err != nil {
		return nil, err
	}
	return objs, nil
}
