package gitstore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// streamExperiments are n experiments newest first (as a base holds them), with what makes a stream's rounds
// interesting: sweeps whose members share a creation time and come in the order of their ids rather than of their
// grid (some of them longer than a round), deleted and archived ones, lists of tags that repeat, exit codes, and
// queued and running ones. The first sweep has long members (when long > 0): a sweep held back over rounds.
func streamExperiments(r *rand.Rand, n, long int) []*Experiment {
	exps := make([]*Experiment, 0, n)
	sec := 0
	for len(exps) < n {
		sec++
		members := 1
		batch := ""
		switch k := r.IntN(20); {
		case long > 0:
			members, long = long, 0
		case k == 0:
			members = 1 + r.IntN(3*streamRound) // a sweep longer than a round, sometimes
		case k < 6:
			members = 2 + r.IntN(40)
		}
		if members > 1 || r.IntN(3) == 0 {
			batch = fmt.Sprintf("b%06d", sec)
		}
		created := fmt.Sprintf("2026-01-%02dT%02d:%02d:%02d.000Z", 1+sec/86400%28, sec/3600%24, sec/60%60, sec%60)
		for k := 0; k < members && len(exps) < n; k++ {
			e := &Experiment{}
			e.ID = fmt.Sprintf("%016x", r.Uint64())
			e.ShortID = e.ID[:7]
			e.Name = fmt.Sprintf("run-%d", len(exps))
			if members > 1 && sec%2 == 0 { // a sweep whose members share a name (cached as "the same as before")
				e.Name = "sweep-" + batch
			}
			if sec%7 == 0 { // no name: at the start of a cache block, "the same as" no experiment's
				e.Name = ""
			}
			e.Created, e.Batch, e.Seq = created, batch, r.IntN(1000)
			e.Status = []string{StatusCompleted, StatusCompleted, StatusFailed, StatusQueued, StatusRunning}[r.IntN(5)]
			e.Tags = [][]string{nil, {"a"}, {"a", "b"}}[r.IntN(3)]
			e.Deleted = r.IntN(25) == 0
			e.Archived = r.IntN(10) == 0
			code := r.IntN(300) - 2
			e.ExitCode = &code
			e.ParamsJSON = fmt.Appendf(nil, `{"lr":%d}`, r.IntN(100))
			exps = append(exps, e)
		}
	}
	SortNewest(exps)
	return exps
}

// streamed is every experiment Each hands out, as a view (what a listing shows of each), and the total it returns.
func streamed(t *testing.T, st *Stream, keep func(*Experiment) bool) ([]string, int) {
	t.Helper()
	var got []*Experiment
	total, err := st.Each(keep, func(exps []*Experiment) error {
		if len(exps) == 0 {
			t.Error("an empty round")
		}
		for _, e := range exps {
			cp := *e
			got = append(got, &cp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return liteView(got), total
}

// liteView is view without the parameters (which cost most of this test's time to print).
func liteView(exps []*Experiment) []string {
	out := make([]string, len(exps))
	for i, e := range exps {
		out[i] = e.ID + " " + e.ShortID + " " + e.Name + " " + e.Status + " " + e.Created + " " + e.Batch + " " +
			fmt.Sprint(e.Seq, e.Tags, e.Archived, e.Deleted, e.ExitCode != nil && *e.ExitCode == 0)
	}
	return out
}

// expected is what a listing of list (newest first, every experiment) shows: those not deleted that keep keeps,
// sweeps in grid order; and how many are not deleted.
func expected(t *testing.T, list []*Experiment, keep func(*Experiment) bool) ([]string, int) {
	var out []*Experiment
	total := 0
	for _, e := range list {
		if !e.Deleted {
			total++
			if keep == nil || keep(e) {
				out = append(out, e)
			}
		}
	}
	GridOrder(out)
	return liteView(out), total
}

// checkStream checks st (its blocks, then its listing with and without filters, by Each and by Select, and Active) against want, the list
// decoded whole; what names the case in a failure.
func checkStream(t *testing.T, st *Stream, want []*Experiment, what string) {
	t.Helper()
	if err := st.check(); err != nil {
		t.Fatal(err)
	}
	// Keeping all, most (Select gives up its buffers) and a third (Select copies what it keeps).
	for _, keep := range []func(*Experiment) bool{nil, func(e *Experiment) bool { return !e.Archived }, func(e *Experiment) bool { return e.Seq%3 == 0 }} {
		got, gotTotal := streamed(t, st, keep)
		exp, expTotal := expected(t, want, keep)
		if !slices.Equal(got, exp) || gotTotal != expTotal {
			t.Fatalf("%s: the stream gives %d of %d, want %d of %d\n%s", what, len(got), gotTotal, len(exp), expTotal, firstDiff(got, exp))
		}
		// Select: the same, each experiment its own (looked at once the stream is over: every set of buffers has
		// been decoded into again since the first rounds).
		var sel []*Experiment
		selTotal, err := st.Select(keep, func(exps []*Experiment) error { sel = append(sel, exps...); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if got := liteView(sel); !slices.Equal(got, exp) || selTotal != expTotal {
			t.Fatalf("%s: Select gives %d of %d, want %d of %d\n%s", what, len(got), selTotal, len(exp), expTotal, firstDiff(got, exp))
		}
	}
	checkActive(t, st, want)
	checkFind(t, st, want, what)
}

// checkFind checks that Find finds, in st, what filtering want (decoded whole) by id and name finds: not deleted,
// newest first.
func checkFind(t *testing.T, st *Stream, want []*Experiment, what string) {
	t.Helper()
	for _, match := range []func(id, name string) bool{
		func(id, name string) bool { return strings.HasPrefix(id, "a") || strings.HasSuffix(name, "7") },
		func(id, name string) bool { return strings.HasPrefix(name, "sweep-") },
		func(id, name string) bool { return name == "" },
		func(id, name string) bool { return false },
	} {
		found, err := st.Find(match)
		if err != nil {
			t.Fatal(err)
		}
		var exp []*Experiment
		for _, e := range want {
			if !e.Deleted && match(e.ID, e.Name) {
				exp = append(exp, e)
			}
		}
		if got, exp := liteView(found), liteView(exp); !slices.Equal(got, exp) {
			t.Fatalf("%s: Find finds %d, want %d\n%s", what, len(got), len(exp), firstDiff(got, exp))
		}
	}
}

// A stream over a base file (and a delta on it) lists exactly what the base and delta decoded whole list, in the
// same order, whatever the number of experiments (none, one, either side of a block and of a round) and of cores;
// Active finds the queued and running ones.
func TestStreamMatchesDecodedList(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(19, 3))
	notArchived := func(e *Experiment) bool { return !e.Archived }
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		round := streamRound * procs
		sizes := []int{0, 1, 2, cacheBlock - 1, cacheBlock, cacheBlock + 1, round - 1, round, round + 1, 5*round + 3}
		for _, n := range sizes {
			long := 0
			if n > 3*round {
				long = 3*round + 5 // past three rounds (and the three sets of buffers that decode them)
			}
			list := streamExperiments(r, n, long)
			c := &cacheFile{Tip: "tip", RootTree: "root", Fanout: map[string]string{}, List: list, BaseID: "base"}
			bf, err := openCache(encodeCache(c))
			if err != nil {
				t.Fatal(err)
			}
			// The base alone.
			checkStream(t, &Stream{bf: bf}, list, fmt.Sprintf("%d cores, %d experiments", procs, n))
			// A delta: experiments replaced (as a run that ends), removed, added (some into the sweeps of the base).
			d := &cacheDelta{BaseID: "base"}
			var merged []*Experiment
			for _, e := range list {
				switch k := r.IntN(40); {
				case k == 0: // replaced by a new version of itself
					cp := *e
					cp.Status, cp.Name = StatusCompleted, e.Name+"'"
					d.Dropped = append(d.Dropped, e.ID)
					d.List = append(d.List, &cp)
					merged = append(merged, &cp)
				case k == 1: // gone
					d.Dropped = append(d.Dropped, e.ID)
				case k == 2: // a new member of its sweep, or created at the same time
					cp := *e
					cp.ID = fmt.Sprintf("%016x", r.Uint64())
					cp.Seq = r.IntN(1000)
					d.List = append(d.List, &cp)
					merged = append(merged, e, &cp)
				default:
					merged = append(merged, e)
				}
			}
			newest := &Experiment{}
			newest.ID, newest.ShortID, newest.Created, newest.Status = "ffffffffffffffff", "fffffff", "2027-01-01T00:00:00.000Z", StatusRunning
			newest.ExitCode = new(int)
			d.List = append(d.List, newest)
			merged = append(merged, newest)
			SortNewest(d.List)
			SortNewest(merged)
			dd, err := decodeDelta(encodeDelta(d))
			if err != nil {
				t.Fatal(err)
			}
			st := &Stream{bf: bf, list: dd.List, drop: map[string]bool{}}
			for _, id := range dd.Dropped {
				st.drop[id] = true
			}
			for _, e := range dd.List {
				st.drop[e.ID] = true
			}
			checkStream(t, st, merged, fmt.Sprintf("%d cores, %d experiments and a delta of %d", procs, n, len(d.List)))
			// The same list held in memory (a store read without a current cache) streams the same way.
			mem := &Stream{list: merged}
			got, gotTotal := streamed(t, mem, notArchived)
			if want, wantTotal := expected(t, merged, notArchived); !slices.Equal(got, want) || gotTotal != wantTotal {
				t.Fatalf("%d cores, %d experiments in memory: %s", procs, n, firstDiff(got, want))
			}
		}
	}
}

func checkActive(t *testing.T, st *Stream, list []*Experiment) {
	t.Helper()
	active, err := st.Active()
	if err != nil {
		t.Fatal(err)
	}
	var want []*Experiment
	for _, e := range list {
		if e.Status == StatusQueued || e.Status == StatusRunning {
			want = append(want, e)
		}
	}
	SortNewest(active)
	if got, w := liteView(active), liteView(want); !slices.Equal(got, w) {
		t.Fatalf("Active: %d experiments, want %d\n%s", len(got), len(w), firstDiff(got, w))
	}
	byID := map[string]*Experiment{}
	for _, e := range list {
		byID[e.ID] = e
	}
	for _, e := range active {
		if !reflect.DeepEqual(e.ExitCode, byID[e.ID].ExitCode) {
			t.Fatalf("Active: %s decoded wrong", e.ID)
		}
	}
}
func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at %d:\n got  %s\n want %s", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(got), len(want))
}

// An error of fn stops the stream at once and is what Each returns; the experiments handed out before stay as
// they were (a copy kept from an early round is not overwritten by later rounds).
func TestStreamStops(t *testing.T) {
	list := streamExperiments(rand.New(rand.NewPCG(1, 2)), 20*streamRound, 0)
	c := &cacheFile{Tip: "tip", Fanout: map[string]string{}, List: list, BaseID: "base"}
	bf, err := openCache(encodeCache(c))
	if err != nil {
		t.Fatal(err)
	}
	st := &Stream{bf: bf}
	errStop := errors.New("stop")
	rounds := 0
	if _, err := st.Each(nil, func([]*Experiment) error { rounds++; return errStop }); err != errStop || rounds != 1 {
		t.Fatalf("Each returned %v after %d rounds, want errStop after 1", err, rounds)
	}
}

// A damaged block of the base is found before anything is listed: Stream reads the store again instead (as
// Experiments does), and lists what a fresh read lists.
func TestStreamDamagedBase(t *testing.T) {
	st, _ := testStore(t)
	for i := range 5 {
		m := &Manifest{ID: fmt.Sprintf("%016x", 0xabc000+i), Name: fmt.Sprintf("name-%d", i), Status: StatusCompleted,
			Created: fmt.Sprintf("2026-01-01T00:00:%02dZ", i)}
		if err := st.Create(t.Context(), "run", m, []byte(`{"lr":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	exps, err := st.Experiments()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := expected(t, exps, nil)
	b, err := os.ReadFile(st.cachePath())
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-3] ^= 0x20 // in the last experiment's block, not in the header
	if err := os.WriteFile(st.cachePath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := st.Stream()
	if err != nil {
		t.Fatal(err)
	}
	if s.bf != nil {
		t.Error("a damaged base was streamed")
	}
	if got, _ := streamed(t, s, nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("with the base damaged the stream gives\n%q\nwant\n%q", got, want)
	}
}

// A DocWriter writes of each experiment what AppendDoc writes of it alone, when strings and lists repeat from one
// experiment to the next (as the cache shares them), with escapes or without, and change.
func TestDocWriterMatchesAppendDoc(t *testing.T) {
	strs := []string{"", "plain", "a\"b", "line\nbreak", "\xff", "\u2028", "ünïcode", "tab\tin"}
	lists := [][]string{nil, {}, {"a"}, {"a", "b\"c"}, {"\xfe", "x"}}
	r := rand.New(rand.NewPCG(7, 8))
	var w DocWriter
	var prev *Experiment
	for i := range 3000 {
		e := &Experiment{}
		if prev != nil {
			*e = *prev // every string shared with the experiment before, then some changed
		}
		pick := func() string { return strs[r.IntN(len(strs))] }
		for _, f := range []*string{&e.ID, &e.Name, &e.Description, &e.Status, &e.Script, &e.Cwd, &e.Executor, &e.Host,
			&e.User, &e.Email, &e.Created, &e.Started, &e.Ended, &e.Updated, &e.Error, &e.Batch, &e.Parent,
			&e.Git.Head, &e.Git.Branch, &e.Git.Remote, &e.Git.Snapshot} {
			if prev == nil || r.IntN(4) == 0 {
				*f = pick()
			}
		}
		for _, l := range []*[]string{&e.Tags, &e.Argv, &e.Git.Skipped} {
			if prev == nil || r.IntN(4) == 0 {
				*l = lists[r.IntN(len(lists))]
			}
		}
		want := string(e.AppendDoc(nil))
		if got := string(w.AppendMembers([]byte{'{'}, e)); got != want {
			t.Fatalf("experiment %d: the DocWriter writes\n%s\nAppendDoc\n%s", i, got, want)
		}
		prev = e
	}
}

// treeAt and idAt read what decoding reads, for experiments with every field set (the walk over the fields must
// end where the experiment ends), with references to the one before and without, with short ids that are prefixes
// of the id and that are not.
func TestTreeAtMatchesDecode(t *testing.T) {
	var full Experiment
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	full.ID = "0123456789abcdef"
	list := streamExperiments(rand.New(rand.NewPCG(3, 4)), 600, 0)
	for i, e := range list {
		e.TreeOID = fmt.Sprintf("%040x", i)
		if i%7 == 0 {
			e.ShortID = "other"
		}
		if i%50 == 0 {
			cp := full
			cp.ID, cp.Created = e.ID, e.Created
			list[i] = &cp
		}
	}
	c := &cacheFile{Tip: "tip", Fanout: map[string]string{}, List: list, BaseID: "base"}
	bf, err := openCache(encodeCache(c))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := bf.decodeAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range dec.List {
		id, ok := bf.idAt(i)
		tree, short, ok2 := bf.treeAt(i)
		if !ok || !ok2 || id != e.ID || tree != e.TreeOID || short != e.ShortID {
			t.Fatalf("experiment %d: idAt %q %v, treeAt %q %q %v; decoded %q %q %q", i, id, ok, tree, short, ok2, e.ID, e.TreeOID, e.ShortID)
		}
		if x, err := bf.experimentAt(i); err != nil || !reflect.DeepEqual(x, e) {
			t.Fatalf("experimentAt(%d): %v", i, err)
		}
	}
}
