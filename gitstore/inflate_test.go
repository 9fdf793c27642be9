package gitstore

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	kzlib "github.com/klauspost/compress/zlib"
)

// stdInflate is what compress/zlib makes of src when size bytes are expected and the stream must end there (what
// packReader asked of zlib before inflater).
func stdInflate(src []byte, size int) ([]byte, bool) {
	zr, err := zlib.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, false
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, false
	}
	var more [1]byte
	if n, err := zr.Read(more[:]); n != 0 || err != io.EOF {
		return nil, false
	}
	return out, true
}

// inflateSamples are documents of the kinds a store holds, and kinds no compressor would make cheaply (incompressible,
// long runs, large).
func inflateSamples() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	var text bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&text, `{"step": %d, "loss": %.6f, "acc": %.4f}`+"\n", i, rng.Float64(), rng.Float64())
	}
	manifest := []byte(`{
  "format": 1,
  "id": "00007c7e925a6cc5",
  "name": "train[lr=0.1,bs=32]",
  "tags": ["bench"],
  "status": "completed",
  "argv": ["python3", "-u", "train.py"],
  "created": "2025-02-08T04:52:00.000Z",
  "git": {"head": "6b79cb06d6a15138e896af2d5133654b5cf3769a", "dirty": false}
}
`)
	return [][]byte{
		nil, []byte("a"), []byte("abcabcabcabcabcabc"), manifest, bytes.Repeat([]byte{0}, 100000),
		bytes.Repeat([]byte("xy"), 40000), random(10), random(300), random(70000), text.Bytes(), text.Bytes()[:777],
		append(random(5000), bytes.Repeat(manifest, 40)...),
	}
}

// Every stream compress/zlib and klauspost's zlib write, at every level (stored, Huffman only, fixed and dynamic
// blocks, matches across block boundaries), inflates to what was compressed, with trailing bytes ignored; one byte
// expected more or less, a wrong checksum, a cut stream and a bad header are refused.
func TestInflateMatchesZlib(t *testing.T) {
	var f inflater
	for i, data := range inflateSamples() {
		for _, level := range []int{zlib.HuffmanOnly, zlib.NoCompression, zlib.BestSpeed, 2, 5, zlib.DefaultCompression, zlib.BestCompression} {
			for _, kp := range []bool{false, true} {
				var buf bytes.Buffer
				var w io.WriteCloser
				if kp {
					w, _ = kzlib.NewWriterLevel(&buf, level)
				} else {
					w, _ = zlib.NewWriterLevel(&buf, level)
				}
				w.Write(data)
				w.Close()
				src := buf.Bytes()
				name := fmt.Sprintf("sample %d (%d bytes), level %d, klauspost %v", i, len(data), level, kp)
				dst := make([]byte, len(data))
				if err := f.inflate(dst, append(src, "trailing"...)); err != nil || !bytes.Equal(dst, data) {
					t.Fatalf("%s: %v", name, err)
				}
				if f.inflate(make([]byte, len(data)+1), src) == nil {
					t.Fatalf("%s: inflated one byte more than the stream has", name)
				}
				if len(data) > 0 && f.inflate(make([]byte, len(data)-1), src) == nil {
					t.Fatalf("%s: inflated one byte less than the stream has", name)
				}
				bad := bytes.Clone(src)
				bad[len(bad)-1] ^= 1
				if f.inflate(dst, bad) == nil {
					t.Fatalf("%s: a wrong checksum was accepted", name)
				}
				if f.inflate(dst, src[:len(src)-1]) == nil {
					t.Fatalf("%s: a cut stream was accepted", name)
				}
				bad = bytes.Clone(src)
				bad[0] = 0x79
				if f.inflate(dst, bad) == nil {
					t.Fatalf("%s: a bad header was accepted", name)
				}
			}
		}
	}
}

// Degenerate codes compress/flate accepts (one distance code of one bit, no distance code at all) and codes it
// refuses (incomplete, over-subscribed, no end of block) are accepted and refused alike; so are the symbols no block
// may use (literal/length 286, distance 30).
func TestInflateEdgeCodes(t *testing.T) {
	// Raw deflate bodies, built bit by bit (LSB first).
	type bw struct {
		b    []byte
		n    uint
		acc  uint64
		bits uint
	}
	put := func(w *bw, v uint64, n uint) {
		w.acc |= v << w.bits
		w.bits += n
		for w.bits >= 8 {
			w.b = append(w.b, byte(w.acc))
			w.acc >>= 8
			w.bits -= 8
		}
	}
	code := func(w *bw, c func(int) (uint64, uint), s int) {
		v, n := c(s)
		put(w, v, n)
	}
	rev := func(code uint64, n uint) uint64 {
		var r uint64
		for i := uint(0); i < n; i++ {
			r = r<<1 | code>>i&1
		}
		return r
	}
	flush := func(w *bw) []byte {
		if w.bits > 0 {
			w.b = append(w.b, byte(w.acc))
		}
		return w.b
	}
	// A dynamic block: literal/length lengths lit, distance lengths dist, then what syms writes (with the codes
	// assigned canonically); the code-length code gives each of the lengths 0..15 four bits (a complete code).
	dynamic := func(lit, dist []uint8, syms func(w *bw, litCode, distCode func(int) (uint64, uint))) []byte {
		w := &bw{}
		put(w, 1, 1) // final
		put(w, 2, 2) // dynamic
		put(w, uint64(len(lit)-257), 5)
		put(w, uint64(len(dist)-1), 5)
		put(w, 19-4, 4)
		// Code-length code: symbols 0..15 get 4 bits, 16..18 none.
		for _, s := range preOrder {
			if s < 16 {
				put(w, 4, 3)
			} else {
				put(w, 0, 3)
			}
		}
		for _, l := range append(append([]uint8{}, lit...), dist...) {
			put(w, rev(uint64(l), 4), 4)
		}
		canon := func(lens []uint8) func(int) (uint64, uint) {
			var count, next [16]uint64
			for _, l := range lens {
				count[l]++
			}
			count[0] = 0
			code := uint64(0)
			for l := 1; l < 16; l++ {
				code = (code + count[l-1]) << 1
				next[l] = code
			}
			codes := make([]uint64, len(lens))
			for s, l := range lens {
				if l > 0 {
					codes[s] = next[l]
					next[l]++
				}
			}
			return func(s int) (uint64, uint) { return rev(codes[s], uint(lens[s])), uint(lens[s]) }
		}
		syms(w, canon(lit), canon(dist))
		return flush(w)
	}
	lit := make([]uint8, 257)
	lit['a'], lit['b'], lit[256] = 1, 2, 2
	cases := map[string][]byte{}
	cases["no distance code"] = dynamic(lit, []uint8{0}, func(w *bw, lc, _ func(int) (uint64, uint)) {
		for _, s := range []int{'a', 'b', 'a', 256} {
			code(w, lc, s)
		}
	})
	lit2 := make([]uint8, 258)
	lit2['a'], lit2[256], lit2[257] = 1, 2, 2
	cases["one distance code of one bit"] = dynamic(lit2, []uint8{1}, func(w *bw, lc, dc func(int) (uint64, uint)) {
		for _, s := range []int{'a', 257} {
			code(w, lc, s)
		}
		code(w, dc, 0)
		code(w, lc, 256)
	})
	cases["the missing distance code used"] = dynamic(lit2, []uint8{1}, func(w *bw, lc, dc func(int) (uint64, uint)) {
		code(w, lc, 'a')
		code(w, lc, 257)
		put(w, 1, 1)
		code(w, lc, 256)
	})
	cases["a length with no distance code"] = dynamic(lit2, []uint8{0}, func(w *bw, lc, _ func(int) (uint64, uint)) {
		code(w, lc, 'a')
		code(w, lc, 257)
		code(w, lc, 256)
	})
	inc := make([]uint8, 257)
	inc['a'], inc['b'], inc[256] = 2, 2, 2
	cases["incomplete"] = dynamic(inc, []uint8{0}, func(w *bw, lc, _ func(int) (uint64, uint)) { code(w, lc, 256) })
	over := make([]uint8, 257)
	over['a'], over['b'], over['c'], over[256] = 1, 2, 2, 2
	cases["over-subscribed"] = dynamic(over, []uint8{0}, func(w *bw, lc, _ func(int) (uint64, uint)) { code(w, lc, 256) })
	noEnd := make([]uint8, 257)
	noEnd['a'], noEnd['b'] = 1, 1
	cases["no end of block"] = dynamic(noEnd, []uint8{0}, func(w *bw, lc, _ func(int) (uint64, uint)) { code(w, lc, 'a') })
	only := make([]uint8, 257)
	only[256] = 1
	cases["only an end of block, one bit"] = dynamic(only, []uint8{0}, func(w *bw, lc, _ func(int) (uint64, uint)) { code(w, lc, 256) })
	// Codes of up to 15 bits (second-level tables): 255 literals of 8 bits leave 1/256 of the code space, which
	// 255 and 256..262 fill with codes of 9, 10, ..., 15 and 15 bits; distances 0..15 get 1, 2, ..., 15 and 15.
	deep := make([]uint8, 286)
	for i := range 255 {
		deep[i] = 8
	}
	for s, l := 255, uint8(9); l <= 15; s, l = s+1, l+1 {
		deep[s] = l
		if l == 15 {
			deep[s+1] = 15
		}
	}
	deepDist := make([]uint8, 30)
	for s := range 15 {
		deepDist[s] = uint8(s + 1)
	}
	deepDist[15] = 15
	cases["15-bit codes"] = dynamic(deep, deepDist, func(w *bw, lc, dc func(int) (uint64, uint)) {
		for c := 'a'; c <= 'z'; c++ {
			code(w, lc, int(c))
		}
		code(w, lc, 255)
		code(w, lc, 261) // length 7 (15 bits)
		code(w, dc, 9)   // distance 25 + 3 bits (10 bits)
		put(w, 2, 3)
		code(w, lc, 262) // length 8 (15 bits)
		code(w, dc, 0)   // distance 1
		code(w, lc, 260) // length 6
		code(w, dc, 8)   // distance 17 + 3 bits
		put(w, 0, 3)
		code(w, lc, 256)
	})
	cases["fixed: literal/length 286"] = func() []byte {
		w := &bw{}
		put(w, 1, 1)
		put(w, 1, 2)
		put(w, rev(0xc6, 8), 8) // 286: 11000110
		return flush(w)
	}()
	cases["fixed: distance 30"] = func() []byte {
		w := &bw{}
		put(w, 1, 1)
		put(w, 1, 2)
		put(w, rev(0x30+'a', 8), 8) // 'a'
		put(w, rev(1, 7), 7)        // 257: length 3
		put(w, rev(30, 5), 5)
		put(w, 0, 7) // end of block
		return flush(w)
	}()
	var f inflater
	for name, body := range cases {
		out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(body)), 1<<20))
		stream := zlibAround(body, out)
		want, wantOK := stdInflate(stream, len(out))
		dst := make([]byte, len(out))
		gotErr := f.inflate(dst, stream)
		t.Logf("%s: flate %v, ok %v, %q", name, err, wantOK, want)
		if (gotErr == nil) != wantOK || wantOK && !bytes.Equal(dst, want) {
			t.Errorf("%s: compress/flate %v (%q), inflater %v (%q)", name, err, want, gotErr, dst)
		}
	}
}

// zlibAround makes a zlib stream of a raw deflate body that inflates to out (its checksum).
func zlibAround(body, out []byte) []byte {
	s := append([]byte{0x78, 0x9c}, body...)
	return binary.BigEndian.AppendUint32(s, adler32.Checksum(out))
}

// FuzzInflate: on any deflate body, inflater and compress/zlib agree: both refuse it, or both inflate it to the same
// bytes (the stream given a right checksum first, so that the fuzzer reaches past it).
func FuzzInflate(f *testing.F) {
	for _, data := range inflateSamples()[:10] {
		for _, level := range []int{zlib.HuffmanOnly, zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression} {
			var buf bytes.Buffer
			w, _ := flate.NewWriter(&buf, level)
			w.Write(data)
			w.Close()
			if buf.Len() < 4096 {
				f.Add(buf.Bytes(), uint16(0))
			}
		}
	}
	f.Add([]byte{0x4b, 0x4c, 0x4a, 0x06, 0x00}, uint16(1))
	f.Fuzz(func(t *testing.T, body []byte, delta uint16) {
		zr := flate.NewReader(bytes.NewReader(body))
		out, err := io.ReadAll(io.LimitReader(zr, 1<<20))
		var in inflater
		stream := zlibAround(body, out)
		// The size expected: what compress/flate made of it, or that plus or minus a little.
		size := len(out) + int(int8(delta))
		if delta&0x100 == 0 {
			size = len(out)
		}
		if size < 0 {
			return
		}
		want, wantOK := stdInflate(stream, size)
		dst := make([]byte, size)
		got := in.inflate(dst, stream)
		if (got == nil) != wantOK {
			t.Fatalf("compress/zlib ok=%v (flate: %v), inflater %v", wantOK, err, got)
		}
		if wantOK && !bytes.Equal(dst, want) {
			t.Fatalf("inflated %q, compress/zlib %q", dst, want)
		}
		// A wrong checksum is refused by both.
		if wantOK {
			stream[len(stream)-1] ^= 0x55
			if in.inflate(dst, stream) == nil {
				t.Fatal("a wrong checksum was accepted")
			}
		}
	})
}

// BenchmarkInflate: the zlib streams of the first objects of the pack of the store named by GITEXP_BENCH_STORE
// (bench/genstore: experiment.json, params, results, trees), inflated by inflater and by klauspost's zlib as
// packReader did before it (a Reset reader per goroutine).
func BenchmarkInflate(b *testing.B) {
	dir := os.Getenv("GITEXP_BENCH_STORE")
	if dir == "" {
		b.Skip("GITEXP_BENCH_STORE is not set")
	}
	ps := openPacks(filepath.Join(dir, ".git", "objects"), 20)
	if ps == nil {
		b.Fatal("no pack")
	}
	defer ps.close()
	p := ps.packs[0]
	type stream struct {
		src  []byte
		size int
	}
	var streams []stream
	total := 0
	r := &packReader{set: ps, cpack: -1}
	for m := 0; m < p.n && len(streams) < 20000; m++ {
		typ, size, data, err := r.entry(0, p.offset(m))
		if err != nil || typ > 4 {
			continue
		}
		streams = append(streams, stream{bytes.Clone(data[:min(len(data), size+size/8+64)]), size})
		total += size
	}
	b.Logf("%d streams, %d bytes inflated", len(streams), total)
	b.Run("inflater", func(b *testing.B) {
		var f inflater
		for b.Loop() {
			for _, s := range streams {
				if err := f.inflate(make([]byte, s.size), s.src); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(streams)), "ns/stream")
	})
	b.Run("klauspost", func(b *testing.B) {
		var k klauspostInflater
		for b.Loop() {
			for _, s := range streams {
				if _, err := k.inflate(s.src, s.size); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(streams)), "ns/stream")
	})
}

// klauspostInflater inflates as packReader did before inflater: klauspost's zlib, a reader Reset per stream.
type klauspostInflater struct {
	src bytes.Reader
	zr  io.ReadCloser
}

func (k *klauspostInflater) inflate(data []byte, size int) ([]byte, error) {
	k.src.Reset(data)
	if k.zr == nil {
		zr, err := kzlib.NewReader(&k.src)
		if err != nil {
			return nil, err
		}
		k.zr = zr
	} else if err := k.zr.(kzlib.Resetter).Reset(&k.src, nil); err != nil {
		return nil, err
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(k.zr, out); err != nil {
		return nil, err
	}
	var more [1]byte
	if n, err := k.zr.Read(more[:]); n != 0 || err != io.EOF {
		return nil, errPackObject
	}
	return out, nil
}
