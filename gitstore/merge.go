package gitstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Merge merges the store commit theirs into the store (a pull, or two writers that diverged). Experiment
// directories, notes and batch manifests are unions; a file changed on both sides is resolved by a symmetric,
// deterministic rule — the side whose experiment.json has the later `updated` wins, then the larger object id —
// so that every clone converges to the same tree whatever the order of pulls. A merge never fails on content and
// never drops a record. It returns what happened: "up to date", "fast-forward" or "merged".
func (s *Store) Merge(ctx context.Context, theirs, label string) (string, error) {
	for attempt := 0; attempt < 50; attempt++ {
		ours, err := s.Tip()
		if err != nil {
			return "", err
		}
		if ours == theirs {
			return "up to date", nil
		}
		if ours == "" {
			if err := s.UpdateRef(ctx, s.Ref, theirs, s.ZeroOID(), "git-exp: "+label); err == errCASFailed {
				continue
			} else if err != nil {
				return "", err
			}
			return "fast-forward", nil
		}
		if s.isAncestor(ctx, theirs, ours) {
			return "up to date", nil
		}
		if s.isAncestor(ctx, ours, theirs) {
			if err := s.UpdateRef(ctx, s.Ref, theirs, ours, "git-exp: "+label); err == errCASFailed {
				continue
			} else if err != nil {
				return "", err
			}
			return "fast-forward", nil
		}
		base := ""
		if out, err := s.Git.Run(ctx, "merge-base", ours, theirs); err == nil {
			base = strings.TrimSpace(string(out))
		}
		treeOf := func(c string) (string, error) {
			if c == "" {
				return "", nil
			}
			obj, err := s.cat.Get(c)
			if err != nil {
				return "", err
			}
			return commitTree(obj.Data)
		}
		bt, err := treeOf(base)
		if err != nil {
			return "", err
		}
		ot, err := treeOf(ours)
		if err != nil {
			return "", err
		}
		tt, err := treeOf(theirs)
		if err != nil {
			return "", err
		}
		merged, err := s.mergeTrees(bt, ot, tt, "")
		if err != nil {
			return "", err
		}
		commit, err := s.WriteCommit(merged, []string{ours, theirs}, "merge "+label)
		if err != nil {
			return "", err
		}
		if err := s.UpdateRef(ctx, s.Ref, commit, ours, "git-exp: merge "+label); err == errCASFailed {
			continue
		} else if err != nil {
			return "", err
		}
		return "merged", s.ensureComplete([]string{commit})
	}
	return "", fmt.Errorf("could not merge into %s: other writers kept moving it", s.Ref)
}

func (s *Store) isAncestor(ctx context.Context, a, b string) bool {
	_, err := s.Git.Run(ctx, "merge-base", "--is-ancestor", a, b)
	return err == nil
}

// mergeTrees merges three versions of a directory (ids; "" for absent). path is the directory's path in the store.
func (s *Store) mergeTrees(base, ours, theirs, path string) (string, error) {
	if ours == theirs {
		return ours, nil
	}
	if base == ours && theirs != "" {
		return theirs, nil
	}
	if base == theirs && ours != "" {
		return ours, nil
	}
	read := func(oid string) (map[string]TreeEntry, error) {
		m := map[string]TreeEntry{}
		if oid == "" {
			return m, nil
		}
		ents, err := s.readTree(oid)
		for _, e := range ents {
			m[e.Name] = e
		}
		return m, err
	}
	b, err := read(base)
	if err != nil {
		return "", err
	}
	o, err := read(ours)
	if err != nil {
		return "", err
	}
	t, err := read(theirs)
	if err != nil {
		return "", err
	}
	var winner string // for files changed on both sides in an experiment directory
	names := map[string]bool{}
	for n := range o {
		names[n] = true
	}
	for n := range t {
		names[n] = true
	}
	var out []TreeEntry
	for n := range names {
		oe, oOK := o[n]
		te, tOK := t[n]
		be := b[n]
		switch {
		case !tOK:
			out = append(out, oe) // a merge never drops: what one side has, the result has
		case !oOK:
			out = append(out, te)
		case oe == te:
			out = append(out, oe)
		case oe.isTree() && te.isTree():
			bo := ""
			if be.isTree() {
				bo = be.OID
			}
			sub, err := s.mergeTrees(bo, oe.OID, te.OID, joinPath(path, n))
			if err != nil {
				return "", err
			}
			out = append(out, TreeEntry{Mode: ModeTree, Name: n, OID: sub})
		case oe.isTree() != te.isTree():
			if oe.isTree() {
				out = append(out, oe)
			} else {
				out = append(out, te)
			}
		case be == oe:
			out = append(out, te)
		case be == te:
			out = append(out, oe)
		default:
			if winner == "" {
				winner = s.newerSide(o, t)
			}
			if winner == "ours" {
				out = append(out, oe)
			} else {
				out = append(out, te)
			}
		}
	}
	return s.WriteTree(out)
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// newerSide picks, symmetrically, which side's version of an experiment directory wins a conflict: the later
// experiment.json `updated`, then the larger experiment.json object id, then the larger tree entry ids.
func (s *Store) newerSide(o, t map[string]TreeEntry) string {
	updated := func(m map[string]TreeEntry) (string, string) {
		e, ok := m["experiment.json"]
		if !ok {
			return "", ""
		}
		obj, err := s.cat.Get(e.OID)
		if err != nil {
			return "", e.OID
		}
		var man struct {
			Updated string `json:"updated"`
		}
		json.Unmarshal(obj.Data, &man)
		return man.Updated, e.OID
	}
	ou, oo := updated(o)
	tu, to := updated(t)
	switch {
	case ou != tu:
		if ou > tu {
			return "ours"
		}
		return "theirs"
	case oo != to:
		if oo > to {
			return "ours"
		}
		return "theirs"
	}
	// Identical manifests: compare the remaining entries by name order, deterministically.
	for _, n := range sortedNames(o, t) {
		if o[n].OID != t[n].OID {
			if o[n].OID > t[n].OID {
				return "ours"
			}
			return "theirs"
		}
	}
	return "ours"
}

func sortedNames(a, b map[string]TreeEntry) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range []map[string]TreeEntry{a, b} {
		for n := range m {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// CountExperiments counts the experiment directories at the tip from the fan-out trees alone (one pipelined read
// of at most 256 small trees), without loading any experiment.
func (s *Store) CountExperiments() (int, error) {
	_, tree, err := s.TipTree()
	if err != nil || tree == "" {
		return 0, err
	}
	root, err := s.readTree(tree)
	if err != nil {
		return 0, err
	}
	var oids []string
	for _, e := range root {
		if e.isTree() && isFanout(e.Name) {
			oids = append(oids, e.OID)
		}
	}
	objs, err := s.cat.GetMany(oids)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range objs {
		ents, err := decodeTree(o.Data, s.HexLen())
		if err != nil {
			return 0, err
		}
		for _, e := range ents {
			if e.isTree() && ValidID(e.Name) {
				n++
			}
		}
	}
	return n, nil
}
