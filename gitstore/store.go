package gitstore

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zlib"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// Store is the experiment store on refs/experiments/main of one repository.
type Store struct {
	*Repo
	cat   *gitcmd.CatFile // started at its first request
	local *localObjects   // what is read without it
	objs  *objectWriter
	// Ref is the branch written (Ref by default).
	Ref string

	baseMu   sync.Mutex
	baseFile os.FileInfo // the cache's base file as last read, and its decoded state (loadBase)
	baseDec  *cacheFile
	baseView *baseFile // the same file mapped, its header read (openBase); baseDec decodes it whole

	snapMu sync.Mutex
	snaps  map[string]*Snapshot // snapshots taken by this process, by commit, until recorded (ensureSnapshots)

	// Warn, when set, is told of what a listing could not read (warnDamage: one line per kind of damage).
	Warn   func(format string, args ...any)
	dmgMu  sync.Mutex
	dmg    Damage          // what the current listing could not read (Damage)
	warned map[string]bool // the warnings said already
}

// Open opens the store of the repository containing dir. The store itself may not exist yet.
func Open(ctx context.Context, dir string) (*Store, error) {
	r, err := OpenRepo(ctx, dir)
	if err != nil {
		return nil, err
	}
	return OpenIn(ctx, r)
}

// OpenForRun is Open for a command that takes a snapshot of the worktree next (see OpenRepoFor).
func OpenForRun(ctx context.Context, dir string) (*Store, error) {
	r, err := OpenRepoFor(ctx, dir, true)
	if err != nil {
		return nil, err
	}
	return OpenIn(ctx, r)
}

// OpenIn opens the store of an already opened repository.
func OpenIn(ctx context.Context, r *Repo) (*Store, error) {
	cat := r.Git.NewCatFile(context.WithoutCancel(ctx))
	return &Store{Repo: r, cat: cat, local: newLocalObjects(r), objs: &objectWriter{dir: r.ObjectDir, sha256: r.SHA256}, Ref: Ref}, nil
}

// Close releases the store's git process and packs.
func (s *Store) Close() error {
	s.local.close()
	return s.cat.Close()
}

// Cat gives access to the store's object reader.
func (s *Store) Cat() *gitcmd.CatFile { return s.cat }

func (s *Store) readTree(oid string) ([]TreeEntry, error) {
	obj, err := s.get(oid)
	if err != nil {
		return nil, err
	}
	if obj.Type != "tree" {
		return nil, fmt.Errorf("object %s is a %s, not a tree", oid, obj.Type)
	}
	return decodeTree(obj.Data, s.HexLen())
}

// get reads an object: by id from the object directory when it can (localObjects), otherwise (a revision, an object
// not found there) through cat-file — once more with a fresh process if the first one died during the request.
func (s *Store) get(rev string) (gitcmd.Object, error) {
	if obj, ok := s.local.get(rev); ok {
		return obj, nil
	}
	obj, err := s.cat.Get(rev)
	if err != nil && !errors.Is(err, gitcmd.ErrMissing) {
		obj, err = s.cat.Get(rev)
	}
	return obj, err
}

// Tip returns the commit at the store's ref, "" when there is no store yet.
func (s *Store) Tip() (string, error) { return s.ReadRef(s.Ref) }

// TipTree returns the tree of the tip commit ("" when there is no store).
func (s *Store) TipTree() (tip, tree string, err error) {
	tip, err = s.Tip()
	if err != nil || tip == "" {
		return tip, "", err
	}
	obj, err := s.get(tip)
	if err != nil {
		return "", "", fmt.Errorf("%s points to a missing commit %s: %w", s.Ref, tip, err)
	}
	tree, err = commitTree(obj.Data)
	return tip, tree, err
}

// WriteCommit stores a commit object.
func (s *Store) WriteCommit(tree string, parents []string, msg string) (string, error) {
	return s.objs.write("commit", encodeCommit(commitInfo{Tree: tree, Parents: parents, Ident: s.identLine(time.Now()), Message: msg}))
}

// WriteBlob stores a blob.
func (s *Store) WriteBlob(data []byte) (string, error) { return s.objs.write("blob", data) }

// WriteBlobs stores many blobs at once (in one pack when they are many) and returns their ids, in order.
func (s *Store) WriteBlobs(ctx context.Context, datas [][]byte) ([]string, error) {
	return s.writeObjects(ctx, "blob", datas)
}

// WriteFileBlob stores the content of a file as a blob, streamed.
func (s *Store) WriteFileBlob(path string) (string, error) { return s.objs.writeFile(path) }

// WriteTree stores a tree.
func (s *Store) WriteTree(entries []TreeEntry) (string, error) {
	data, err := encodeTree(entries)
	if err != nil {
		return "", err
	}
	return s.objs.write("tree", data)
}

// ReadTree reads a tree object.
func (s *Store) ReadTree(oid string) ([]TreeEntry, error) { return s.readTree(oid) }

// ErrNoChange can be returned by an Update function to commit nothing.
var ErrNoChange = errors.New("no change")

// Update is the only way the store is written: read the tip, let fn edit its tree, write one commit, and move the
// ref with compare-and-swap. When another writer moved the ref first, fn runs again on the new tip (after a short
// random wait), so concurrent writers never lose each other's records. fn must therefore be repeatable.
func (s *Store) Update(ctx context.Context, msg string, fn func(tx *Tx) error) error {
	deadline := time.Now().Add(5 * time.Minute)
	start := time.Now()
	// missing tells whether to read again after an object was not found: another writer that just moved the ref
	// may be writing again what a concurrent `git gc --prune=now` deleted (ensureComplete), so wait a little, and
	// as long as a gc runs.
	missing := func(err error) bool {
		if !errors.Is(err, gitcmd.ErrMissing) || ctx.Err() != nil {
			return false
		}
		waited := time.Since(start)
		if waited > gcWaitLimit || waited > 2*time.Second && s.gcPID() == "" && (waited > 20*time.Second || !s.movedRecently()) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
		return true
	}
	for attempt := 0; ; attempt++ {
		t0 := time.Now()
		tip, tree, err := s.TipTree()
		if err != nil {
			if missing(err) {
				continue
			}
			return err
		}
		parents := []string{}
		old := s.ZeroOID()
		if tip != "" {
			parents = append(parents, tip)
			old = tip
		} else {
			if c := s.loadCache(); c.Tip != "" { // the ref was deleted: never start a new store over it silently
				return s.refGone(c.Tip)
			}
			// A new store begins with a parentless commit holding only VERSION, so that every later commit's
			// first parent is on the branch and extra parents never take the first-parent slot.
			root, err := s.rootCommit()
			if err != nil {
				return err
			}
			parents = append(parents, root)
			obj, err := s.get(root)
			if err != nil {
				return err
			}
			if tree, err = commitTree(obj.Data); err != nil {
				return err
			}
		}
		t1 := time.Now()
		tx := &Tx{s: s, root: &node{oid: tree}, Tip: tip}
		if err := fn(tx); err != nil {
			if errors.Is(err, ErrNoChange) {
				return nil
			}
			if missing(err) {
				continue
			}
			return err
		}
		if !tx.Dirty() && tip != "" {
			return nil
		}
		t2 := time.Now()
		newTree, err := tx.write(tx.root)
		if err != nil {
			return err
		}
		t3 := time.Now()
		if tx.label != "" {
			msg = tx.label
		}
		commit, err := s.WriteCommit(newTree, append(parents, tx.ExtraParents...), msg)
		if err != nil {
			return err
		}
		t4 := time.Now()
		err = s.UpdateRef(ctx, s.Ref, commit, old, "git-exp: "+msg)
		gitcmd.Tracef("store update %q: tip %s, edit %s, trees %s, commit %s, ref %s", msg, t1.Sub(t0).Round(time.Microsecond),
			t2.Sub(t1).Round(time.Microsecond), t3.Sub(t2).Round(time.Microsecond), t4.Sub(t3).Round(time.Microsecond), time.Since(t4).Round(time.Microsecond))
		if err == nil {
			return s.ensureComplete([]string{commit})
		}
		if !errors.Is(err, errCASFailed) {
			return err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("could not update %s: other writers kept moving it (tried %d times)", s.Ref, attempt+1)
		}
		// Back off with jitter; grows with contention, capped.
		wait := time.Duration(1+rand.IntN(5+min(attempt, 20)*5)) * time.Millisecond
		time.Sleep(wait)
	}
}

func (s *Store) rootCommit() (string, error) {
	blob, err := s.objs.write("blob", []byte(fmt.Sprintf("%d\n", FormatVersion)))
	if err != nil {
		return "", err
	}
	tree, err := s.WriteTree([]TreeEntry{{Mode: ModeFile, Name: "VERSION", OID: blob}})
	if err != nil {
		return "", err
	}
	// A fixed identity and date make the root identical in every clone that creates a store independently, so
	// two stores started apart still share a merge base.
	return s.objs.write("commit", encodeCommit(commitInfo{
		Tree: tree, Ident: "git-exp <git-exp@localhost> 0 +0000",
		Message: "git-exp store, format 1\n",
	}))
}

// CheckVersion refuses stores written in a newer format.
func (s *Store) CheckVersion(tx *Tx) error {
	data, ok, err := tx.Read("VERSION")
	if err != nil || !ok {
		return err
	}
	return s.checkVersion(data)
}

// checkVersion refuses a VERSION file of another storage format than this git-exp's.
func (s *Store) checkVersion(data []byte) error {
	if v := strings.TrimSpace(string(data)); v != fmt.Sprint(FormatVersion) {
		return fmt.Errorf("%s is in storage format %s; this git-exp reads format %d: upgrade git-exp", s.Ref, v, FormatVersion)
	}
	return nil
}

// ReadManifest reads experiment.json of id in tx.
func ReadManifest(tx *Tx, id string) (*Manifest, error) {
	data, ok, err := tx.Read(ExpPath(id) + "/experiment.json")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("experiment %s is not in the store", id)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("experiment %s: experiment.json: %v", id, err)
	}
	return &m, nil
}

// WriteManifest writes experiment.json of m.ID in tx, stamping Updated.
func WriteManifest(tx *Tx, m *Manifest) error {
	m.Updated = Now()
	if m.Format == 0 {
		m.Format = FormatVersion
	}
	if m.Tags == nil {
		m.Tags = []string{}
	}
	if m.Argv == nil {
		m.Argv = []string{}
	}
	if m.Git.Skipped == nil {
		m.Git.Skipped = []string{}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return tx.WriteBlob(ExpPath(m.ID)+"/experiment.json", append(data, '\n'))
}

// OpenFile streams one file of an experiment's directory at the tip through `git cat-file blob`, so large files are
// never held in memory. ok is false when the file does not exist.
func (s *Store) OpenFile(ctx context.Context, id, name string) (rc io.ReadCloser, ok bool, err error) {
	oid, ok, err := s.FileOID(id, name)
	if err != nil || !ok {
		return nil, false, err
	}
	rc, err = s.StreamBlob(ctx, oid)
	return rc, err == nil, err
}

// FileOID returns the object id of one file of an experiment's directory at the tip (what names its content: a
// key for data derived from it that can never be stale); ok is false when the file does not exist.
func (s *Store) FileOID(id, name string) (oid string, ok bool, err error) {
	_, tree, err := s.TipTree()
	if err != nil || tree == "" {
		return "", false, err
	}
	e, ok, err := s.treePath(tree, ExpPath(id)+"/"+name)
	if err != nil || !ok || e.isTree() {
		return "", false, err
	}
	return e.OID, true, nil
}

// treePath returns the entry at path (slash-separated) under the tree oid, walking it one tree at a time (what
// `git cat-file tree:path` does, read as get reads); ok is false when some part of the path does not exist.
func (s *Store) treePath(tree, path string) (e TreeEntry, ok bool, err error) {
	e = TreeEntry{Mode: ModeTree, OID: tree}
	walked := ""
	for name := range strings.SplitSeq(path, "/") {
		if !e.isTree() {
			return TreeEntry{}, false, nil
		}
		ents, err := s.readTree(e.OID)
		if err != nil {
			if errors.Is(err, gitcmd.ErrMissing) { // a damaged store: say what is gone, and what to do
				what := walked + " (tree " + short(e.OID) + ")"
				if walked == "" {
					what = "tree " + short(e.OID)
				}
				return TreeEntry{}, false, &missingError{fmt.Sprintf("%s is missing from the object store; %s", what, damageHelp)}
			}
			return TreeEntry{}, false, err
		}
		walked = strings.TrimPrefix(walked+"/"+name, "/")
		if e, ok = findEntry(ents, name); !ok {
			return TreeEntry{}, false, nil
		}
	}
	return e, true, nil
}

// findEntry returns the entry called name.
func findEntry(ents []TreeEntry, name string) (TreeEntry, bool) {
	for _, e := range ents {
		if e.Name == name {
			return e, true
		}
	}
	return TreeEntry{}, false
}

// StreamBlob streams a blob by id. A loose blob (what a run stores its outputs as) is inflated here; a packed one
// comes from git cat-file.
func (s *Store) StreamBlob(ctx context.Context, oid string) (io.ReadCloser, error) {
	if rc := s.openLoose(oid, "blob"); rc != nil {
		return rc, nil
	}
	cmd := s.Git.Command(ctx, "cat-file", "blob", oid)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := gitcmd.Start(cmd); err != nil {
		return nil, err
	}
	return &cmdReader{ReadCloser: out, cmd: cmd}, nil
}

// openLoose opens the loose object oid of type typ and reads past its header, or returns nil (not loose, another
// type, unreadable: the caller asks git). git cat-file maps the whole compressed file into memory: for a metrics
// file of 10M points that is ~280 MB of resident memory, where this reader holds its buffers only.
func (s *Store) openLoose(oid, typ string) io.ReadCloser {
	if len(oid) < 4 || s.objs == nil {
		return nil
	}
	f, err := os.Open(filepath.Join(s.objs.dir, oid[:2], oid[2:]))
	if err != nil {
		return nil
	}
	zr, err := zlib.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil
	}
	br := bufio.NewReaderSize(zr, 64<<10)
	hdr, err := br.ReadString(0)
	if err != nil || !strings.HasPrefix(hdr, typ+" ") {
		zr.Close()
		f.Close()
		return nil
	}
	return &looseReader{Reader: br, zr: zr, f: f}
}

type looseReader struct {
	*bufio.Reader
	zr io.ReadCloser
	f  *os.File
}

func (r *looseReader) Close() error {
	r.zr.Close()
	return r.f.Close()
}

type cmdReader struct {
	io.ReadCloser
	cmd *exec.Cmd
}

func (r *cmdReader) Close() error {
	r.ReadCloser.Close()
	return r.cmd.Wait()
}

// HasCommit reports whether oid (a full object id) names a commit in the repository.
func (s *Store) HasCommit(oid string) bool {
	if len(oid) != s.HexLen() || !isLowerHex(oid) {
		return false
	}
	obj, err := s.get(oid)
	return err == nil && obj.Type == "commit"
}
