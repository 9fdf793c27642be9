package gitstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rmLoose moves the loose object oid of the repository dir aside (a prune by hand, disk damage); restore puts it
// back (a copy of the objects from a clone that has them).
func rmLoose(t *testing.T, dir, oid string) (restore func()) {
	t.Helper()
	p := filepath.Join(dir, ".git", "objects", oid[:2], oid[2:])
	aside := filepath.Join(dir, ".git", "aside-"+oid)
	if err := os.Rename(p, aside); err != nil {
		t.Fatalf("object %s is not loose: %v", oid, err)
	}
	return func() {
		t.Helper()
		if err := os.Rename(aside, p); err != nil {
			t.Fatal(err)
		}
	}
}

// damagedListing is what one listing by a process of its own showed: each experiment listed as "id error", the
// warnings it gave, and the damage it reports.
type damagedListing struct {
	rows  []string
	warns []string
	dmg   *Damage
}

func listDamaged(t *testing.T, dir string, stream bool) damagedListing {
	t.Helper()
	st, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var l damagedListing
	st.Warn = func(format string, args ...any) { l.warns = append(l.warns, fmt.Sprintf(format, args...)) }
	add := func(e *Experiment) {
		if !e.Deleted {
			l.rows = append(l.rows, strings.TrimSpace(e.ID+" "+e.Error))
		}
	}
	if stream {
		s, err := st.Stream()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Each(nil, func(exps []*Experiment) error {
			for _, e := range exps {
				add(e)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	} else {
		exps, err := st.Experiments()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range exps {
			add(e)
		}
	}
	slices.Sort(l.rows)
	l.dmg = st.Damage()
	return l
}

// A listing that cannot read a fan-out tree, an experiment's tree or its experiment.json (the objects deleted from a
// real store) lists what it can, warns once per kind of damage saying what is missing and what to do, and reports
// it (Damage); the next listing, from the cache, warns again (the cache does not record the damage as read); the
// repository is not written; and once the objects are back every experiment is listed again, as a fresh read lists
// them. Both readers (Experiments, Stream), a cold read and a cache built before the damage, and the paths of many
// changes (a base rebuilt while read, packs read directly) alike.
func TestListingWarnsOfMissingObjects(t *testing.T) {
	victim := "aa00000000000003"
	others := []string{"aa00000000000001", "aa00000000000002", "bb00000000000001", "cc00000000000001"}
	all := append(slices.Clone(others), victim)
	slices.Sort(all)
	cases := []struct {
		name   string
		object string   // what is deleted, under the tip's tree
		listed []string // what the damaged listing lists ("id error")
		warn   string   // in the one warning
	}{
		{"fanout", "aa", []string{"bb00000000000001", "cc00000000000001"}, "fan-out directory aa (tree "},
		{"tree", "aa/" + victim, []string{"aa00000000000001", "aa00000000000002", "bb00000000000001", "cc00000000000001"},
			"the directory of experiment " + victim + " (tree "},
		{"manifest", "aa/" + victim + "/experiment.json", append(slices.Clone(others[:2]),
			victim+" missing from the object store: experiment.json (object ", others[2], others[3]),
			"1 file of 1 experiment is missing from the object store: " + victim + "/experiment.json (object "},
	}
	for _, many := range []bool{false, true} {
		for _, cachedBefore := range []bool{false, true} {
			for _, stream := range []bool{false, true} {
				for _, c := range cases {
					name := fmt.Sprintf("%s/cachedBefore=%v/stream=%v/many=%v", c.name, cachedBefore, stream, many)
					t.Run(name, func(t *testing.T) {
						if many { // a cold read rebuilds the base as it reads, from the packs
							oldStream, oldFan, oldRead := streamMin, packMinFanout, packMinRead
							streamMin, packMinFanout, packMinRead = 1, 1, 1
							t.Cleanup(func() { streamMin, packMinFanout, packMinRead = oldStream, oldFan, oldRead })
						}
						st, dir := testStore(t)
						ctx := context.Background()
						create := func(id string) {
							m := &Manifest{ID: id, Name: "run-" + id, Status: StatusCompleted, Created: "2026-01-01T00:00:00.000Z"}
							if err := st.Create(ctx, "run", m, []byte(`{"id":"`+id+`"}`)); err != nil {
								t.Fatal(err)
							}
						}
						for _, id := range others {
							create(id)
						}
						if many {
							gitOut(t, dir, "repack", "-a", "-d", "-q")
						}
						if cachedBefore {
							if l := listDamaged(t, dir, stream); len(l.rows) != len(others) || l.warns != nil {
								t.Fatalf("before: %v %v", l.rows, l.warns)
							}
						}
						create(victim) // its objects are loose
						restore := rmLoose(t, dir, gitOut(t, dir, "rev-parse", Ref+":"+c.object))
						if !cachedBefore {
							os.RemoveAll(st.ExpDir())
						}
						refs := gitOut(t, dir, "for-each-ref")
						for round := range 2 { // the second from the cache the first wrote
							l := listDamaged(t, dir, stream)
							if len(l.rows) != len(c.listed) {
								t.Fatalf("round %d lists %q, want %q", round, l.rows, c.listed)
							}
							for i := range l.rows {
								if !strings.HasPrefix(l.rows[i], c.listed[i]) {
									t.Fatalf("round %d lists %q, want %q", round, l.rows, c.listed)
								}
							}
							if len(l.warns) != 1 || !strings.Contains(l.warns[0], c.warn) || !strings.Contains(l.warns[0], "git exp fsck") {
								t.Fatalf("round %d warns %q, want one warning with %q", round, l.warns, c.warn)
							}
							if l.dmg == nil {
								t.Fatalf("round %d: no damage reported", round)
							}
						}
						if got := gitOut(t, dir, "for-each-ref"); got != refs {
							t.Fatalf("the listing moved refs:\n%s\nwas\n%s", got, refs)
						}
						if got := gitOut(t, dir, "status", "--porcelain"); got != "" {
							t.Fatalf("the listing wrote the worktree: %s", got)
						}
						restore()
						for round := range 2 {
							l := listDamaged(t, dir, stream)
							if !slices.Equal(l.rows, all) || l.warns != nil || l.dmg != nil {
								t.Fatalf("restored, round %d lists %q, warns %q, damage %v; want %q", round, l.rows, l.warns, l.dmg, all)
							}
						}
						// What the cache gives is what a fresh read gives.
						got := experimentsIn(t, ctx, dir)
						os.RemoveAll(st.ExpDir())
						want := experimentsIn(t, ctx, dir)
						if g, w := view(t, got), view(t, want); !slices.Equal(g, w) {
							t.Fatalf("the cache lists\n%s\na fresh read\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
						}
					})
				}
			}
		}
	}
}

// Load (what show reads an experiment whole with) says that an experiment's directory is missing, not that the
// experiment is not in the store; a file read through the directory says which directory is gone; Explain says why
// an id matched nothing.
func TestLoadOfMissingTree(t *testing.T) {
	st, dir := testStore(t)
	ctx := context.Background()
	id := "aa00000000000001"
	if err := st.Create(ctx, "run", &Manifest{ID: id, Name: "a", Status: StatusCompleted}, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	rmLoose(t, dir, gitOut(t, dir, "rev-parse", Ref+":aa/"+id))
	st2, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if _, err := st2.Load(id); err == nil || !strings.Contains(err.Error(), "experiment "+id+" cannot be read: its directory's tree") {
		t.Fatalf("Load: %v", err)
	}
	if _, _, err := st2.ReadFile(id, "experiment.json"); err == nil || !strings.Contains(err.Error(), "aa/"+id+" (tree ") {
		t.Fatalf("ReadFile: %v", err)
	}
	if _, err := st2.Experiments(); err != nil {
		t.Fatal(err)
	}
	d := st2.Damage()
	if why := d.Explain("aa00"); !strings.Contains(why, "experiment "+id+" cannot be read") {
		t.Fatalf("Explain by prefix: %q", why)
	}
	if why := d.Explain("a"); !strings.Contains(why, "it may be one of them") {
		t.Fatalf("Explain by name: %q", why)
	}
	if why := d.Explain("bb00"); why != "" {
		t.Fatalf("Explain of another prefix: %q", why)
	}
	if !d.Has(id) || d.Has("bb00000000000001") {
		t.Fatal("Has")
	}
}

// A tip whose commit or root tree is missing lists nothing: an error that says which and what to do, from both
// readers, cold or not.
func TestListingOfMissingTip(t *testing.T) {
	for _, what := range []string{Ref, Ref + "^{tree}"} {
		st, dir := testStore(t)
		ctx := context.Background()
		if err := st.Create(ctx, "run", &Manifest{ID: "aa00000000000001", Name: "a", Status: StatusCompleted}, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Experiments(); err != nil { // a cache at the tip before
			t.Fatal(err)
		}
		if err := st.Create(ctx, "run", &Manifest{ID: "bb00000000000001", Name: "b", Status: StatusCompleted}, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		rmLoose(t, dir, gitOut(t, dir, "rev-parse", what))
		for _, cold := range []bool{false, true} {
			if cold {
				os.RemoveAll(st.ExpDir())
			}
			for _, stream := range []bool{false, true} {
				s, err := Open(ctx, dir)
				if err != nil {
					t.Fatal(err)
				}
				if stream {
					_, err = s.Stream()
				} else {
					_, err = s.Experiments()
				}
				s.Close()
				if err == nil || !strings.Contains(err.Error(), "is missing from the object store: no experiment can be listed; run 'git exp fsck'") {
					t.Fatalf("%s missing, cold %v, stream %v: %v", what, cold, stream, err)
				}
			}
		}
	}
}

// experimentsIn is every experiment of the store in dir, read by a Store of its own (through the cache when there is
// one).
func experimentsIn(t *testing.T, ctx context.Context, dir string) []*Experiment {
	t.Helper()
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exps, err := st.Experiments()
	if err != nil {
		t.Fatal(err)
	}
	return exps
}
