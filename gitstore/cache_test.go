package gitstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func testStore(t *testing.T) (*Store, string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.name", "T"}, {"config", "user.email", "t@e"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	st, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

// view is what a listing shows of the store, in its order.
func view(t *testing.T, exps []*Experiment) []string {
	t.Helper()
	var out []string
	for _, e := range exps {
		out = append(out, fmt.Sprintf("%s %s %s %q %v %v %v %s %s", e.ID, e.ShortID, e.Name, e.Tags, e.Deleted, e.Archived,
			e.Status, e.ParamsKV(), e.TreeOID))
	}
	return out
}

// The cache (a base and a delta) must always give what a fresh read of the store gives: after new experiments,
// edits (notes), experiments gone from the store, ids that make short ids longer, and whether the delta is written
// or the base rewritten.
func TestCacheDeltaMatchesFreshRead(t *testing.T) {
	old, oldStream := deltaMinEntries, streamMin
	deltaMinEntries, streamMin = 6, 2 // both paths: a delta, a rewritten base, and a base streamed while read
	t.Cleanup(func() { deltaMinEntries, streamMin = old, oldStream })
	st, dir := testStore(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	var ids []string
	used := map[string]bool{}
	newID := func() string {
		for {
			id := fmt.Sprintf("%016x", r.Uint64())
			if len(ids) > 0 && r.IntN(4) == 0 { // share 7 to 15 characters with an existing id
				o := ids[r.IntN(len(ids))]
				k := 7 + r.IntN(9)
				id = o[:k] + id[k:]
			}
			if !used[id] { // ids are never reused, even after a drop
				used[id] = true
				return id
			}
		}
	}
	seq := 0
	create := func() {
		seq++
		id := newID()
		m := &Manifest{ID: id, Name: fmt.Sprintf("run-%d", seq), Status: StatusCompleted,
			Created: fmt.Sprintf("2026-01-01T00:00:%02d.%03dZ", seq%60, r.IntN(3))}
		if err := st.Create(ctx, "run", m, []byte(fmt.Sprintf(`{"lr":%d}`, seq))); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	note := func(op string) {
		id := ids[r.IntN(len(ids))]
		seq++
		b, _ := json.Marshal(Note{ID: fmt.Sprint(seq), Op: op, Tags: []string{"t" + fmt.Sprint(seq%3)}, Time: Now()})
		err := st.Update(ctx, op, func(tx *Tx) error {
			return tx.WriteBlob(ExpPath(id)+"/notes/"+fmt.Sprint(seq)+".json", b)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	drop := func() { // gone from the store entirely
		i := r.IntN(len(ids))
		id := ids[i]
		ids = append(ids[:i], ids[i+1:]...)
		if err := st.Update(ctx, "drop", func(tx *Tx) error { return tx.Remove(ExpPath(id)) }); err != nil {
			t.Fatal(err)
		}
	}
	var first []string // what the first read after the changes of a step listed, when it was a Stream
	lazy := 0          // how many of those streamed a base they rebuilt
	refreshed := 0     // how many brought the delta up to date without decoding the base (refreshStream)
	check := func(step int) {
		t.Helper()
		got, err := st.Experiments()
		if err != nil {
			t.Fatal(err)
		}
		again, err := st.Experiments() // from the files just written
		if err != nil {
			t.Fatal(err)
		}
		stream, err := st.Stream() // from the same files, a round at a time
		if err != nil {
			t.Fatal(err)
		}
		if stream.bf == nil {
			t.Fatalf("step %d: the stream did not read the cache", step)
		}
		streamedList, _ := streamed(t, stream, nil)
		// A fresh read, with the cache files set aside (and put back after, so deltas pile up over the steps).
		expDir := filepath.Join(dir, ".git", "exp")
		aside := t.TempDir()
		matches, _ := filepath.Glob(filepath.Join(expDir, "cache*"))
		for _, m := range matches {
			if err := os.Rename(m, filepath.Join(aside, filepath.Base(m))); err != nil {
				t.Fatal(err)
			}
		}
		fresh, err := st.Experiments()
		if err != nil {
			t.Fatal(err)
		}
		matches, _ = filepath.Glob(filepath.Join(expDir, "cache*"))
		for _, m := range matches {
			os.Remove(m)
		}
		kept, _ := filepath.Glob(filepath.Join(aside, "*"))
		for _, m := range kept {
			if err := os.Rename(m, filepath.Join(expDir, filepath.Base(m))); err != nil {
				t.Fatal(err)
			}
		}
		if g, f := view(t, got), view(t, fresh); !reflect.DeepEqual(g, f) {
			t.Fatalf("step %d: the cache gives\n%q\na fresh read gives\n%q", step, g, f)
		}
		if g, f := view(t, again), view(t, fresh); !reflect.DeepEqual(g, f) {
			t.Fatalf("step %d: the cache read back gives\n%q\na fresh read gives\n%q", step, g, f)
		}
		if len(fresh) != len(ids) {
			t.Fatalf("step %d: %d experiments, want %d", step, len(fresh), len(ids))
		}
		want, _ := expected(t, fresh, nil)
		if !reflect.DeepEqual(streamedList, want) {
			t.Fatalf("step %d: the stream gives\n%q\na fresh read gives\n%q", step, streamedList, want)
		}
		if first != nil && !reflect.DeepEqual(first, want) {
			t.Fatalf("step %d: the stream that brought the cache up to date gives\n%q\na fresh read gives\n%q", step, first, want)
		}
	}
	for range 12 {
		create()
	}
	check(0)
	sawDelta, sawRewrite := false, false
	var lastBase string
	for step := 1; step <= 40; step++ {
		for range 1 + r.IntN(4) {
			switch k := r.IntN(10); {
			case k < 5:
				create()
			case k < 8:
				note([]string{"tag", "rename", "delete", "archive"}[r.IntN(4)])
			default:
				if len(ids) > 1 {
					drop()
				}
			}
		}
		// A read that brings the cache up to date first (the state the cache files then hold), then the checks.
		// Every other step it is a Stream, which streams a base it rebuilt rather than decode it.
		first = nil
		if step%2 == 0 {
			before, _ := os.ReadFile(st.cachePath())
			s, err := st.Stream()
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := os.ReadFile(st.cachePath()); s.bf != nil && string(after) != string(before) {
				lazy++
			} else if s.bf != nil {
				refreshed++
			}
			first, _ = streamed(t, s, nil)
		} else if _, err := st.Experiments(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(st.deltaPath()); err == nil {
			sawDelta = true
		}
		if b, err := os.ReadFile(st.cachePath()); err == nil {
			if lastBase != "" && string(b) != lastBase {
				sawRewrite = true
			}
			lastBase = string(b)
		}
		check(step)
	}
	t.Logf("streams that rebuilt the base: %d, that wrote the delta without decoding it: %d", lazy, refreshed)
	if lazy == 0 || refreshed == 0 {
		t.Errorf("streams that rebuilt the base: %d, that wrote the delta without decoding the base: %d (want both)", lazy, refreshed)
	}
	if !sawDelta || !sawRewrite {
		t.Errorf("the test did not cover both paths: delta written %v, base rewritten %v", sawDelta, sawRewrite)
	}
}

// Prefetch reads many directories in a few requests; an edit after it gives the same tree as one without it.
func TestPrefetchThenEdit(t *testing.T) {
	st, _ := testStore(t)
	ctx := context.Background()
	var ids []string
	for i := range 40 {
		id := fmt.Sprintf("%02x%014x", i*6, i)
		m := &Manifest{ID: id, Name: fmt.Sprint("e", i), Status: StatusCompleted, Created: Now()}
		if err := st.Create(ctx, "run", m, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	edit := func(prefetch bool) string {
		_, tree, err := st.TipTree()
		if err != nil {
			t.Fatal(err)
		}
		tx := &Tx{s: st, root: &node{oid: tree}}
		if prefetch {
			dirs := []string{"nosuch/dir", "ff/ffffffffffffffff/notes"}
			for _, id := range ids {
				dirs = append(dirs, ExpPath(id)+"/notes")
			}
			if err := tx.Prefetch(dirs); err != nil {
				t.Fatal(err)
			}
		}
		for i, id := range ids {
			if i%3 == 0 {
				if err := tx.WriteBlob(ExpPath(id)+"/notes/n.json", []byte(`{"op":"archive","time":"x"}`)); err != nil {
					t.Fatal(err)
				}
			}
			if _, ok, err := tx.Entry(ExpPath(id) + "/experiment.json"); err != nil || !ok {
				t.Fatalf("%s: %v %v", id, ok, err)
			}
		}
		out, err := tx.write(tx.root)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if with, without := edit(true), edit(false); with != without {
		t.Errorf("tree after Prefetch %s, without %s", with, without)
	}
}

// A long-lived Store reads its cache's base once: reading again after the tip moved decodes only the delta (the
// unchanged experiments are the very records read before), and sees the change.
func TestCacheBaseReadOnce(t *testing.T) {
	st, _ := testStore(t)
	ctx := context.Background()
	for i := range 3 {
		m := &Manifest{ID: fmt.Sprintf("%016x", i+1), Name: fmt.Sprintf("run-%d", i), Status: StatusCompleted,
			Created: fmt.Sprintf("2026-01-01T00:00:0%d.000Z", i)}
		if err := st.Create(ctx, "run", m, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	first, err := st.Experiments() // reads git, writes the base
	if err != nil {
		t.Fatal(err)
	}
	base, err := st.Experiments() // maps and decodes the base
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Note{ID: "n1", Op: "rename", Value: "renamed", Time: Now()})
	if err := st.Update(ctx, "rename", func(tx *Tx) error {
		return tx.WriteBlob(ExpPath(fmt.Sprintf("%016x", 1))+"/notes/n1.json", b)
	}); err != nil {
		t.Fatal(err)
	}
	after, err := st.Experiments()
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || len(after) != 3 {
		t.Fatalf("%d, %d experiments", len(first), len(after))
	}
	byID := map[string]*Experiment{}
	for _, e := range base {
		byID[e.ID] = e
	}
	for _, e := range after {
		switch {
		case e.ID == fmt.Sprintf("%016x", 1):
			if e.Name != "renamed" || byID[e.ID].Name != "run-0" {
				t.Errorf("the rename: now %q, the earlier record %q", e.Name, byID[e.ID].Name)
			}
		case byID[e.ID] != e:
			t.Errorf("%s was decoded again", e.ID)
		}
	}
}

// Issue 14, item 13: a cache file changed on disk (a flipped bit in a name) is detected and rebuilt, never shown.
func TestCacheCorruptionRebuilt(t *testing.T) {
	st, _ := testStore(t)
	ctx := context.Background()
	create := func(i int) {
		m := &Manifest{ID: fmt.Sprintf("%016x", 0xabc000+i), Name: fmt.Sprintf("name-%d", i), Status: StatusCompleted,
			Created: fmt.Sprintf("2026-01-01T00:00:%02dZ", i)}
		if err := st.Create(ctx, "run", m, []byte(`{"lr":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		create(i)
	}
	want := func() []string {
		exps, err := st.Experiments()
		if err != nil {
			t.Fatal(err)
		}
		return view(t, exps)
	}
	good := want()
	for _, path := range []string{st.cachePath(), st.deltaPath()} {
		file := filepath.Base(path)
		if path == st.deltaPath() {
			create(7)
			good = want() // writes the delta
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := []byte("name-")
		if !bytes.Contains(b, name) {
			t.Fatalf("%s does not hold a name", file)
		}
		for i := bytes.Index(b, name); i >= 0; i = bytes.Index(b[i+1:], name) + i + 1 {
			b[i+len(name)] ^= 0x01 // "name-4" reads "name-5"
			if bytes.Index(b[i+1:], name) < 0 {
				break
			}
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := want(); !reflect.DeepEqual(got, good) {
			t.Fatalf("with %s corrupted the listing is\n%q\nwant\n%q", file, got, good)
		}
		if got := want(); !reflect.DeepEqual(got, good) { // and rebuilt: the next read is right as well
			t.Fatalf("after %s was corrupted, the rebuilt cache gives\n%q\nwant\n%q", file, got, good)
		}
	}
}

// Issue 14, item 12: a huge value (pulled from a teammate, say) is cut in the cache, so that it costs later listings
// nothing; the store keeps it whole, and Full (show, --json, rerun) reads it from there. Staged and running
// experiments, which are run with their parameters, are never cut.
func TestCacheCapsHugeValues(t *testing.T) {
	st, _ := testStore(t)
	ctx := context.Background()
	huge := strings.Repeat("é", 1<<20) // 2 MiB of JSON text, cut at a character's boundary
	list := make([]any, 100000)
	for i := range list {
		list[i] = i
	}
	params, err := json.Marshal(map[string]any{"lr": 0.1, "blob": huge, "nested": map[string]any{"list": list, "k": 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i, status := range []string{StatusCompleted, StatusStaged} {
		m := &Manifest{ID: fmt.Sprintf("%016x", 0xcafe00+i), Name: status, Status: status,
			Created: fmt.Sprintf("2026-01-01T00:00:0%dZ", i)}
		if err := st.Create(ctx, "run", m, params); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 { // read from git, then from the cache file
		exps, err := st.Experiments()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range exps {
			cut := e.Status == StatusCompleted
			if e.Capped != cut || cut != (len(e.ParamsJSON) < 3*CapValue) {
				t.Fatalf("round %d, %s: Capped %v with %d bytes of params", round, e.Status, e.Capped, len(e.ParamsJSON))
			}
			if !cut {
				continue
			}
			var p map[string]any
			if err := json.Unmarshal(e.ParamsJSON, &p); err != nil {
				t.Fatalf("cut params are not JSON: %v", err)
			}
			blob, _ := p["blob"].(string)
			nested, _ := p["nested"].(map[string]any)
			l, _ := nested["list"].([]any)
			if p["lr"] != 0.1 || !strings.HasPrefix(huge, strings.TrimSuffix(blob, "…")) || !strings.HasSuffix(blob, "…") ||
				len(blob) > CapValue+3 || len(l) == 0 || len(l) > CapValue/2 || nested["k"] != 1.0 {
				t.Fatalf("cut params: lr %v, blob of %d bytes, list of %d, k %v", p["lr"], len(blob), len(l), nested["k"])
			}
			if v, ok, _ := e.LookupParam("lr"); !ok || v != 0.1 {
				t.Errorf("lr of the cut params is %v", v)
			}
			f, err := st.Full(e)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			json.Unmarshal(params, &want)
			json.Unmarshal(f.ParamsJSON, &got)
			if f.Capped || f.ShortID != e.ShortID || !reflect.DeepEqual(got, want) {
				t.Fatalf("Full: Capped %v, short id %q (want %q), params whole: %v", f.Capped, f.ShortID, e.ShortID, reflect.DeepEqual(got, want))
			}
		}
	}
	if fi, err := os.Stat(st.cachePath()); err != nil || fi.Size() > int64(len(params))+64<<10 {
		t.Errorf("the cache holds the huge value more than once (stat %v)", err)
	}
}

// TestBaseBuilderBlocks builds a base of experiments added in no order, over many rounds of blocks encoded on every
// core (finish), with a short last block, and reads it back: every experiment, newest first, whole, with its short id.
func TestBaseBuilderBlocks(t *testing.T) {
	defer func(r int) { roundBlocks = r }(roundBlocks)
	roundBlocks = 1
	dir := t.TempDir()
	b, err := newBaseBuilder(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	n := 5*cacheBlock + 17
	var want []*Experiment
	for i := range n {
		e := &Experiment{ParamsJSON: []byte(fmt.Sprintf(`{"i":%d}`, i)), ResultsJSON: []byte(`{"acc":0.5}`)}
		e.ID = fmt.Sprintf("%016x", r.Uint64())
		e.Name = fmt.Sprintf("run-%d", i)
		e.Host = "host" // the same as the experiment before: written as a reference within a block
		e.Status = StatusCompleted
		e.Created = fmt.Sprintf("2026-01-01T00:%02d:%02d.000Z", r.IntN(60), r.IntN(60))
		if i%7 == 0 { // not git-exp's form (createdKey): ordered by the string, among the others
			e.Created = fmt.Sprintf("2026-01-01T00:%02d:%02dZ", r.IntN(60), r.IntN(60))
		}
		e.TreeOID = fmt.Sprintf("%040x", i)
		b.add(e)
		want = append(want, e)
	}
	SortNewest(want)
	ids := make([]string, n)
	for i, e := range want {
		ids[i] = e.ID
	}
	shorts := shortIDsOf(ids)
	path := filepath.Join(dir, "base")
	if err := b.finish(path, "tip", "root", map[string]string{"00": "fan"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := decodeCache(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.List) != n {
		t.Fatalf("%d experiments, want %d", len(c.List), n)
	}
	for i, e := range c.List {
		w := want[i]
		if e.ID != w.ID || e.Name != w.Name || e.Host != w.Host || e.Created != w.Created || e.TreeOID != w.TreeOID ||
			string(e.ParamsJSON) != string(w.ParamsJSON) || e.ShortID != shorts[i] {
			t.Fatalf("%d: got %s %s %s %s %s, want %s %s %s %s %s", i, e.ID, e.Name, e.Created, e.ParamsJSON, e.ShortID,
				w.ID, w.Name, w.Created, w.ParamsJSON, shorts[i])
		}
	}
}

// TestCreatedKeyOrdersAsStrings: the numbers the base builder sorts creation times by order them as their strings do,
// and times in another form have none.
func TestCreatedKeyOrdersAsStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var times []string
	for range 2000 {
		times = append(times, fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", 1990+r.IntN(3), 1+r.IntN(12), 1+r.IntN(28),
			r.IntN(24), r.IntN(2), r.IntN(60), r.IntN(1000)))
	}
	times = append(times, "9999-99-99T99:99:99.999Z", "0000-00-00T00:00:00.000Z")
	for i, a := range times {
		b := times[(i*7+3)%len(times)]
		ka, kb := createdKey(a), createdKey(b)
		if ka == 0 || kb == 0 || cmp.Compare(ka, kb) != strings.Compare(a, b) {
			t.Fatalf("%s (%d) and %s (%d) are not ordered as strings", a, ka, b, kb)
		}
	}
	for _, s := range []string{"", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000+00:00", "2026-01-01 00:00:00.000Z",
		"2026-01-01T00:00:00.00aZ", "2026-01-01T00:00:00.000z", "+026-01-01T00:00:00.000Z"} {
		if k := createdKey(s); k != 0 {
			t.Errorf("createdKey(%q) = %d, want 0 (not git-exp's form)", s, k)
		}
	}
}
