package results

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
)

// fakeExperiments are experiments as the cache gives them, with params and results of mixed types: ints and floats
// for the same key, strings, nulls, nested maps, missing keys, ties.
func fakeExperiments(n int) []*gitstore.Experiment {
	r := rand.New(rand.NewPCG(1, 2))
	exps := make([]*gitstore.Experiment, n)
	for i := range exps {
		var p, res []string
		switch r.IntN(4) {
		case 0:
			p = append(p, fmt.Sprintf(`"lr":%d`, r.IntN(3)))
		case 1:
			p = append(p, fmt.Sprintf(`"lr":%g`, float64(r.IntN(30))/10))
		case 2:
			p = append(p, `"lr":null`)
		}
		if r.IntN(5) > 0 {
			p = append(p, fmt.Sprintf(`"model":{"name":%q,"depth":%d}`, []string{"resnet", "vit", "mlp"}[r.IntN(3)], r.IntN(4)))
		}
		if r.IntN(3) > 0 {
			res = append(res, fmt.Sprintf(`"acc":%.2f`, r.Float64()))
		}
		if r.IntN(4) == 0 {
			res = append(res, `"lr":"shadowed"`)
		}
		e := &gitstore.Experiment{
			ParamsJSON:  []byte("{" + strings.Join(p, ",") + "}"),
			ResultsJSON: []byte("{" + strings.Join(res, ",") + "}"),
			Archived:    r.IntN(20) == 0,
		}
		e.ID = fmt.Sprintf("%016x", r.Uint64())
		e.Name = fmt.Sprintf("run-%d", r.IntN(n/3+1))
		e.Status = []string{"completed", "failed", "running"}[r.IntN(3)]
		e.Created = fmt.Sprintf("2026-01-%02dT00:00:00.000Z", 1+r.IntN(28))
		if r.IntN(10) > 0 { // the others are not indexed (as if made another way than read from the store)
			e.Index()
		}
		exps[i] = e
	}
	return exps
}

// referenceSelect is the obvious implementation: whole records, query.Compare, a stable sort.
func referenceSelect(t *testing.T, where []string, exps []*gitstore.Experiment, keys []string) []*gitstore.Experiment {
	recs := map[*gitstore.Experiment]query.Record{}
	for _, e := range exps {
		recs[e] = Record(e)
	}
	var out []*gitstore.Experiment
	for _, e := range exps {
		if e.Deleted || e.Archived {
			continue
		}
		ok := true
		for _, w := range where {
			x, err := query.Parse(w)
			if err != nil {
				t.Fatal(err)
			}
			ok = ok && x.Eval(recs[e])
		}
		if ok {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *gitstore.Experiment) int {
		for _, key := range keys {
			name := strings.TrimPrefix(key, "-")
			va, _ := query.Lookup(recs[a], name)
			vb, _ := query.Lookup(recs[b], name)
			switch {
			case va == nil && vb == nil:
				continue
			case va == nil:
				return 1
			case vb == nil:
				return -1
			}
			c := query.Compare(va, vb)
			if key[0] == '-' {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		if c := strings.Compare(b.Created, a.Created); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out
}

// The fast path (typed top-level values, prepared sort keys, parallel matching and sorting) must select and order
// exactly as the reference does, on small sets and on sets large enough to run in parallel; in any order, and
// newest first (a listing's order: ties are then broken by place).
func TestSelectSortedMatchesReference(t *testing.T) {
	sizes := []int{50, 3 * parallelMin, -50, -3 * parallelMin}
	if !testing.Short() {
		sizes = append(sizes, 20000) // several blocks of matches per core
	}
	for _, n := range sizes {
		exps := fakeExperiments(max(n, -n))
		if n < 0 {
			n = -n
			slices.SortFunc(exps, gitstore.CompareNewest)
		}
		for _, c := range []struct {
			where []string
			keys  []string
		}{
			{nil, []string{"lr"}},
			{nil, []string{"results.lr", "lr"}}, // missing (numeric) in most, a string in some: numbers, then any kind
			{nil, []string{"-lr", "results.acc"}},
			{[]string{"lr > 0.5"}, []string{"-results.acc"}},
			{[]string{"model.name == 'vit' or lr == null"}, []string{"model.depth", "-name"}},
			{[]string{"results.lr == 'shadowed'", "acc >= 0.3"}, []string{"params.lr", "-meta.created"}},
			{[]string{"status in ['completed', 'failed'] and not (model.depth < 2)"}, nil},
			{[]string{"missing > 1"}, []string{"lr"}},
		} {
			m, err := Filter{Where: c.where}.Compile()
			if err != nil {
				t.Fatal(err)
			}
			got := m.SelectSorted(exps, c.keys)
			want := referenceSelect(t, c.where, exps, c.keys)
			if len(c.keys) == 0 { // no keys: the order of exps is kept
				want = referenceSelect(t, c.where, exps, []string{"meta.no-such-key"})
				var kept []*gitstore.Experiment
				for _, e := range exps {
					if slices.Contains(want, e) {
						kept = append(kept, e)
					}
				}
				want = kept
			}
			if !slices.Equal(got, want) {
				t.Errorf("n=%d where %q sort %q: %d experiments, want %d; first difference at %d", n, c.where, c.keys,
					len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

func firstDiff(a, b []*gitstore.Experiment) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// sortNumeric orders numbers (ints and floats, -0, infinities), NaN and missing values, in both directions, with
// ties, exactly as the general comparison does, whether the items come newest first or not; and declines keys it
// cannot order (a string, an integer beyond 2^53).
func TestSortNumericMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vals := []any{nil, math.NaN(), math.Inf(1), math.Inf(-1), 0.0, math.Copysign(0, -1), 0, 1, -1, 1.5, -2.25,
		1 << 53, -(1 << 53), 3.0, 3, 1e300, -1e-300}
	for _, n := range []int{40, 3 * parallelMin} {
		for _, newest := range []bool{false, true} {
			for _, desc := range [][]bool{{false}, {true}, {true, false}, {false, true, true}} {
				exps := fakeExperiments(n)
				if newest {
					slices.SortFunc(exps, gitstore.CompareNewest)
				}
				items := make([]sortItem, n)
				for i, e := range exps {
					items[i].e = e
					for range desc {
						items[i].keys = append(items[i].keys, query.MakeSortKey(vals[r.IntN(len(vals))]))
					}
				}
				want := slices.Clone(items)
				sortGeneral(want, desc)
				// on 3 cores, each collecting blocks of 1,000
				var parts []*matches
				for p := range 3 {
					c := &matches{numeric: true}
					for i := p * n / 3; i < (p+1)*n/3; i++ {
						x := numericItem{pos: uint32(i)}
						for k := range desc {
							v, ok := numericKey(&items[i].keys[k], desc[k])
							if !ok {
								t.Fatalf("%v declined", items[i].keys[k])
							}
							x.k[k] = v
						}
						if len(c.nums) == 0 || len(c.nums[len(c.nums)-1]) == 1000 {
							c.nums = append(c.nums, nil)
						}
						c.nums[len(c.nums)-1] = append(c.nums[len(c.nums)-1], x)
					}
					parts = append(parts, c)
				}
				got := sortNumeric(parts, exps, desc)
				if len(got) != n {
					t.Fatalf("%d experiments, want %d", len(got), n)
				}
				for i := range got {
					if got[i] != want[i].e {
						t.Fatalf("n=%d newest=%v desc=%v: differs at %d: want %v", n, newest, desc, i, want[i].keys)
					}
				}
			}
		}
	}
	for _, v := range []any{"a", int64(1<<53 + 1), true} {
		if k := query.MakeSortKey(v); func() bool { _, ok := numericKey(&k, false); return ok }() {
			t.Errorf("%v (%T) sorted as a number", v, v)
		}
	}
}

// Without expressions or sort keys, the experiments that pass the other conditions are kept in order, on one core
// or on several.
func TestSelectWithoutExpressionsKeepsOrder(t *testing.T) {
	for _, n := range []int{50, 3*parallelMin + 7} {
		exps := fakeExperiments(n)
		for _, f := range []Filter{{}, {Status: []string{"completed", "failed"}}, {Archived: true, Status: []string{"running"}}} {
			m, err := f.Compile()
			if err != nil {
				t.Fatal(err)
			}
			var want []*gitstore.Experiment
			for _, e := range exps {
				if m.pass(e) {
					want = append(want, e)
				}
			}
			if got := m.SelectSorted(exps, nil); !slices.Equal(got, want) {
				t.Errorf("n=%d %+v: %d experiments, want %d; first difference at %d", n, f, len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

// A sort key that is a number in the experiments one core matched and a string in the others' sorts all of them as
// keys of any kind, in the reference's order.
func TestSelectSortedNumbersThenStrings(t *testing.T) {
	exps := fakeExperiments(4 * parallelMin)
	for i, e := range exps {
		e.ResultsJSON = fmt.Appendf(nil, `{"x":%d}`, i%7)
		if i >= len(exps)*3/4 {
			e.ResultsJSON = fmt.Appendf(nil, `{"x":"s%d"}`, i%5)
		}
		e.Index()
	}
	for _, keys := range [][]string{{"results.x"}, {"-results.x", "lr"}} {
		m, err := Filter{}.Compile()
		if err != nil {
			t.Fatal(err)
		}
		got := m.SelectSorted(exps, keys)
		want := referenceSelect(t, nil, exps, keys)
		if !slices.Equal(got, want) {
			t.Errorf("sort %q: %d experiments, want %d; first difference at %d", keys, len(got), len(want), firstDiff(got, want))
		}
	}
}

// A Sorter given the experiments a few at a time (rounds of any size, as a streamed listing keeps them) sorts them
// as SortExperiments does: integer keys, keys of any kind, keys that turn from numbers to strings halfway, one core
// or several; newest first or not; grown first or not. With a limit, what it keeps (and what Admits lets through to it) is the first
// limit of them, ties included.
func TestSorterMatchesSortExperiments(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 50, 3*parallelMin + 11} {
		for _, newest := range []bool{false, true} {
			exps := fakeExperiments(n)
			if newest {
				slices.SortFunc(exps, gitstore.CompareNewest)
			}
			for _, keys := range [][]string{{"lr"}, {"-results.acc", "model.depth"}, {"model.depth"}, {"results.lr", "lr"}, {"-name"}, {"model.name", "-lr", "results.acc", "meta.created"}, {"a", "b", "c", "d", "e"}} {
				want := slices.Clone(exps)
				SortExperiments(want, keys)
				for _, limit := range []int{-1, 0, 1, 7, 300} {
					s := NewSorter(keys, max(limit, 0))
					if limit < 0 { // no limit, with room for every experiment made first (one list, split to sort)
						s.Grow(n)
						limit = 0
					}
					admitted, first := 0, 0 // the first round passes whole: no bound yet
					for lo := 0; lo < n; {
						hi := min(n, lo+1+r.IntN(3000)) // past 1,024: prepared on every core
						var round []*gitstore.Experiment
						for _, e := range exps[lo:hi] {
							if s.Admits(e) {
								round = append(round, e)
							}
						}
						admitted += len(round)
						if lo == 0 {
							first = len(round)
						}
						s.Add(round)
						lo = hi
					}
					w := want
					if limit > 0 {
						w = want[:min(limit, len(want))]
					}
					got := s.Sorted()
					if limit > 0 && len(got) > limit {
						got = got[:limit]
					}
					if !slices.Equal(got, w) {
						t.Errorf("n=%d newest=%v keys %q limit %d: %d experiments, want %d; first difference at %d", n, newest, keys, limit, len(got), len(w), firstDiff(got, w))
					}
					if kept := len(s.Sorted()); kept+s.Dropped() != admitted {
						t.Errorf("n=%d keys %q limit %d: %d kept and %d dropped of %d added", n, keys, limit, kept, s.Dropped(), admitted)
					}
					if limit == 7 && n > 1000 && keys[0] == "-results.acc" && admitted-first > (n-first)/4 {
						t.Errorf("n=%d keys %q limit %d: %d admitted", n, keys, limit, admitted)
					}
				}
			}
		}
	}
}
