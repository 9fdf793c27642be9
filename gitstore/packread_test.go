//go:build unix

package gitstore

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// packTestRepo fills a repository with blobs much alike (so that git stores most as deltas), trees and commits, and
// packs them with the given repack options; it returns the store and every object id.
func packTestRepo(t *testing.T, repack ...string) (*Store, []string) {
	t.Helper()
	st, dir := testStore(t)
	r := rand.New(rand.NewSource(7))
	var blobs [][]byte
	for i := 0; i < 300; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "{\n  \"id\": %d,\n  \"lr\": %g,\n", i, r.Float64())
		for k := 0; k < 40+r.Intn(40); k++ {
			fmt.Fprintf(&b, "  \"key%d\": \"value %d of a long enough line to be worth a delta\",\n", k, k*(1+i%3))
		}
		b.WriteString("  \"end\": true\n}\n")
		blobs = append(blobs, []byte(b.String()))
	}
	blobs = append(blobs, []byte{}, bytes.Repeat([]byte{0, 1, 2, 255}, 50000)) // empty, and binary over 64 KiB
	oids, err := st.WriteBlobs(t.Context(), blobs)
	if err != nil {
		t.Fatal(err)
	}
	var parent []string
	for c := 0; c < 10; c++ {
		var ents []TreeEntry
		for i := c; i < len(oids); i += 3 {
			ents = append(ents, TreeEntry{Mode: "100644", Name: fmt.Sprintf("f%04d.json", i), OID: oids[i]})
		}
		tree, err := st.WriteTree(ents)
		if err != nil {
			t.Fatal(err)
		}
		commit, err := st.WriteCommit(tree, parent, fmt.Sprintf("commit %d", c))
		if err != nil {
			t.Fatal(err)
		}
		parent = []string{commit}
	}
	gitOut(t, dir, "update-ref", "refs/heads/packtest", parent[0])
	gitOut(t, dir, append([]string{"repack", "-adf", "-q", "--window=50", "--depth=20"}, repack...)...)
	all := strings.Fields(gitOut(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"))
	if len(all) < 300 {
		t.Fatalf("%d objects", len(all))
	}
	return st, all
}

// entryTypes counts the pack entries of the objects by their type in the pack (6: delta against an offset, 7:
// against an object id), so that a test of the delta paths can tell it took them.
func entryTypes(ps *packSet, oids []string) map[byte]int {
	n := map[byte]int{}
	for _, oid := range oids {
		id, _ := hex.DecodeString(oid)
		for _, p := range ps.packs {
			if off := p.find(id, ps.hashLen); off >= 0 {
				var buf [32]byte
				p.data.ReadAt(buf[:], off)
				typ, _, _, _ := packEntryHeader(buf[:])
				n[typ]++
			}
		}
	}
	return n
}

// TestPackReaderMatchesCatFile reads every object of packs written by git (deltas against an offset, and against an
// object id), plus a loose object and a missing one, through getObjects and through git cat-file: the same bytes.
func TestPackReaderMatchesCatFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		repack []string
		delta  byte
		pread  bool
	}{{"ofs-delta", nil, 6, false}, {"ref-delta", []string{"--no-write-bitmap-index"}, 7, false},
		{"ofs-delta-pread", nil, 6, true}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pread {
				defer func(m int64) { packMapMax = m }(packMapMax)
				packMapMax = 0
			}
			if tc.name == "ref-delta" {
				t.Setenv("GIT_CONFIG_COUNT", "1")
				t.Setenv("GIT_CONFIG_KEY_0", "repack.useDeltaBaseOffset")
				t.Setenv("GIT_CONFIG_VALUE_0", "false")
			}
			st, all := packTestRepo(t, tc.repack...)
			loose, err := st.WriteBlob([]byte("a loose object\n"))
			if err != nil {
				t.Fatal(err)
			}
			missing := strings.Repeat("0", 39) + "1"
			ask := append(append([]string{}, all...), loose, missing, "HEAD")
			ps := openPacks(st.ObjectDir, st.HexLen()/2)
			if ps == nil {
				t.Fatal("no pack opened")
			}
			if mapped := ps.packs[0].mem != nil; mapped == tc.pread {
				t.Fatalf("pack mapped: %v", mapped)
			}
			defer ps.close()
			if n := entryTypes(ps, all); n[tc.delta] < 100 {
				t.Fatalf("entry types %v: the test does not read deltas of type %d", n, tc.delta)
			}
			// What the packs answer alone: every packed object, nothing else.
			r := &packReader{set: ps}
			for _, oid := range all {
				if _, err := r.get(oid); err != nil {
					t.Fatalf("%s: %v", oid, err)
				}
			}
			if _, err := r.get(loose); err == nil {
				t.Fatal("a loose object read from a pack")
			}
			got, err := st.getObjects(ps, ask)
			if err != nil {
				t.Fatal(err)
			}
			want, err := st.cat.GetMany(ask)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ask {
				if got[i].Type != want[i].Type || !bytes.Equal(got[i].Data, want[i].Data) || got[i].OID != want[i].OID {
					t.Fatalf("%s: got %s %q (%d bytes), cat-file %s %q (%d bytes)", ask[i], got[i].Type, got[i].OID,
						len(got[i].Data), want[i].Type, want[i].OID, len(want[i].Data))
				}
			}
			if got[len(ask)-2].Type != "" {
				t.Fatal("a missing object was found")
			}
		})
	}
}

// TestPackReaderCorrupt: an object whose compressed bytes were damaged after the pack was indexed reads as "not
// readable here" (left to git: zlib's checksum covers every inflated byte), never as other bytes; damage anywhere
// never panics.
func TestPackReaderCorrupt(t *testing.T) {
	st, all := packTestRepo(t)
	ps := openPacks(st.ObjectDir, st.HexLen()/2)
	if ps == nil || len(ps.packs) != 1 {
		t.Fatal("not one pack")
	}
	defer ps.close()
	p := ps.packs[0]
	whole := make([]byte, p.size)
	if _, err := p.data.ReadAt(whole, 0); err != nil {
		t.Fatal(err)
	}
	damage := func(at ...int) *packReader {
		data := append([]byte(nil), whole...)
		for _, i := range at {
			data[i] ^= byte(0x55 + i%7)
		}
		cp := *p
		cp.data, cp.mem = bytes.NewReader(data), nil
		return &packReader{set: &packSet{hashLen: ps.hashLen, packs: []*packFile{&cp}}}
	}
	idxs, _ := filepath.Glob(filepath.Join(st.ObjectDir, "pack", "*.idx"))
	damaged := 0
	for _, line := range strings.Split(gitOut(t, st.Root, "verify-pack", "-v", idxs[0]), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || f[1] != "blob" {
			continue // a delta, or not an object
		}
		var size, packed, off int
		fmt.Sscan(f[2]+" "+f[3]+" "+f[4], &size, &packed, &off)
		if size < 1000 {
			continue
		}
		r := damage(off + packed/2)
		if o, err := r.get(f[0]); err == nil {
			t.Fatalf("%s damaged at %d read as %d bytes", f[0], off+packed/2, len(o.Data))
		}
		damaged++
	}
	if damaged == 0 {
		t.Fatal("no whole blob of 1,000 bytes in the pack")
	}
	rnd := rand.New(rand.NewSource(3))
	for round := 0; round < 20; round++ {
		var at []int
		for k := 0; k < 1+rnd.Intn(8); k++ {
			at = append(at, 12+rnd.Intn(len(whole)-12))
		}
		r := damage(at...)
		for _, oid := range all {
			r.get(oid)
		}
	}
}

// testIndex builds a version-2 pack index of the given ids (binary, hashLen long) at the given offsets.
func testIndex(ids [][]byte, offs []int64, hashLen int) []byte {
	type ent struct {
		id  []byte
		off int64
	}
	ents := make([]ent, len(ids))
	for i := range ids {
		ents[i] = ent{ids[i], offs[i]}
	}
	sort.Slice(ents, func(i, j int) bool { return bytes.Compare(ents[i].id, ents[j].id) < 0 })
	b := []byte("\xfftOc\x00\x00\x00\x02")
	for f := 0; f < 256; f++ {
		n := sort.Search(len(ents), func(i int) bool { return int(ents[i].id[0]) > f })
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	for _, e := range ents {
		b = append(b, e.id...)
	}
	for range ents {
		b = append(b, 0, 0, 0, 0) // CRCs
	}
	var big []int64
	for _, e := range ents {
		if e.off < 1<<31 {
			b = binary.BigEndian.AppendUint32(b, uint32(e.off))
		} else {
			b = binary.BigEndian.AppendUint32(b, 0x80000000|uint32(len(big)))
			big = append(big, e.off)
		}
	}
	for _, o := range big {
		b = binary.BigEndian.AppendUint64(b, uint64(o))
	}
	return append(b, make([]byte, 2*hashLen)...)
}

// TestPackIndexFind looks up every id of synthetic indexes (SHA-1 and SHA-256 lengths, 64-bit offsets, ids that
// share their first 8 bytes, crowded and empty fan-out ranges) and ids that are not there.
func TestPackIndexFind(t *testing.T) {
	for _, hl := range []int{20, 32} {
		for _, n := range []int{0, 1, 7, 1000, 20000} {
			r := rand.New(rand.NewSource(int64(n + hl)))
			var ids [][]byte
			var offs []int64
			seen := map[string]bool{}
			for len(ids) < n {
				id := make([]byte, hl)
				r.Read(id)
				switch len(ids) % 5 {
				case 1: // the same first 8 bytes as the one before
					copy(id, ids[len(ids)-1][:8])
				case 2:
					id[0] = 0x42 // crowd one fan-out range
				}
				if seen[string(id)] {
					continue
				}
				seen[string(id)] = true
				ids = append(ids, id)
				off := int64(12 + len(ids))
				if len(ids)%3 == 0 {
					off += 1 << 33
				}
				offs = append(offs, off)
			}
			p, err := parsePackIndex(testIndex(ids, offs, hl), hl)
			if err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				if got := p.find(id, hl); got != offs[i] {
					t.Fatalf("hash %d, %d ids: %x at %d, found %d", hl, n, id, offs[i], got)
				}
			}
			for k := 0; k < 2000; k++ {
				id := make([]byte, hl)
				r.Read(id)
				if k%2 == 0 && n > 0 {
					copy(id, ids[r.Intn(n)])
					id[hl-1-r.Intn(hl-8)] ^= 1
				}
				if seen[string(id)] {
					continue
				}
				if got := p.find(id, hl); got != -1 {
					t.Fatalf("hash %d: %x is not there, found at %d", hl, id, got)
				}
			}
		}
	}
}

// TestApplyDelta builds objects from deltas written by hand: copies (every offset and size byte form, the 64 KiB
// size of 0), inserts, and deltas that do not fit their base or their declared size.
func TestApplyDelta(t *testing.T) {
	base := make([]byte, 70000)
	for i := range base {
		base[i] = byte(i * 7)
	}
	size := func(n int) []byte {
		var b []byte
		for {
			c := byte(n & 0x7f)
			n >>= 7
			if n == 0 {
				return append(b, c)
			}
			b = append(b, c|0x80)
		}
	}
	delta := func(src, dst int, ops ...[]byte) []byte {
		d := append(size(src), size(dst)...)
		for _, op := range ops {
			d = append(d, op...)
		}
		return d
	}
	want := append(append(append([]byte("hi"), base[0x0102:0x0102+0x0304]...), base[:0x10000]...), base[5:6]...)
	got, err := applyDelta(base, delta(len(base), len(want),
		[]byte{2, 'h', 'i'},
		[]byte{0x80 | 0x01 | 0x02 | 0x10 | 0x20, 0x02, 0x01, 0x04, 0x03}, // offset 0x0102, size 0x0304
		[]byte{0x80},                     // offset 0, size 0: 0x10000
		[]byte{0x80 | 0x01 | 0x10, 5, 1}, // offset 5, size 1
	))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes (%v), want %d", len(got), err, len(want))
	}
	for name, d := range map[string][]byte{
		"base size":      delta(len(base)-1, 2, []byte{2, 'h', 'i'}),
		"short result":   delta(len(base), 3, []byte{2, 'h', 'i'}),
		"long result":    delta(len(base), 1, []byte{2, 'h', 'i'}),
		"copy past base": delta(len(base), 10, []byte{0x80 | 0x01 | 0x04, 0x00, 0x01, 0x10}),
		"insert of 0":    delta(len(base), 0, []byte{0}),
		"cut insert":     delta(len(base), 5, []byte{5, 'a'}),
		"cut copy":       delta(len(base), 5, []byte{0x80 | 0x01 | 0x02}),
		"no sizes":       {0x80},
	} {
		if _, err := applyDelta(base, d); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzApplyDelta: any delta either fails or gives exactly the size it declares, never a panic.
func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("0123456789"), []byte{10, 4, 0x91, 2, 2, 2, 'x', 'y'})
	f.Add([]byte{}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err != nil {
			return
		}
		_, rest, _ := deltaSize(delta)
		if n, _, _ := deltaSize(rest); n != len(out) {
			t.Fatalf("declared %d, got %d", n, len(out))
		}
	})
}

// FuzzPackRead reads objects out of arbitrary pack bytes indexed by arbitrary offsets: errors, never a panic, and an
// object read is one of git's four types.
func FuzzPackRead(f *testing.F) {
	f.Add([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x01\x35\x78\x9c\x4b\x4c\x4a\x06\x00\x02\x4d\x01\x27"), int64(12))
	f.Add([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x02\x35\x78\x9c\x4b\x4c\x4a\x06\x00\x02\x4d\x01\x27\x62\x01\x78\x9c\x63\x62\x86\x00\x00\x00\x09\x00\x04"), int64(23))
	f.Fuzz(func(t *testing.T, data []byte, off int64) {
		id := bytes.Repeat([]byte{1}, 20)
		other := bytes.Repeat([]byte{2}, 20)
		idx := testIndex([][]byte{id, other}, []int64{off & (1<<40 - 1), 12}, 20)
		p, err := parsePackIndex(idx, 20)
		if err != nil {
			t.Fatal(err)
		}
		p.data, p.size = bytes.NewReader(data), int64(len(data))
		r := &packReader{set: &packSet{hashLen: 20, packs: []*packFile{p}}}
		if o, err := r.get(hex.EncodeToString(id)); err == nil && o.Type == "" {
			t.Fatal("an object without a type")
		}
	})
}

// FuzzPackIndex: an arbitrary index either is refused or answers lookups without a panic.
func FuzzPackIndex(f *testing.F) {
	f.Add(testIndex([][]byte{bytes.Repeat([]byte{9}, 20)}, []int64{1 << 35}, 20), []byte("01234567890123456789"))
	f.Fuzz(func(t *testing.T, idx, id []byte) {
		p, err := parsePackIndex(idx, 20)
		if err != nil || len(id) < 20 {
			return
		}
		p.find(id[:20], 20)
	})
}

// TestPackReaderSHA256 reads the packs of a SHA-256 repository (32-byte ids in the index and in ref-deltas).
func TestPackReaderSHA256(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{"GIT_AUTHOR", "GIT_COMMITTER"} {
		t.Setenv(k+"_NAME", "T")
		t.Setenv(k+"_EMAIL", "t@e")
	}
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--object-format=sha256", dir).CombinedOutput(); err != nil {
		t.Skipf("git cannot make a SHA-256 repository: %v: %s", err, out)
	}
	var oids []string
	for i := 0; i < 60; i++ {
		body := fmt.Sprintf("{\n  \"i\": %d,\n%s}\n", i, strings.Repeat("  \"a long line that git will store as a delta\": 1,\n", 30))
		cmd := exec.Command("git", "-C", dir, "hash-object", "-w", "--stdin")
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		oids = append(oids, strings.TrimSpace(string(out)))
	}
	// Keep them: a tag per blob would be many refs; one tree of them all is enough.
	var tree strings.Builder
	for i, oid := range oids {
		fmt.Fprintf(&tree, "100644 blob %s\tf%02d\n", oid, i)
	}
	mk := exec.Command("git", "-C", dir, "mktree")
	mk.Stdin = strings.NewReader(tree.String())
	out, err := mk.Output()
	if err != nil {
		t.Fatal(err)
	}
	treeID := strings.TrimSpace(string(out))
	gitOut(t, dir, "update-ref", "refs/heads/x", strings.TrimSpace(gitOut(t, dir, "commit-tree", treeID, "-m", "x")))
	for _, offsets := range []string{"true", "false"} {
		gitOut(t, dir, "-c", "repack.useDeltaBaseOffset="+offsets, "repack", "-adf", "-q", "--window=50")
		ps := openPacks(filepath.Join(dir, ".git", "objects"), 32)
		if ps == nil {
			t.Fatal("no pack")
		}
		all := append([]string{treeID}, oids...)
		if n := entryTypes(ps, all); n[6]+n[7] < 30 {
			t.Fatalf("entry types %v: too few deltas", n)
		}
		r := &packReader{set: ps}
		for _, oid := range all {
			o, err := r.get(oid)
			if err != nil {
				t.Fatalf("%s: %v", oid, err)
			}
			want, err := exec.Command("git", "-C", dir, "cat-file", o.Type, oid).Output()
			if err != nil || string(o.Data) != string(want) {
				t.Fatalf("%s: %d bytes, git gives %d", oid, len(o.Data), len(want))
			}
		}
		ps.close()
	}
}

// TestColdReadFromPacks: a cold read of a packed store through the pack reader (with deltas, notes, a loose
// experiment written after the repack) lists exactly what a read through cat-file alone lists.
func TestColdReadFromPacks(t *testing.T) {
	st, dir := testStore(t)
	ctx := t.Context()
	var ids []string
	for i := 0; i < 80; i++ {
		id := fmt.Sprintf("%016x", 0xa000+i*7919)
		m := &Manifest{ID: id, Name: fmt.Sprintf("run-%d", i), Status: StatusCompleted, Tags: []string{"t"},
			Created: fmt.Sprintf("2026-01-01T00:%02d:%02d.000Z", i/60, i%60)}
		if err := st.Create(ctx, "run", m, []byte(fmt.Sprintf(`{"lr":%d,"model":{"name":"m%d"}}`, i, i%3))); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	b, _ := json.Marshal(Note{ID: "1", Op: "tag", Tags: []string{"x"}, Time: Now()})
	if err := st.Update(ctx, "tag", func(tx *Tx) error { return tx.WriteBlob(ExpPath(ids[3])+"/notes/1.json", b) }); err != nil {
		t.Fatal(err)
	}
	gitOut(t, dir, "repack", "-adf", "-q", "--window=50")
	if err := st.Create(ctx, "run", &Manifest{ID: "ffff000000000001", Name: "loose", Status: StatusCompleted,
		Created: "2026-02-01T00:00:00.000Z"}, []byte(`{"lr":1}`)); err != nil {
		t.Fatal(err)
	}
	read := func(minRead, batch int, mapMax int64) []string {
		t.Helper()
		defer func(m, b int, mm int64) { packMinRead, loadBatch, packMapMax = m, b, mm }(packMinRead, loadBatch, packMapMax)
		packMinRead, loadBatch, packMapMax = minRead, batch, mapMax
		exps, err := coldList(t, dir)
		if err != nil {
			t.Fatal(err)
		}
		return view(t, exps)
	}
	viaCat := read(1<<30, loadBatch, packMapMax)
	if len(viaCat) != 81 {
		t.Fatalf("through cat-file: %d experiments, want 81", len(viaCat))
	}
	// In one batch; in batches of 16, read in the order of the pack (loadEach), the pack mapped and read with pread.
	for _, c := range []struct {
		batch  int
		mapMax int64
	}{{1 << 20, 1 << 30}, {16, 1 << 30}, {16, 0}} {
		before := packAnswered.Load()
		viaPacks := read(1, c.batch, c.mapMax)
		if got := packAnswered.Load() - before; got < 3*80 { // tree, experiment.json, params.json
			t.Fatalf("batch %d: the packs answered %d objects, want every object of the 80 packed experiments", c.batch, got)
		}
		if !slices.Equal(viaPacks, viaCat) {
			t.Fatalf("batch %d, packs mapped up to %d bytes: through the packs:\n%q\nthrough cat-file:\n%q", c.batch, c.mapMax, viaPacks, viaCat)
		}
	}
	// One pack with the objects in the reverse order of the ids (git gc writes them in the order of the
	// directories, bench/genstore as they were recorded): batches read in the order of the pack are other sets of
	// experiments than batches read in the order of the ids.
	old, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*"))
	objs := strings.Fields(gitOut(t, dir, "rev-list", "--objects", "--no-object-names", "--all"))
	slices.Reverse(objs)
	pack := exec.Command("git", "-C", dir, "pack-objects", "-q", filepath.Join(".git", "objects", "pack", "pack"))
	pack.Stdin = strings.NewReader(strings.Join(objs, "\n") + "\n")
	if out, err := pack.CombinedOutput(); err != nil {
		t.Fatalf("git pack-objects: %v\n%s", err, out)
	}
	for _, p := range old {
		os.Remove(p)
	}
	gitOut(t, dir, "prune-packed")
	before := packAnswered.Load()
	if viaPacks := read(1, 16, 0); !slices.Equal(viaPacks, viaCat) {
		t.Fatalf("a pack in the reverse order: through the packs:\n%q\nthrough cat-file:\n%q", viaPacks, viaCat)
	}
	if got := packAnswered.Load() - before; got < 3*80 { // a last batch of one is cat-file's
		t.Fatalf("a pack in the reverse order: the packs answered %d objects, want every object of 80 experiments", got)
	}
}

// TestPackReaderSeveralPacks reads objects spread over two packs, alternating between them (the pack of the last
// object is tried first), against cat-file.
func TestPackReaderSeveralPacks(t *testing.T) {
	st, all := packTestRepo(t)
	var blobs [][]byte
	for i := 0; i < 2*packMin; i++ {
		blobs = append(blobs, []byte(fmt.Sprintf("blob %d of the second pack\n", i)))
	}
	more, err := st.WriteBlobs(t.Context(), blobs) // packMin or more: one new pack
	if err != nil {
		t.Fatal(err)
	}
	ps := openPacks(st.ObjectDir, st.HexLen()/2)
	if ps == nil || len(ps.packs) != 2 {
		t.Fatalf("want 2 packs, got %v", ps)
	}
	defer ps.close()
	var ask []string
	for i := range max(len(all), len(more)) {
		if i < len(all) {
			ask = append(ask, all[i])
		}
		if i < len(more) {
			ask = append(ask, more[i])
		}
	}
	r := &packReader{set: ps}
	want, err := st.cat.GetMany(ask)
	if err != nil {
		t.Fatal(err)
	}
	for i, oid := range ask {
		o, err := r.get(oid)
		if err != nil || o.Type != want[i].Type || !bytes.Equal(o.Data, want[i].Data) {
			t.Fatalf("%s: %v, %s of %d bytes; cat-file %s of %d bytes", oid, err, o.Type, len(o.Data), want[i].Type, len(want[i].Data))
		}
	}
}

// TestColdReadWhileRepacking reads the store cold, through the packs, while `git repack -adf` and
// `git gc --prune=now` replace and delete them underneath: every read lists every experiment (a pack that is gone,
// or a new one, is cat-file's to answer), never fewer and never an error.
func TestColdReadWhileRepacking(t *testing.T) {
	if testing.Short() {
		t.Skip("a repack loop beside cold reads (seconds); -short skips it")
	}
	st, dir := testStore(t)
	ctx := t.Context()
	const n = 150 // past packMinRead: the packs are read in process
	for i := 0; i < n; i++ {
		m := &Manifest{ID: fmt.Sprintf("%016x", 0xb000+i*7919), Name: fmt.Sprintf("run-%d", i), Status: StatusCompleted,
			Created: fmt.Sprintf("2026-01-01T00:%02d:%02d.000Z", i/60, i%60)}
		if err := st.Create(ctx, "run", m, []byte(fmt.Sprintf(`{"lr":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	gitOut(t, dir, "repack", "-adf", "-q")
	// git 2.39's gc, back to back, once in a while writes a commit-graph it cannot read itself (see fault_gc.txtar).
	gitOut(t, dir, "config", "gc.writeCommitGraph", "false")
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, args := range [][]string{{"repack", "-adf", "-q"}, {"gc", "--prune=now", "-q"}} {
				if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
					done <- fmt.Errorf("git %v: %v\n%s", args, err, out)
					return
				}
			}
		}
	}()
	defer func() {
		close(stop)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	before := packAnswered.Load()
	for round := 0; round < 12; round++ {
		exps, err := coldList(t, dir)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(exps) != n {
			t.Fatalf("round %d: %d experiments listed, want %d", round, len(exps), n)
		}
	}
	if packAnswered.Load() == before {
		t.Fatal("no object was read from the packs: the test did not exercise the pack reader")
	}
}

// TestColdReadUnreadableManifest: an experiment whose experiment.json is not JSON is listed, with the error, by a
// cold read through cat-file and through the packs alike.
func TestColdReadUnreadableManifest(t *testing.T) {
	st, dir := testStore(t)
	ctx := t.Context()
	for i := 0; i < 40; i++ {
		m := &Manifest{ID: fmt.Sprintf("%016x", 0xc000+i*7919), Name: fmt.Sprintf("run-%d", i), Status: StatusCompleted,
			Created: fmt.Sprintf("2026-01-01T00:00:%02d.000Z", i)}
		if err := st.Create(ctx, "run", m, []byte(`{"lr":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	bad := fmt.Sprintf("%016x", 0xc000+7*7919)
	if err := st.Update(ctx, "break", func(tx *Tx) error {
		return tx.WriteBlob(ExpPath(bad)+"/experiment.json", []byte("not json"))
	}); err != nil {
		t.Fatal(err)
	}
	gitOut(t, dir, "repack", "-adf", "-q")
	for _, minRead := range []int{1, 1 << 30} {
		func() {
			defer func(m, b int) { packMinRead, loadBatch = m, b }(packMinRead, loadBatch)
			packMinRead, loadBatch = minRead, 16
			exps, err := coldList(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(exps) != 40 {
				t.Fatalf("%d experiments listed, want 40", len(exps))
			}
			for _, e := range exps {
				if unreadable := strings.HasPrefix(e.Error, "experiment.json is unreadable"); unreadable != (e.ID == bad) {
					t.Errorf("packMinRead %d: %s: error %q", minRead, e.ID, e.Error)
				}
			}
		}()
	}
}

// TestInPackOrder: objects by pack, then offset; those in no pack last, in the order given.
func TestInPackOrder(t *testing.T) {
	locs := []objLoc{{off: 500, pack: 1}, {pack: -1}, {off: 12, pack: 0}, {off: 40, pack: 1}, {pack: -1}, {off: 1 << 45, pack: 0}, {off: 30, pack: 0}}
	if got, want := inPackOrder(locs), []int32{2, 6, 5, 3, 0, 1, 4}; !slices.Equal(got, want) {
		t.Fatalf("inPackOrder = %v, want %v", got, want)
	}
}

// coldList lists the store of dir as a cold read does: without its cache, through a Store opened afresh.
func coldList(t *testing.T, dir string) ([]*Experiment, error) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, ".git", "exp")); err != nil {
		t.Fatal(err)
	}
	st, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return st.Experiments()
}
