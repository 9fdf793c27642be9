package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/results"
)

// listCase is a listing with --where and --sort.
type listCase struct {
	where, sort []string
	limit       int
	archived    bool
}

func (c listCase) args() []string {
	var args []string
	for _, w := range c.where {
		args = append(args, "--where", w)
	}
	if len(c.sort) > 0 {
		args = append(args, "--sort="+strings.Join(c.sort, ","))
	}
	if c.limit > 0 {
		args = append(args, "-n", strconv.Itoa(c.limit))
	}
	if c.archived {
		args = append(args, "--archived")
	}
	return args
}

// wantList is what `list` printed before --where and --sort streamed: every experiment read into one list, the
// keys no experiment has looked for over it (by the code of then, oldHasKey), the matches selected and sorted over
// it. It returns the ids listed, in order, the warnings, how many experiments there are and how many match.
func wantList(t *testing.T, c listCase) (ids, warnings []string, total, matched int) {
	t.Helper()
	st, err := gitstore.Open(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.Experiments()
	if err != nil {
		t.Fatal(err)
	}
	var all []*gitstore.Experiment
	for _, e := range list {
		if !e.Deleted {
			all = append(all, e)
		}
	}
	// The warnings.
	var keys [][2]string
	for _, w := range c.where {
		x, err := query.Parse(w)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range x.Keys() {
			keys = append(keys, [2]string{k, "--where"})
		}
	}
	for _, k := range c.sort {
		keys = append(keys, [2]string{strings.TrimPrefix(strings.TrimPrefix(k, "-"), "+"), "--sort"})
	}
	warned := map[string]bool{}
	for _, kf := range keys {
		k := kf[0]
		if len(all) == 0 || k == "" || warned[k] || oldHasKey(all, k) {
			continue
		}
		warned[k] = true
		msg := fmt.Sprintf("warning: no experiment has the key %q (%s)", k, kf[1])
		if near := closestKeys(k, oldExistingKeys(all), 3); len(near) > 0 {
			msg += "; keys that exist: " + strings.Join(near, ", ")
		}
		warnings = append(warnings, msg)
	}
	// The listing.
	m, err := results.Filter{Where: c.where, Archived: c.archived}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	exps := m.SelectSorted(all, c.sort)
	if len(c.sort) == 0 {
		gitstore.SortNewest(exps)
		gitstore.GridOrder(exps)
	}
	for _, e := range exps {
		ids = append(ids, e.ID)
	}
	matched = len(ids)
	if c.limit > 0 && len(ids) > c.limit {
		ids = ids[:c.limit]
	}
	return ids, warnings, len(all), matched
}

// oldHasKey is hasKey as it was (over every experiment at once).
func oldHasKey(all []*gitstore.Experiment, k string) bool {
	qual, rest, _ := strings.Cut(k, ".")
	inParams, inResults, name := true, true, k
	switch qual {
	case "params":
		inResults, name = false, rest
	case "results":
		inParams, name = false, rest
	case "meta":
		return isMetaKey(rest)
	case "metrics":
		for _, e := range all {
			if bytes.Contains(e.MetricsJSON, []byte(`"`+strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(rest, ".last"), ".min"), ".max")+`"`)) {
				return true
			}
		}
		return false
	}
	if inParams && inResults && isMetaKey(k) {
		return true
	}
	found := false
	gitstore.EachKey(all, func(prefix, key string) bool {
		if (prefix == "" && inParams || prefix != "" && inResults) && (key == name || strings.HasPrefix(key, name+".")) {
			found = true
		}
		return !found
	})
	return found
}

// oldExistingKeys is existingKeys as it was.
func oldExistingKeys(all []*gitstore.Experiment) []string {
	set := map[string]bool{}
	gitstore.EachKey(all, func(prefix, key string) bool {
		set[prefix+key] = true
		return true
	})
	for _, m := range metaKeys {
		set[m] = true
	}
	for _, e := range all[:min(len(all), 1000)] {
		for name := range results.DecodeJSON(e.MetricsJSON) {
			set["metrics."+name] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkListCases runs each case as TSV (ids), --json, --format csv and on a terminal, and checks them against
// wantList.
func checkListCases(t *testing.T, what string, cases []listCase) {
	t.Helper()
	for _, c := range cases {
		ids, warnings, total, matched := wantList(t, c)
		name := fmt.Sprintf("%s: list %q", what, c.args())
		// TSV (streamed: the warnings come after the rows).
		out, errs, code := runIO(t, false, 100, append([]string{"list", "--columns", "id"}, c.args()...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		if got := strings.Fields(out); !slices.Equal(got, ids) {
			t.Errorf("%s lists\n%q\nwant\n%q", name, got, ids)
		}
		if got := lines(errs); !slices.Equal(got, warnings) {
			t.Errorf("%s warns\n%q\nwant\n%q", name, got, warnings)
		}
		// --json.
		out, errs, _ = runIO(t, false, 100, append([]string{"list", "--json"}, c.args()...)...)
		var docs []struct{ ID string }
		if err := json.Unmarshal([]byte(out), &docs); err != nil {
			t.Fatalf("%s --json: %v\n%s", name, err, out)
		}
		var got []string
		for _, d := range docs {
			got = append(got, d.ID)
		}
		if !slices.Equal(got, ids) || !slices.Equal(lines(errs), warnings) {
			t.Errorf("%s --json lists %q, warns %q\nwant %q, %q", name, got, lines(errs), ids, warnings)
		}
		// csv (copied rows, as a table).
		out, errs, _ = runIO(t, false, 100, append([]string{"list", "--format", "csv", "--columns", "id"}, c.args()...)...)
		want := "" // no header when no row
		if len(ids) > 0 {
			want = "ID\n" + strings.Join(ids, "\n") + "\n"
		}
		if out != want || !slices.Equal(lines(errs), warnings) {
			t.Errorf("%s --format csv:\n%s%s\nwant\n%s%q", name, out, errs, want, warnings)
		}
		// A terminal: the warnings come first (then the table, and what it left out), or else why nothing shows.
		_, errs, _ = runIO(t, true, 200, append([]string{"list", "--columns", "id"}, c.args()...)...)
		got = lines(errs)
		switch limit := cmp.Or(c.limit, 20); {
		case matched > limit:
			warnings = append(warnings, fmt.Sprintf("... and %d more (--all to show them, -n N for N)", matched-limit))
		case len(ids) > 0:
		case total > 0:
			warnings = append(warnings, "no experiments match")
		default:
			warnings = append(warnings, "no experiments yet: record one with git exp run SCRIPT")
		}
		if !slices.Equal(got, warnings) {
			t.Errorf("%s on a terminal warns %q, want %q", name, lines(errs), warnings)
		}
	}
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// list --where and --sort read the listing as a stream (the matches kept as they are decoded, the keys named
// looked for on the way): what they list, in what order, and the warnings about keys no experiment has are what
// they were when every experiment was read into a list first. On an empty store, on one with sweeps (grid order,
// ties), archived, removed and metrics, with matches none, some and all, limits that stop the stream before a key
// is found; from the cache, and from the cache with a delta on top.
func TestListWhereSortStreamed(t *testing.T) {
	testRepo(t)
	cases := []listCase{
		{where: []string{"acc >= 0.7"}, sort: []string{"-acc", "lr"}},
		{where: []string{"acc >= 0.7"}},
		{sort: []string{"-acc", "lr"}},
		{sort: []string{"name"}},
		{where: []string{"acc > 5"}},                        // no match
		{where: []string{"acc > 5"}, sort: []string{"acc"}}, // no match, sorted
		{where: []string{"status == 'completed'"}},          // all match
		{where: []string{"i >= 1"}},                         // a sweep, in grid order
		{where: []string{"i >= 0"}, sort: []string{"acc"}},  // a sweep, tied: newest first
		{where: []string{"acc >= 0.5", "lr < 0.5"}, archived: true},
		{where: []string{"ac > 0.6"}}, // a key no experiment has
		{where: []string{"ac > 0.6", "ac < 2"}, sort: []string{"-ac", "-results.accuracy"}},
		{where: []string{"metrics.accuracy > 0"}},
		{where: []string{"metrics.loss.min < 1"}, sort: []string{"meta.bogus"}},
		{where: []string{"model.depth > 1 or acc > 0"}, sort: []string{"params.model"}},
		{where: []string{"acc > 0 or ac > 0.6"}, limit: 1}, // stops before it knows ac is nowhere
		{where: []string{"acc > 0"}, limit: 2},
		{sort: []string{"-lr"}, limit: 3},
	}
	checkListCases(t, "an empty store", cases)
	run := func(name string, params []string, cmd ...string) {
		args := []string{"run", "-q", "-n", name}
		for _, p := range params {
			args = append(args, "-p", p)
		}
		mustRun(t, append(args, cmd...)...)
	}
	run("a", []string{"lr=0.1", "model.depth=3"}, writeResults(`{"acc": 0.9}`)...)
	run("b", []string{"lr=0.01"}, writeResults(`{"acc": 0.5}`)...)
	run("g", []string{"i=range(4)", "lr=0.1"}, writeResults(`{"acc": 0.7}`)...)
	run("m", []string{"lr=1"}, "--", "sh", "-c", `echo '{"step":1,"loss":0.5}' >> "$GIT_EXP_METRICS"; printf '{"acc": 0.7}' > "$GIT_EXP_RESULTS"`)
	run("arch", []string{"lr=0.2"}, writeResults(`{"acc": 0.8}`)...)
	run("gone", []string{"lr=0.3"}, writeResults(`{"acc": 0.95}`)...)
	mustRun(t, "archive", "arch")
	mustRun(t, "rm", "gone")
	mustRun(t, "list") // the cache
	checkListCases(t, "from the cache", cases)
	// A delta on top of the cache: a new experiment, one archived, one removed since.
	run("late", []string{"lr=0.05"}, writeResults(`{"acc": 0.7}`)...)
	mustRun(t, "archive", "b")
	mustRun(t, "rm", "g[i=2]")
	checkListCases(t, "from the cache and a delta", cases)
}

// A listing stopped by -n before the end of the stream still warns only about keys no experiment has: the rest is
// looked through for them. On one core (rounds of 1,024): two sweeps fill the first two rounds, which are all a
// listing of one row decodes (the first row is held back until its sweep ends, the second round is decoded while
// the first is listed); the oldest experiments alone have ac. And sorted listings that keep only their first rows.
func TestListWhereStoppedEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("stages 2,110 experiments")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	testRepo(t)
	mustRun(t, "run", "--stage", "--yes", "-q", "-n", "old", "-p", "i=range(10)", "-p", "ac=1", "--", "true")
	mustRun(t, "run", "--stage", "--yes", "-q", "-n", "mid", "-p", "i=range(1500)", "--", "true")
	mustRun(t, "run", "--stage", "--yes", "-q", "-n", "new", "-p", "i=range(600)", "--", "true")
	mustRun(t, "list") // the cache
	checkListCases(t, "stopped early", []listCase{
		{where: []string{"i >= 0 or ac > 0"}, limit: 1},
		{where: []string{"i >= 0 or ab > 0"}, limit: 1}, // no experiment has ab
		// Sorted and limited: what cannot be among the first rows is not kept (ties: the three sweeps share i).
		{where: []string{"i >= 0"}, sort: []string{"-i"}, limit: 3},
		{sort: []string{"i", "-ac"}, limit: 5},
		{sort: []string{"-i"}}, // on a terminal, the first 20
	})
}
