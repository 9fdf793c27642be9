package gitstore

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"sync"
)

// inflater decompresses the zlib streams of pack entries whose inflated size is known (the entry's header says it),
// from memory into memory. A cold listing inflates ~4 small objects per experiment (a 780-byte experiment.json, its
// tree, params, results): through compress/flate (the standard library's or klauspost's) one costs 8–10 µs, a third
// of it building the Huffman tables of the stream's dynamic block (huffmanDecoder.init, with an allocation for every
// code longer than 9 bits), the rest reading bits a byte at a time through an io.ByteReader and a 32 KiB window.
// Here the whole input is in memory and the output buffer is the window: tables are built as zlib's inflate_table
// builds them (a 10-bit first level, sub-tables for longer codes), bits are read 8 bytes at a time, and a length or
// distance's extra bits come with its table entry. It accepts exactly what compress/zlib accepts (FuzzInflate checks
// this against it), checks the adler32 of what it wrote, and fails — the caller then asks git — on anything else.
type inflater struct {
	lit  [litTableSize]uint32
	dist [distTableSize]uint32
	pre  [1 << preBits]uint32
	lens [maxLit + maxDist]uint8
}

const (
	litBits       = 10 // first-level bits of the literal/length table
	distBits      = 8  // of the distance table
	preBits       = 7  // the code-length code: 7 bits at most, one level
	litTableSize  = 2048
	distTableSize = 1024
	maxLit        = 286 // symbols a dynamic block may code (compress/flate's maxNumLit)
	maxDist       = 30
)

// A table entry: bits 0–4 the bits the code takes, 5–7 its kind, 8–11 the extra bits that follow it (lengths and
// distances) or the bits of the sub-table it links to, 16–31 its value (literal byte, base length or distance, index
// of a sub-table).
const (
	kLit     = 0 << 5
	kLen     = 1 << 5
	kEnd     = 2 << 5
	kSub     = 3 << 5
	kBad     = 4 << 5
	kindMask = 7 << 5
)

var errInflate = errors.New("zlib stream not decoded here")

var lenBase = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
	131, 163, 195, 227, 258}
var lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
var distBase = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
	2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
var distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
	13}

// The order in which a dynamic block gives the lengths of the code-length code.
var preOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

const (
	tLit = iota
	tDist
	tPre
)

// entryFor is the table entry of symbol sym (of a table of kind t) with a code of n bits.
func entryFor(t int, sym int, n int) uint32 {
	switch t {
	case tLit:
		if sym < maxLit {
			return litEntries[sym] | uint32(n)
		}
	case tDist:
		if sym < maxDist {
			return distEntries[sym] | uint32(n)
		}
	case tPre:
		return uint32(sym)<<16 | kLit | uint32(n)
	}
	return kBad | uint32(n)
}

// litEntries and distEntries are the table entries of each symbol without their code's length: building a dynamic
// block's tables looks every symbol up here (a cold listing builds them for every object it reads).
var litEntries, distEntries = func() (lit [maxLit]uint32, dist [maxDist]uint32) {
	for sym := range lit {
		switch {
		case sym < 256:
			lit[sym] = uint32(sym)<<16 | kLit
		case sym == 256:
			lit[sym] = kEnd
		default:
			i := sym - 257
			lit[sym] = uint32(lenBase[i])<<16 | uint32(lenExtra[i])<<8 | kLen
		}
	}
	for sym := range dist {
		dist[sym] = uint32(distBase[sym])<<16 | uint32(distExtra[sym])<<8 | kLen
	}
	return lit, dist
}()

// buildTable fills table from the code lengths lens (canonical Huffman codes, as deflate defines them) with a first
// level of root bits and sub-tables after it, as zlib's inflate_table does. It accepts what compress/flate's
// huffmanDecoder.init accepts: a complete code, a single code of one bit, or no code at all (the entries of codes
// not assigned are kBad). It returns the bits of the first level it built: fewer than root when every code is
// shorter, and the decoder then masks with that many bits instead of the first level being copied up to root bits
// (those copies were 40% of the building, which a cold listing does for nearly every object it reads).
func buildTable(table []uint32, lens []uint8, root uint, t int) (bits uint, ok bool) {
	// Counted in four arrays, so that runs of one length (the zeros of unused symbols) do not wait on each other.
	var c4 [4][16]uint16
	i := 0
	for ; i+4 <= len(lens); i += 4 {
		c4[0][lens[i]&15]++
		c4[1][lens[i+1]&15]++
		c4[2][lens[i+2]&15]++
		c4[3][lens[i+3]&15]++
	}
	for ; i < len(lens); i++ {
		c4[0][lens[i]&15]++
	}
	var count [16]uint16
	for l := range count {
		count[l] = c4[0][l] + c4[1][l] + c4[2][l] + c4[3][l]
	}
	count[0] = 0
	maxLen := uint(15)
	for maxLen > 0 && count[maxLen] == 0 {
		maxLen--
	}
	if maxLen == 0 { // no code: every entry bad
		for i := range table[:1<<root] {
			table[i] = kBad
		}
		return root, true
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left <<= 1
		left -= int(count[l])
		if left < 0 {
			return 0, false // over-subscribed
		}
	}
	if left > 0 {
		if !(maxLen == 1 && count[1] == 1) { // compress/flate accepts only this incomplete code
			return 0, false
		}
		for i := range table[:1<<root] {
			table[i] = kBad
		}
	}
	// Symbols sorted by code length, then by symbol (canonical order).
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [maxLit + maxDist]uint16
	for sym, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	minLen := uint(1)
	for count[minLen] == 0 {
		minLen++
	}
	if root > maxLen { // codes all shorter than the first level: a first level of maxLen bits is the whole table
		root = maxLen
	}
	curr := root // bits of the table being filled
	var (
		huff uint // the code being filled, bit-reversed (incremented from the top bit down)
		sym  int
		l    = minLen
		next = 0 // where the current (sub-)table starts
		drop uint
		low  = ^uint(0)
		used = 1 << root
		mask = uint(1)<<root - 1
	)
	for {
		e := entryFor(t, int(sorted[sym]), int(l-drop))
		incr := uint(1) << (l - drop)
		fill := uint(1) << curr
		size := fill
		for {
			fill -= incr
			table[next+int(huff>>drop)+int(fill)] = e
			if fill == 0 {
				break
			}
		}
		incr = 1 << (l - 1)
		for huff&incr != 0 {
			incr >>= 1
		}
		if incr != 0 {
			huff &= incr - 1
			huff += incr
		} else {
			huff = 0
		}
		sym++
		count[l]--
		if count[l] == 0 {
			if l == maxLen {
				break
			}
			l = uint(lens[sorted[sym]])
		}
		if l > root && huff&mask != low {
			if drop == 0 {
				drop = root
			}
			next += int(size)
			curr = l - drop
			left := 1 << curr
			for curr+drop < maxLen {
				left -= int(count[curr+drop])
				if left <= 0 {
					break
				}
				curr++
				left <<= 1
			}
			used += 1 << curr
			if used > len(table) {
				return 0, false
			}
			low = huff & mask
			table[low] = uint32(next)<<16 | uint32(curr)<<8 | kSub | uint32(root)
		}
	}
	return root, true
}

// The fixed codes of deflate's block type 1, built once.
var (
	fixedOnce sync.Once
	fixedLit  [litTableSize]uint32
	fixedDist [distTableSize]uint32
	// the bits of their first levels
	fixedLitBits, fixedDistBits uint
)

func fixedTables() {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	fixedLitBits = buildFixed(fixedLit[:], lens[:], litBits, tLit)
	fixedDistBits = buildFixed(fixedDist[:], dl[:], distBits, tDist)
}

// buildFixed builds a table of a fixed code, which has symbols (literal/lengths 286 and 287, distances 30 and 31)
// that dynamic blocks cannot have: their entries are bad.
func buildFixed(table []uint32, lens []uint8, root uint, t int) uint {
	bits, ok := buildTable(table, lens, root, t)
	if !ok {
		panic("gitstore: the fixed Huffman codes do not build")
	}
	return bits
}

// inflate decompresses the zlib stream src starts with into dst, which it must fill exactly, and checks the stream's
// adler32. Bytes after the stream are ignored.
func (f *inflater) inflate(dst, src []byte) error {
	if len(src) < 2 {
		return errInflate
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 || flg&0x20 != 0 {
		return errInflate
	}
	var (
		bits  uint64 // bits not used yet, the next at the bottom; above nb, the bytes from pos on (or zeros)
		nb    uint   // how many bits of bits are counted
		pos   = 2    // the next byte of src not counted in bits
		out   int    // bytes written to dst
		over  int    // bytes counted past the end of src (zeros)
		final bool
	)
	// refill makes nb ≥ 56: 8 bytes at a time while src has them.
	refill := func() bool {
		if pos+8 <= len(src) {
			bits |= binary.LittleEndian.Uint64(src[pos:]) << nb
			k := (63 - nb) >> 3
			pos += int(k)
			nb += k << 3
			return true
		}
		for nb <= 56 {
			if pos < len(src) {
				bits |= uint64(src[pos]) << nb
			} else {
				over++
			}
			pos++
			nb += 8
		}
		return over <= 8
	}
	for !final {
		if nb < 3 && !refill() {
			return errInflate
		}
		final = bits&1 != 0
		typ := bits >> 1 & 3
		bits >>= 3
		nb -= 3
		var lit *[litTableSize]uint32
		var distT *[distTableSize]uint32
		var litMask, distMask uint64 // of the tables' first levels
		switch typ {
		case 0: // stored: from the next byte, LEN and NLEN, then LEN bytes
			bits >>= nb & 7
			nb -= nb & 7
			p := pos - int(nb>>3)
			if p+4 > len(src) {
				return errInflate
			}
			n := int(binary.LittleEndian.Uint16(src[p:]))
			if binary.LittleEndian.Uint16(src[p+2:]) != ^uint16(n) || p+4+n > len(src) || n > len(dst)-out {
				return errInflate
			}
			out += copy(dst[out:], src[p+4:p+4+n])
			pos, bits, nb, over = p+4+n, 0, 0, 0
			continue
		case 1:
			fixedOnce.Do(fixedTables)
			lit, distT = &fixedLit, &fixedDist
			litMask, distMask = 1<<fixedLitBits-1, 1<<fixedDistBits-1
		case 2:
			if !refill() {
				return errInflate
			}
			nlit := int(bits&31) + 257
			ndist := int(bits>>5&31) + 1
			npre := int(bits>>10&15) + 4
			bits >>= 14
			nb -= 14
			if nlit > maxLit || ndist > maxDist {
				return errInflate
			}
			var pl [19]uint8
			for i := 0; i < npre; i++ {
				if nb < 3 && !refill() {
					return errInflate
				}
				pl[preOrder[i]] = uint8(bits & 7)
				bits >>= 3
				nb -= 3
			}
			preN, ok := buildTable(f.pre[:], pl[:], preBits, tPre)
			if !ok {
				return errInflate
			}
			preMask := uint64(1)<<preN - 1
			lens := f.lens[:nlit+ndist]
			for i := 0; i < len(lens); {
				if nb < 16 && !refill() {
					return errInflate
				}
				e := f.pre[bits&preMask]
				if e&kindMask == kBad {
					return errInflate
				}
				bits >>= e & 31
				nb -= uint(e & 31)
				sym := e >> 16
				if sym < 16 {
					lens[i] = uint8(sym)
					i++
					continue
				}
				var rep int
				var v uint8
				switch sym {
				case 16:
					if i == 0 {
						return errInflate
					}
					v = lens[i-1]
					rep = 3 + int(bits&3)
					bits >>= 2
					nb -= 2
				case 17:
					rep = 3 + int(bits&7)
					bits >>= 3
					nb -= 3
				default:
					rep = 11 + int(bits&127)
					bits >>= 7
					nb -= 7
				}
				if i+rep > len(lens) {
					return errInflate
				}
				for ; rep > 0; rep-- {
					lens[i] = v
					i++
				}
			}
			if lens[256] == 0 {
				return errInflate // no end of block
			}
			litN, ok := buildTable(f.lit[:], lens[:nlit], litBits, tLit)
			if !ok {
				return errInflate
			}
			distN, ok := buildTable(f.dist[:], lens[nlit:], distBits, tDist)
			if !ok {
				return errInflate
			}
			lit, distT = &f.lit, &f.dist
			litMask, distMask = 1<<litN-1, 1<<distN-1
		default:
			return errInflate
		}
		// The codes of the block: a literal/length, its extra bits, a distance and its extra bits take 48 bits at
		// most (15+5+15+13), so one refill serves each.
		for {
			if nb < 48 && !refill() {
				return errInflate
			}
			e := lit[bits&litMask]
			if e&kindMask == kSub { // only a first level of litBits links to sub-tables
				bits >>= litBits
				nb -= litBits
				e = lit[int(e>>16)+int(bits&(1<<(e>>8&15)-1))]
			}
			bits >>= e & 31
			nb -= uint(e & 31)
			k := e & kindMask
			if k == kLit {
				if out >= len(dst) {
					return errInflate
				}
				dst[out] = byte(e >> 16)
				out++
				continue
			}
			if k == kEnd {
				break
			}
			if k != kLen {
				return errInflate
			}
			x := uint(e >> 8 & 15)
			n := int(e>>16) + int(bits&(1<<x-1))
			bits >>= x
			nb -= x
			d := distT[bits&distMask]
			if d&kindMask == kSub { // only a first level of distBits links to sub-tables
				bits >>= distBits
				nb -= distBits
				d = distT[int(d>>16)+int(bits&(1<<(d>>8&15)-1))]
			}
			if d&kindMask != kLen {
				return errInflate
			}
			bits >>= d & 31
			nb -= uint(d & 31)
			x = uint(d >> 8 & 15)
			back := int(d>>16) + int(bits&(1<<x-1))
			bits >>= x
			nb -= x
			if back > out || n > len(dst)-out {
				return errInflate
			}
			if back >= n {
				copy(dst[out:out+n], dst[out-back:])
			} else {
				for k := range n {
					dst[out+k] = dst[out-back+k]
				}
			}
			out += n
		}
	}
	if out != len(dst) {
		return errInflate
	}
	// The checksum: the 4 bytes from the next byte boundary.
	nb -= nb & 7
	p := pos - int(nb>>3)
	if p+4 > len(src) {
		return errInflate
	}
	if binary.BigEndian.Uint32(src[p:]) != adler32.Checksum(dst) {
		return errInflate
	}
	return nil
}
