package gitstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Tx edits the tree of the store's tip by path. Trees are loaded lazily, so an edit to one experiment reads and
// writes only the root, one fan-out directory and that experiment's directory, whatever the number of experiments.
type Tx struct {
	s    *Store
	root *node
	// Tip is the commit the transaction started from ("" for a new store).
	Tip string
	// ExtraParents are added to the commit (snapshot commits, merged tips).
	ExtraParents []string
	label        string // replaces the commit message when set (it may depend on what the tip holds)
}

type node struct {
	oid     string // tree id when unchanged
	loaded  bool   // entries read
	entries map[string]TreeEntry
	kids    map[string]*node // subtrees being edited
	dirty   bool
}

func (t *Tx) load(n *node) error {
	if n.loaded {
		return nil
	}
	if n.oid == "" {
		n.set(nil)
		return nil
	}
	ents, err := t.s.readTree(n.oid)
	if err != nil {
		return err
	}
	n.set(ents)
	return nil
}

// set makes n a loaded directory with these entries.
func (n *node) set(ents []TreeEntry) {
	n.entries, n.kids, n.loaded = make(map[string]TreeEntry, len(ents)), map[string]*node{}, true
	for _, e := range ents {
		n.entries[e.Name] = e
	}
}

// Prefetch reads the directories at paths (and those above them) with one request to git per level instead of one
// per directory: a bulk edit of 5,000 experiments reads its 10,000 trees in four round trips. Paths that do not
// exist are skipped; reading is otherwise as lazy as without it.
func (t *Tx) Prefetch(paths []string) error {
	split := make([][]string, len(paths))
	depth := 0
	for i, p := range paths {
		if p != "" {
			split[i] = strings.Split(p, "/")
		}
		depth = max(depth, len(split[i]))
	}
	for d := 0; d <= depth; d++ {
		var want []*node
		seen := map[*node]bool{}
		for _, segs := range split {
			if d > len(segs) {
				continue
			}
			if n := t.walkLoaded(segs[:d]); n != nil && !n.loaded && !seen[n] {
				seen[n] = true
				want = append(want, n)
			}
		}
		var oids []string
		for _, n := range want {
			if n.oid != "" {
				oids = append(oids, n.oid)
			}
		}
		objs, err := t.s.cat.GetMany(oids)
		if err != nil {
			return err
		}
		k := 0
		for _, n := range want {
			if n.oid == "" {
				n.set(nil)
				continue
			}
			o := objs[k]
			k++
			if o.Type != "tree" {
				return fmt.Errorf("tree %s is missing from the repository", n.oid)
			}
			ents, err := decodeTree(o.Data, t.s.HexLen())
			if err != nil {
				return err
			}
			n.set(ents)
		}
	}
	return nil
}

// walkLoaded follows segs through loaded directories; nil when one on the way is not loaded or does not exist.
func (t *Tx) walkLoaded(segs []string) *node {
	n := t.root
	for _, name := range segs {
		if !n.loaded {
			return nil
		}
		kid, ok := n.kids[name]
		if !ok {
			e, exists := n.entries[name]
			if !exists || !e.isTree() {
				return nil
			}
			kid = &node{oid: e.OID}
			n.kids[name] = kid
		}
		n = kid
	}
	return n
}

// dir walks to the directory at path, creating it when create is set. nil when absent.
func (t *Tx) dir(path string, create bool) (*node, error) {
	n := t.root
	if path == "" {
		return n, t.load(n)
	}
	for _, name := range strings.Split(path, "/") {
		if err := t.load(n); err != nil {
			return nil, err
		}
		kid, ok := n.kids[name]
		if !ok {
			e, exists := n.entries[name]
			switch {
			case exists && e.isTree():
				kid = &node{oid: e.OID}
			case exists && !create:
				return nil, nil
			case exists:
				return nil, fmt.Errorf("%s is a file, not a directory", path)
			case !create:
				return nil, nil
			default:
				kid = &node{}
				n.entries[name] = TreeEntry{Mode: ModeTree, Name: name}
			}
			n.kids[name] = kid
		}
		n = kid
	}
	return n, t.load(n)
}

func splitPath(path string) (dir, name string) {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i], path[i+1:]
	}
	return "", path
}

// Entry returns the entry at path.
func (t *Tx) Entry(path string) (TreeEntry, bool, error) {
	d, name := splitPath(path)
	n, err := t.dir(d, false)
	if err != nil || n == nil {
		return TreeEntry{}, false, err
	}
	e, ok := n.entries[name]
	if ok && e.isTree() {
		if kid, edited := n.kids[name]; edited && kid.dirty {
			return TreeEntry{}, false, errors.New("entry of an edited tree has no id yet")
		}
	}
	return e, ok, nil
}

// Read returns the content of the blob at path; ok is false when it does not exist.
func (t *Tx) Read(path string) ([]byte, bool, error) {
	e, ok, err := t.Entry(path)
	if err != nil || !ok {
		return nil, false, err
	}
	obj, err := t.s.get(e.OID)
	if err != nil {
		return nil, false, err
	}
	return obj.Data, true, nil
}

// List returns the entries of the directory at path.
func (t *Tx) List(path string) ([]TreeEntry, error) {
	n, err := t.dir(path, false)
	if err != nil || n == nil {
		return nil, err
	}
	out := make([]TreeEntry, 0, len(n.entries))
	for _, e := range n.entries {
		out = append(out, e)
	}
	return out, nil
}

// Put sets the entry at path (a blob, symlink or a whole subtree by id).
func (t *Tx) Put(path string, e TreeEntry) error {
	d, name := splitPath(path)
	n, err := t.dir(d, true)
	if err != nil {
		return err
	}
	e.Name = name
	n.entries[name] = e
	delete(n.kids, name)
	t.markDirty(d)
	return nil
}

// WriteBlob stores data and puts it at path.
func (t *Tx) WriteBlob(path string, data []byte) error {
	oid, err := t.s.objs.write("blob", data)
	if err != nil {
		return err
	}
	return t.Put(path, TreeEntry{Mode: ModeFile, OID: oid})
}

// Remove deletes the entry at path (file or directory). Removing nothing is not an error.
func (t *Tx) Remove(path string) error {
	d, name := splitPath(path)
	n, err := t.dir(d, false)
	if err != nil || n == nil {
		return err
	}
	if _, ok := n.entries[name]; !ok {
		return nil
	}
	delete(n.entries, name)
	delete(n.kids, name)
	t.markDirty(d)
	return nil
}

func (t *Tx) markDirty(path string) {
	n := t.root
	n.dirty = true
	if path == "" {
		return
	}
	for _, name := range strings.Split(path, "/") {
		n = n.kids[name]
		n.dirty = true
	}
}

// Dirty reports whether anything changed.
func (t *Tx) Dirty() bool { return t.root.dirty }

// write stores every changed tree bottom-up and returns the root tree id.
func (t *Tx) write(n *node) (string, error) {
	// Every changed tree is encoded first (its id is a hash of its content, children first), then all are stored at
	// once: in one pack when there are many (a bulk edit, a large merge).
	var trees [][]byte
	oid, err := t.encode(n, &trees)
	if err != nil {
		return "", err
	}
	if _, err := t.s.writeObjects(context.Background(), "tree", trees); err != nil {
		return "", err
	}
	return oid, nil
}

// encode computes the ids of n and of its changed subtrees, appending their contents to trees.
func (t *Tx) encode(n *node, trees *[][]byte) (string, error) {
	if !n.dirty {
		return n.oid, nil
	}
	ents := make([]TreeEntry, 0, len(n.entries))
	for name, e := range n.entries {
		if kid, ok := n.kids[name]; ok && e.isTree() {
			oid, err := t.encode(kid, trees)
			if err != nil {
				return "", err
			}
			if oid == "" || (kid.loaded && len(kid.entries) == 0) {
				continue // git has no empty trees in practice: drop them
			}
			e.OID = oid
		}
		ents = append(ents, e)
	}
	data, err := encodeTree(ents)
	if err != nil {
		return "", err
	}
	*trees = append(*trees, data)
	n.oid, n.dirty = t.s.objs.hashObject("tree", data), false
	return n.oid, nil
}
