package gitstore

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"
)

// Git file modes used in trees.
const (
	ModeFile    = "100644"
	ModeExec    = "100755"
	ModeSymlink = "120000"
	ModeTree    = "40000"
	ModeGitlink = "160000"
)

// objectWriter writes loose objects in git's own format (zlib of "<type> <size>\0<data>", temp file + rename, like
// git's write_loose_object), so concurrent writers are safe and large blobs are streamed, never held in memory.
type objectWriter struct {
	dir    string // the objects directory
	sha256 bool
	dirs   sync.Map // fan-out directories known to exist

	// recent remembers how to write again each object written since the ref update that made it reachable was
	// verified: a `git gc --prune=now` running beside a writer can delete objects between their write and the
	// ref update, and the writer is the only one who still has them.
	mu     sync.Mutex
	recent map[string]source
}

// source is how to write an object again: its content, or the file it was read from.
type source struct {
	typ     string
	data    []byte
	path    string
	rebuild func() (path string, done func(), err error) // makes a file with the content again (compressed logs)
}

// setRebuild says how to make the content of a noted object again when neither its content nor its file is kept.
func (w *objectWriter) setRebuild(oid string, fn func() (string, func(), error)) {
	w.mu.Lock()
	if src, ok := w.recent[oid]; ok {
		src.rebuild = fn
		w.recent[oid] = src
	}
	w.mu.Unlock()
}

func (w *objectWriter) note(oid, typ string, data []byte, path string) {
	w.mu.Lock()
	if w.recent == nil {
		w.recent = map[string]source{}
	}
	w.recent[oid] = source{typ: typ, data: data, path: path}
	w.mu.Unlock()
}

func (w *objectWriter) lookup(oid string) (source, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	src, ok := w.recent[oid]
	return src, ok
}

func (w *objectWriter) forget(oids []string) {
	w.mu.Lock()
	for _, oid := range oids {
		delete(w.recent, oid)
	}
	w.mu.Unlock()
}

// rewrite writes an object again from what was remembered of it; false when nothing was.
func (w *objectWriter) rewrite(oid string) (bool, error) {
	src, ok := w.lookup(oid)
	if !ok {
		return false, nil
	}
	open := bytesSource(src.data)
	if src.rebuild != nil {
		path, done, err := src.rebuild()
		if err != nil {
			return false, nil // the file it was made from is gone
		}
		defer done()
		src.path = path
	}
	if src.path != "" {
		if _, err := os.Stat(src.path); err != nil {
			return false, nil // the file is gone: nothing left to write it from
		}
		open = fileSource(src.path)
	}
	got, err := w.writeStreamAs(src.typ, open, true)
	if err != nil {
		return false, err
	}
	return got == oid, nil
}

// zlibWriters are reused: a deflate compressor is hundreds of kilobytes of state, and allocating one per object
// was most of the cost of writing a small object.
var zlibWriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed) // git's core.looseCompression default
	return zw
}}

func (w *objectWriter) newHash() hash.Hash {
	if w.sha256 {
		return sha256.New()
	}
	return sha1.New()
}

// write stores an in-memory object and returns its id. The id is computed first, so an object git already has
// (an empty log, an unchanged tree) costs no file at all.
func (w *objectWriter) write(typ string, data []byte) (string, error) {
	h := w.newHash()
	h.Write([]byte(typ + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	oid := hex.EncodeToString(h.Sum(nil))
	w.note(oid, typ, data, "")
	if _, err := os.Stat(filepath.Join(w.dir, oid[:2], oid[2:])); err == nil {
		traceObjf("object %s %s exists", typ, oid[:10])
		return oid, nil
	}
	traceObjf("object %s %s writing", typ, oid[:10])
	return w.writeStreamAs(typ, bytesSource(data), false)
}

// writeStreamAs stores an object; force writes it even when a loose copy exists (a copy about to be pruned by a
// concurrent gc is not one to rely on when the object is being rewritten after a loss).
func (w *objectWriter) writeStreamAs(typ string, open func() (io.Reader, int64, func(), error), force bool) (string, error) {
	// `git prune` (git gc --prune=now) deletes every tmp_obj_ file it finds, ours included, while we write it:
	// then the object is written again from the start, like any other interrupted write.
	for try := 0; ; try++ {
		r, size, done, err := open()
		if err != nil {
			return "", err
		}
		oid, err := w.writeOnce(typ, r, size, force)
		done()
		if !errors.Is(err, errTmpGone) || try >= 20 {
			return oid, err
		}
	}
}

var errTmpGone = errors.New("temporary object file deleted while being written")

func (w *objectWriter) writeOnce(typ string, r io.Reader, size int64, force bool) (string, error) {
	hdr := typ + " " + strconv.FormatInt(size, 10) + "\x00"
	h := w.newHash()
	h.Write([]byte(hdr))
	var small []byte // the whole file of a small object (or a tree), compressed in memory
	if size <= smallObject || typ == "tree" && size <= storedTreeMax {
		raw := make([]byte, len(hdr)+int(size)+1)
		copy(raw, hdr)
		n, err := io.ReadFull(r, raw[len(hdr):])
		if err != io.ErrUnexpectedEOF && err != io.EOF {
			if err != nil {
				return "", err
			}
			n++ // one byte more than announced
		}
		if int64(n) != size {
			return "", fmt.Errorf("object changed while being stored (%d bytes or more, expected %d)", n, size)
		}
		raw = raw[:len(raw)-1]
		h.Write(raw[len(hdr):])
		if typ == "tree" {
			small = zlibStored(raw)
		} else {
			small = zlibSmall(raw)
		}
	}
	tmp, err := createTemp(w.dir, "tmp_obj_")
	if err != nil {
		return "", fmt.Errorf("cannot write to the object database: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp.Name())
		}
	}()
	if small != nil {
		_, err = tmp.Write(small)
	} else {
		err = w.compressTo(tmp, h, hdr, r, size)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	oid := hex.EncodeToString(h.Sum(nil))
	final := filepath.Join(w.dir, oid[:2], oid[2:])
	if _, err := os.Stat(final); err == nil && !force {
		return oid, nil
	}
	if _, ok := w.dirs.Load(oid[:2]); !ok {
		if err := mkdirRacing(filepath.Dir(final)); err != nil {
			return "", err
		}
		w.dirs.Store(oid[:2], true)
	}
	// `git repack -d` and `git prune` remove fan-out directories that become empty, at any moment: like git's own
	// writers (finalize_object_file), recreate the directory and try again when the rename finds it gone.
	for try := 0; ; try++ {
		err = os.Rename(tmp.Name(), final)
		if err == nil {
			renamed = true
			return oid, nil
		}
		if _, serr := os.Stat(final); serr == nil && !force {
			return oid, nil
		}
		if !errors.Is(err, os.ErrNotExist) || try >= 20 {
			return "", fmt.Errorf("cannot write to the object database: %w", err)
		}
		if _, serr := os.Lstat(tmp.Name()); errors.Is(serr, os.ErrNotExist) {
			return "", errTmpGone
		}
		if err := mkdirRacing(filepath.Dir(final)); err != nil {
			return "", fmt.Errorf("cannot write to the object database: %w", err)
		}
	}
}

// compressTo streams a large object's header and content into f through a pooled zlib writer, hashing the content.
func (w *objectWriter) compressTo(f io.Writer, h hash.Hash, hdr string, r io.Reader, size int64) error {
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(f)
	zw.Write([]byte(hdr))
	var n int64
	var err error
	if size >= pipelineSize {
		n, err = hashAndCompress(h, zw, r)
	} else {
		n, err = io.Copy(io.MultiWriter(h, zw), r)
	}
	if err == nil && n != size {
		err = fmt.Errorf("object changed while being stored (%d bytes, expected %d)", n, size)
	}
	if err == nil {
		err = zw.Close()
	}
	return err
}

// smallObject is the size up to which an object is compressed in memory by zlibSmall rather than streamed through
// a pooled zlib writer. The objects of a run's records (trees, a commit, the manifest, short logs) are all this
// small, and a short-lived process has no pooled writer yet: each compressor it makes is ~800 KB of state to
// allocate and clear, which was ~7 ms of a run's fixed cost when the record's objects are written in parallel
// (issue 19).
const smallObject = 64 << 10

// zlibSmall returns raw as a zlib stream, compressed by flate.StatelessDeflate (no compressor state kept between
// calls; its output is as small as BestSpeed's for objects of this size).
func zlibSmall(raw []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(raw)/2 + 64)
	b.Write([]byte{0x78, 0x01})                // deflate, 32 KiB window, fastest: what zlib writes at level 1
	flate.StatelessDeflate(&b, raw, true, nil) // writing to a bytes.Buffer cannot fail
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], adler32.Checksum(raw))
	b.Write(sum[:])
	return b.Bytes()
}

// storedTreeMax bounds the trees written uncompressed (zlibStored): every tree git-exp writes is built in memory.
const storedTreeMax = 16 << 20

// zlibStored returns raw as a zlib stream of stored (uncompressed) deflate blocks — what zlib writes at level 0, as
// git does for loose objects with core.looseCompression=0. Trees are written so: ~70% of a tree is 20-byte ids, which
// do not compress, and its names are short, so deflate saved 18% of a fan-out tree's bytes (7.4 KB at 256 entries)
// for ~10x the time of a copy (0.1–0.2 ms per tree of a record, ~3 ms per commit at 1,000,000 experiments, where a
// fan-out tree is 170 KB). Loose objects are temporary: `git gc` packs them, compressing them as it packs.
func zlibStored(raw []byte) []byte {
	const block = 65535
	sum := adler32.Checksum(raw)
	out := make([]byte, 0, 2+len(raw)+(len(raw)/block+1)*5+4)
	out = append(out, 0x78, 0x01)
	for {
		n := min(len(raw), block)
		final := byte(0)
		if n == len(raw) {
			final = 1
		}
		out = append(out, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, raw[:n]...)
		raw = raw[n:]
		if final == 1 {
			break
		}
	}
	return binary.BigEndian.AppendUint32(out, sum)
}

// createTemp creates a temporary object file, prefix followed by random digits, in dir, creating dir again when
// something removed it meanwhile. The file is read-only from the start, as git leaves an object (its descriptor is
// still open for writing): no chmod before the rename.
func createTemp(dir, prefix string) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o444)
		if err == nil || try >= 20 {
			return f, err
		}
		if errors.Is(err, os.ErrNotExist) {
			if merr := mkdirRacing(dir); merr != nil {
				return nil, merr
			}
		} else if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
	}
}

// mkdirRacing creates dir (and its parents) where another writer may create it and `git repack -d` or `git prune`
// remove it again (they remove fan-out directories that become empty) at the same moment: os.MkdirAll then fails with
// "file exists" for a directory that is already gone again. Like git's own writers, try again.
func mkdirRacing(dir string) error {
	var err error
	for try := 0; try < 20; try++ {
		if err = os.MkdirAll(dir, 0o755); err == nil || !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return err
}

// pipelineSize is the size from which an object's hash and its compression run on two goroutines.
const pipelineSize = 1 << 20

// hashAndCompress copies r into h and zw, hashing each block on another goroutine while the next one is compressed
// (SHA-1 costs about a third of zlib at its fastest level: overlapping them stores a large file ~1.4x faster on two
// cores, and costs nothing more on one).
func hashAndCompress(h hash.Hash, zw io.Writer, r io.Reader) (int64, error) {
	const block, blocks = 256 << 10, 4
	free := make(chan []byte, blocks)
	for i := 0; i < blocks; i++ {
		free <- make([]byte, block)
	}
	toHash := make(chan []byte, blocks)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range toHash {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	var n int64
	var err error
	for {
		b := <-free
		var m int
		m, err = io.ReadFull(r, b)
		if m > 0 {
			n += int64(m)
			if _, werr := zw.Write(b[:m]); werr != nil {
				err = werr
			}
			toHash <- b[:m]
		}
		if err != nil {
			break
		}
	}
	close(toHash)
	<-hashed
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return n, err
}

// writeFile stores the content of a file as a blob, streaming it.
func (w *objectWriter) writeFile(path string) (string, error) {
	oid, err := w.writeStreamAs("blob", fileSource(path), false)
	if err == nil {
		w.note(oid, "blob", nil, path)
	}
	return oid, err
}

func bytesSource(data []byte) func() (io.Reader, int64, func(), error) {
	return func() (io.Reader, int64, func(), error) {
		return bytes.NewReader(data), int64(len(data)), func() {}, nil
	}
}

func fileSource(path string) func() (io.Reader, int64, func(), error) {
	return func() (io.Reader, int64, func(), error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, nil, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, nil, err
		}
		return f, st.Size(), func() { f.Close() }, nil
	}
}

// TreeEntry is one entry of a git tree.
type TreeEntry struct {
	Mode string
	Name string
	OID  string
}

func (e TreeEntry) isTree() bool { return e.Mode == ModeTree }

// compareTreeEntries orders entries as git sorts a tree: by name, a tree's name compared as if it ended in "/" —
// without making that string (a root of 256 fan-out trees took ~4,000 allocations to sort).
func compareTreeEntries(a, b TreeEntry) int {
	n := min(len(a.Name), len(b.Name))
	if c := strings.Compare(a.Name[:n], b.Name[:n]); c != 0 {
		return c
	}
	next := func(e TreeEntry) int { // the byte after the common part: the name's, a tree's '/', or none
		switch {
		case n < len(e.Name):
			return int(e.Name[n])
		case e.isTree():
			return '/'
		}
		return -1
	}
	return next(a) - next(b)
}

// encodeTree encodes entries in git's tree format, sorting them.
func encodeTree(entries []TreeEntry) ([]byte, error) {
	slices.SortFunc(entries, compareTreeEntries)
	size := 0
	for _, e := range entries {
		size += len(e.Mode) + len(e.Name) + 2 + len(e.OID)/2
	}
	b := make([]byte, 0, size)
	for _, e := range entries {
		b = append(b, e.Mode...)
		b = append(b, ' ')
		b = append(b, e.Name...)
		b = append(b, 0)
		var err error
		if b, err = hex.AppendDecode(b, []byte(e.OID)); err != nil || len(e.OID) == 0 {
			return nil, fmt.Errorf("bad object id %q", e.OID)
		}
	}
	return b, nil
}

// decodeTree parses git's tree format.
// scanTree calls fn for each entry of a tree object, with views of its mode, name and (binary) id: what reading
// 100,000 experiment trees needs, where decodeTree would make three strings of each entry.
func scanTree(data []byte, hexLen int, fn func(mode, name, id []byte)) error {
	raw := hexLen / 2
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return errors.New("corrupt tree")
		}
		nul := bytes.IndexByte(data[sp:], 0)
		if nul < 0 || sp+nul+1+raw > len(data) {
			return errors.New("corrupt tree")
		}
		nul += sp
		fn(data[:sp], data[sp+1:nul], data[nul+1:nul+1+raw])
		data = data[nul+1+raw:]
	}
	return nil
}

func decodeTree(data []byte, hexLen int) ([]TreeEntry, error) {
	raw := hexLen / 2
	var out []TreeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, errors.New("corrupt tree")
		}
		nul := bytes.IndexByte(data[sp:], 0)
		if nul < 0 || sp+nul+1+raw > len(data) {
			return nil, errors.New("corrupt tree")
		}
		nul += sp
		out = append(out, TreeEntry{
			Mode: string(data[:sp]),
			Name: string(data[sp+1 : nul]),
			OID:  hex.EncodeToString(data[nul+1 : nul+1+raw]),
		})
		data = data[nul+1+raw:]
	}
	return out, nil
}

// commitInfo is what is needed to encode a commit.
type commitInfo struct {
	Tree    string
	Parents []string
	Ident   string // "Name <email> unix-seconds +zzzz"
	Message string
}

func encodeCommit(c commitInfo) []byte {
	var b strings.Builder
	b.WriteString("tree " + c.Tree + "\n")
	for _, p := range c.Parents {
		b.WriteString("parent " + p + "\n")
	}
	b.WriteString("author " + c.Ident + "\n")
	b.WriteString("committer " + c.Ident + "\n\n")
	b.WriteString(c.Message)
	if !strings.HasSuffix(c.Message, "\n") {
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// commitTree extracts the tree id from a raw commit object.
func commitTree(data []byte) (string, error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	tree, ok := bytes.CutPrefix(line, []byte("tree "))
	if !ok {
		return "", errors.New("corrupt commit")
	}
	return string(tree), nil
}
