//go:build unix

package gitstore

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/zlib"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// localObjects reads objects by id from the repository's own object directory — loose files, then packs — without
// git. A run reads a dozen small objects one after the other (HEAD's commit, the store's tip, its root, VERSION, a
// fan-out tree and an experiment's tree, at the start and again at the end), each a round trip to `git cat-file`,
// whose process alone costs a run ~3 ms of CPU; read here, a run starts no cat-file at all (issue 19: a run's fixed
// cost). As for the cold listing (packSet), git stays the judge of everything unusual: an object that is not found
// here (in an alternate, larger than packMaxObject; packs are opened again when their directory changes) or does not
// decode is asked of cat-file, and when the repository has replace refs (which cat-file honours) every object is.
type localObjects struct {
	dir       string
	commonDir string
	hashLen   int

	once  sync.Once
	off   bool // replace refs exist: git reads everything
	mu    sync.Mutex
	packs *packSet // opened at the first object not loose; nil when there are none
	open  bool     // packs were looked for
	// packsTime is the modification time of the pack directory when the packs were opened.
	packsTime time.Time
	r         *packReader
}

func newLocalObjects(r *Repo) *localObjects {
	return &localObjects{dir: r.ObjectDir, commonDir: r.CommonDir, hashLen: r.HexLen() / 2}
}

// usable tells, once, whether objects may be read here: not when the repository has replace refs (loose or packed)
// or GIT_REPLACE_REF_BASE is set — git applies them, so every read is left to it.
func (lo *localObjects) usable() bool {
	lo.once.Do(func() {
		_, err := os.Stat(filepath.Join(lo.commonDir, "refs", "replace"))
		lo.off = err == nil || os.Getenv("GIT_REPLACE_REF_BASE") != "" || packedReplaceRefs(lo.commonDir)
	})
	return !lo.off
}

// packedReplaceRefs reports whether packed-refs names a replace ref (it is read only when it exists and is small;
// a large one is assumed to, and reads go to git).
func packedReplaceRefs(commonDir string) bool {
	f, err := os.Open(filepath.Join(commonDir, "packed-refs"))
	if err != nil {
		return false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	return err != nil || len(data) > 1<<20 || bytes.Contains(data, []byte(" refs/replace/"))
}

// get reads the object oid (full hex id); ok is false when it is not readable here (the caller asks git).
func (lo *localObjects) get(oid string) (gitcmd.Object, bool) {
	if lo == nil || len(oid) != 2*lo.hashLen || !isLowerHex(oid) || !lo.usable() {
		return gitcmd.Object{}, false
	}
	if obj, ok := lo.loose(oid); ok {
		return obj, true
	}
	lo.mu.Lock()
	defer lo.mu.Unlock()
	if !lo.open {
		lo.reopen()
	}
	if obj, ok := lo.packed(oid); ok {
		return obj, true
	}
	// Not in the packs opened: when the pack directory changed since (a repack, a fetch), open them again — which
	// also lets go of packs a repack deleted, whose disk space a long-lived process (git exp ui) would hold.
	if lo.packDirTime() != lo.packsTime {
		lo.reopen()
		return lo.packed(oid)
	}
	return gitcmd.Object{}, false
}

// packed reads oid from the packs opened; lo.mu is held.
func (lo *localObjects) packed(oid string) (gitcmd.Object, bool) {
	if lo.r == nil {
		return gitcmd.Object{}, false
	}
	obj, err := lo.r.get(oid)
	return obj, err == nil
}

func (lo *localObjects) packDirTime() time.Time {
	if st, err := os.Stat(filepath.Join(lo.dir, "pack")); err == nil {
		return st.ModTime()
	}
	return time.Time{}
}

// reopen (re)opens the packs of the object directory; lo.mu is held.
func (lo *localObjects) reopen() {
	lo.release()
	lo.open, lo.packsTime = true, lo.packDirTime()
	if lo.packs = openPacks(lo.dir, lo.hashLen); lo.packs != nil {
		lo.r = &packReader{set: lo.packs, cpack: -1}
	}
}

// release closes the packs opened; lo.mu is held.
func (lo *localObjects) release() {
	if lo.packs != nil {
		lo.packs.close()
		lo.packs, lo.r = nil, nil
	}
}

// close releases the packs.
func (lo *localObjects) close() {
	if lo == nil {
		return
	}
	lo.mu.Lock()
	defer lo.mu.Unlock()
	lo.release()
}

// loose reads a loose object: a zlib stream of "<type> <size>\0<content>", whose checksum is checked. A file larger
// than packMaxObject is not read at all (git's, as a large packed object is).
func (lo *localObjects) loose(oid string) (gitcmd.Object, bool) {
	f, err := os.Open(filepath.Join(lo.dir, oid[:2], oid[2:]))
	if err != nil {
		return gitcmd.Object{}, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() > packMaxObject {
		return gitcmd.Object{}, false
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return gitcmd.Object{}, false
	}
	return inflateLoose(oid, data)
}

// looseReaders are zlib readers for loose objects: each holds ~45 KB of decoder state (window, tables), which a
// reader made per object allocated and cleared again.
var looseReaders sync.Pool

// inflateLoose decodes the bytes of a loose object file.
func inflateLoose(oid string, data []byte) (gitcmd.Object, bool) {
	var zr io.ReadCloser
	if r, ok := looseReaders.Get().(io.ReadCloser); ok && r.(zlib.Resetter).Reset(bytes.NewReader(data), nil) == nil {
		zr = r
	} else {
		var err error
		if zr, err = zlib.NewReader(bytes.NewReader(data)); err != nil {
			return gitcmd.Object{}, false
		}
	}
	defer looseReaders.Put(zr)
	// Most objects inflate to a few times their compressed size; ReadAll grows the buffer otherwise, and reading to
	// the end checks the stream's adler32.
	var buf bytes.Buffer
	buf.Grow(4*len(data) + 64)
	if _, err := buf.ReadFrom(io.LimitReader(zr, packMaxObject+64)); err != nil || buf.Len() > packMaxObject+32 {
		return gitcmd.Object{}, false
	}
	out := buf.Bytes()
	sp := bytes.IndexByte(out, ' ')
	nul := bytes.IndexByte(out, 0)
	if sp <= 0 || nul < sp {
		return gitcmd.Object{}, false
	}
	typ := string(out[:sp])
	switch typ {
	case "commit", "tree", "blob", "tag":
	default:
		return gitcmd.Object{}, false
	}
	size, err := strconv.Atoi(string(out[sp+1 : nul]))
	if err != nil || size != len(out)-nul-1 {
		return gitcmd.Object{}, false
	}
	return gitcmd.Object{OID: oid, Type: typ, Data: out[nul+1:]}, true
}
