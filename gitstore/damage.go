package gitstore

import (
	"fmt"
	"strings"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// Damage is what a read of the store could not read because objects are missing from the object store (a `git
// prune --expire=now` run by hand, a broken clone, disk damage): the experiments of a fan-out directory whose tree is
// gone and those whose own tree is gone are not listed; one whose file is gone is listed without it (its Error says
// which). A listing warns of it (Store.Warn) and its command exits 1 (doc/design.md, "A damaged store").
//
// The cache never records damage as read: a fan-out directory where anything was missing keeps a mark instead of
// its tree id (damagedMark), and an experiment listed without a file keeps no tree id, so the next listing reads
// them again, warns again, and lists them whole once the objects are back (a copy of a clone's packs, say).
type Damage struct {
	Fanout []Missing // fan-out directories whose tree is missing; Name is the directory ("3a")
	Trees  []Missing // experiments whose directory's tree is missing; Name is the id
	Files  []Missing // files of experiments; Name is "<id>/<file>"
	// listed and dirs are how many experiments the read listed, from how many fan-out directories read whole:
	// what estimates how many a missing fan-out directory holds.
	listed, dirs int
}

// Missing is one object a read could not find: what it is (Name) and its id.
type Missing struct{ Name, OID string }

// damagedMark starts the value a cache keeps for a fan-out directory that could not be read whole, before its tree
// id: never a tree id, so the directory is read again by every listing until it reads whole.
const damagedMark = "damaged "

// damaged reports whether a cache state's fan-out directories have one that was not read whole.
func damaged(fanout map[string]string) bool {
	for _, oid := range fanout {
		if strings.HasPrefix(oid, damagedMark) {
			return true
		}
	}
	return false
}

// startRead forgets the damage of the read before: what a listing reports is what it found itself.
func (s *Store) startRead() {
	s.dmgMu.Lock()
	s.dmg = Damage{}
	s.dmgMu.Unlock()
}

// noteMissing records a missing object found by a read (kind: the list of Damage it goes to).
func (s *Store) noteMissing(kind *[]Missing, name, oid string) {
	s.dmgMu.Lock()
	defer s.dmgMu.Unlock()
	for _, m := range *kind {
		if m.Name == name {
			return
		}
	}
	*kind = append(*kind, Missing{name, oid})
}

// Damage returns what the last listing of the store (Experiments, Stream) could not read, nil when it read whole.
func (s *Store) Damage() *Damage {
	s.dmgMu.Lock()
	defer s.dmgMu.Unlock()
	if len(s.dmg.Fanout)+len(s.dmg.Trees)+len(s.dmg.Files) == 0 {
		return nil
	}
	d := Damage{Fanout: append([]Missing(nil), s.dmg.Fanout...), Trees: append([]Missing(nil), s.dmg.Trees...),
		Files: append([]Missing(nil), s.dmg.Files...), listed: s.dmg.listed, dirs: s.dmg.dirs}
	return &d
}

// noteState records the size of the state a read arrived at (see Damage.listed), for warnDamage.
func (s *Store) noteState(listed int, fanout map[string]string) {
	dirs := 0
	for _, oid := range fanout {
		if !strings.HasPrefix(oid, damagedMark) {
			dirs++
		}
	}
	s.dmgMu.Lock()
	s.dmg.listed, s.dmg.dirs = listed, dirs
	s.dmgMu.Unlock()
}

// markDamaged marks in fanout (a new cache state's directories) those where the read found something missing.
func (s *Store) markDamaged(fanout map[string]string) {
	s.dmgMu.Lock()
	defer s.dmgMu.Unlock()
	mark := func(name string) {
		if len(name) < 2 {
			return
		}
		if oid, ok := fanout[name[:2]]; ok && !strings.HasPrefix(oid, damagedMark) {
			fanout[name[:2]] = damagedMark + oid
		}
	}
	for _, list := range [][]Missing{s.dmg.Fanout, s.dmg.Trees, s.dmg.Files} {
		for _, m := range list {
			mark(m.Name)
		}
	}
}

// damageHelp is what every warning of damage says to do.
const damageHelp = "run 'git exp fsck' (--repair recovers what it can; a clone that has the objects can give them " +
	"back: README, \"A damaged store\")"

// warnDamage warns, through Warn, of what the read could not read: one line per kind of damage, each said once in
// the life of the Store.
func (s *Store) warnDamage() {
	d := s.Damage()
	if d == nil || s.Warn == nil {
		return
	}
	listed, dirs := d.listed, d.dirs
	var lines []string
	if n := len(d.Fanout); n > 0 {
		names := make([]string, n)
		for i, m := range d.Fanout {
			names[i] = fmt.Sprintf("%s (tree %s)", m.Name, short(m.OID))
		}
		hidden := "the experiments in " + plural(n, "it", "them") + " are not listed"
		if dirs > 0 { // ids are random: each directory holds about as many as the others
			k := max(1, (listed+dirs/2)/dirs) * n
			hidden = fmt.Sprintf("about %d %s in %s %s not listed", k, plural(k, "experiment", "experiments"),
				plural(n, "it", "them"), plural(k, "is", "are"))
		}
		lines = append(lines, fmt.Sprintf("warning: %s: fan-out director%s %s %s missing from the object store: %s; %s",
			s.Ref, plural(n, "y", "ies"), listSome(names), plural(n, "is", "are"), hidden, damageHelp))
	}
	if n := len(d.Trees); n > 0 {
		ids := make([]string, n)
		for i, m := range d.Trees {
			ids[i] = fmt.Sprintf("%s (tree %s)", m.Name, short(m.OID))
		}
		what := "the directory of experiment " + ids[0] + " is missing from the object store: it is not listed"
		if n > 1 {
			what = fmt.Sprintf("the directories of %d experiments are missing from the object store: %s: they are not listed", n, listSome(ids))
		}
		lines = append(lines, fmt.Sprintf("warning: %s: %s; %s", s.Ref, what, damageHelp))
	}
	if n := len(d.Files); n > 0 {
		files := make([]string, n)
		exps := map[string]bool{}
		for i, m := range d.Files {
			files[i] = fmt.Sprintf("%s (object %s)", m.Name, short(m.OID))
			exps[m.Name[:strings.IndexByte(m.Name+"/", '/')]] = true
		}
		k := len(exps)
		lines = append(lines, fmt.Sprintf("warning: %s: %d file%s of %d experiment%s %s missing from the object store: %s: %s listed without %s; %s",
			s.Ref, n, plural(n, "", "s"), k, plural(k, "", "s"), plural(n, "is", "are"), listSome(files),
			plural(k, "it is", "they are"), plural(n, "it", "them"), damageHelp))
	}
	s.dmgMu.Lock()
	defer s.dmgMu.Unlock()
	for _, l := range lines {
		if s.warned[l] {
			continue
		}
		if s.warned == nil {
			s.warned = map[string]bool{}
		}
		s.warned[l] = true
		s.Warn("%s", l)
	}
}

// Explain says why query (what a user gave for one experiment, which matched none) may be an experiment the last
// listing could not read; "" when it cannot be one of them.
func (d *Damage) Explain(query string) string {
	if d == nil {
		return ""
	}
	isHex := len(query) >= 4 && strings.Trim(query, "0123456789abcdef") == ""
	if isHex {
		for _, m := range d.Trees {
			if strings.HasPrefix(m.Name, query) {
				return fmt.Sprintf("experiment %s cannot be read: its directory's tree %s is missing from the object store; %s",
					m.Name, short(m.OID), damageHelp)
			}
		}
		for _, m := range d.Fanout {
			if strings.HasPrefix(query, m.Name) {
				return fmt.Sprintf("no experiment matches %q that can be read: the experiments whose id starts with %s are in fan-out directory %s, whose tree %s is missing from the object store; %s",
					query, m.Name, m.Name, short(m.OID), damageHelp)
			}
		}
		return ""
	}
	if n := len(d.Fanout) + len(d.Trees); n > 0 {
		return fmt.Sprintf("no experiment matches %q that can be read, but some cannot be read (%d director%s missing from the object store): it may be one of them; %s",
			query, n, plural(n, "y", "ies"), damageHelp)
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// missingError says what is missing from the object store in the store's terms (an experiment's directory), and is
// gitcmd.ErrMissing for errors.Is.
type missingError struct{ msg string }

func (e *missingError) Error() string { return e.msg }
func (e *missingError) Unwrap() error { return gitcmd.ErrMissing }

// Has reports whether the damage concerns the experiment id: its directory or one of its files.
func (d *Damage) Has(id string) bool {
	if d == nil {
		return false
	}
	for _, m := range d.Trees {
		if m.Name == id {
			return true
		}
	}
	for _, m := range d.Files {
		if strings.HasPrefix(m.Name, id+"/") {
			return true
		}
	}
	return false
}
