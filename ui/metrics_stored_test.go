package ui

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/internal/testrepo"
	"github.com/git-exp/git-exp/thin"
)

// genSeries is a metrics file that exercises the merge by step: NaN, Infinity, -Infinity and 1e400 values, a
// metric that is not numeric, lines of one step split in two (the time on the first only), times on some lines,
// and steps that go back (a continued experiment logging a range of steps again), over `metrics` metrics.
func genSeries(n, metrics int) string {
	var sb strings.Builder
	line := func(step int, tm string, kv ...string) {
		fmt.Fprintf(&sb, `{"step": %d`, step)
		if tm != "" {
			fmt.Fprintf(&sb, `, "time": %q`, tm)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			fmt.Fprintf(&sb, `, %q: %s`, kv[i], kv[i+1])
		}
		sb.WriteString("}\n")
	}
	val := func(i, m int) string {
		switch {
		case i%997 == 13:
			return "NaN"
		case i%1499 == 7:
			return "Infinity"
		case i%1777 == 3:
			return "-Infinity"
		case i == 4242:
			return "1e400"
		case i >= 3000 && i < 3100: // a run of NaN only: buckets with no minimum
			return "NaN"
		}
		return fmt.Sprintf("%.5g", math.Sin(float64(i*(m+1))/300)+float64(i%7)/10)
	}
	tm := func(i int) string {
		if i%3 == 0 {
			return ""
		}
		return fmt.Sprintf("2026-01-02T03:%02d:%02d.%03dZ", i/3600%60, i/60%60, i%1000)
	}
	for i := range n {
		kv := []string{"phase", `"train"`}
		for m := range metrics {
			kv = append(kv, fmt.Sprintf("m%02d", m), val(i, m))
		}
		if i%10 == 5 { // one step in two lines: the second wins for the metrics it has
			h := len(kv) / 4 * 2
			line(i, tm(i), kv[:h]...)
			line(i, "", append([]string{"m00", "-0.5"}, kv[h:]...)...)
			continue
		}
		line(i, tm(i), kv...)
	}
	for i := n / 2; i < n/2+n/5; i++ { // steps that go back: logged again after a restore
		line(i, tm(i+1), "m00", val(i+7, 0), "late", fmt.Sprint(i))
	}
	return sb.String()
}

// TestStoredSummaryAnswersAsTheFile: a chart drawn from the summary stored at the end of a run (thin.FileName), or
// from the one a server kept on disk when it read the file (thinCache), is exactly the chart drawn from a reading of
// the metrics file, at any width, zoom and selection of metrics.
func TestStoredSummaryAnswersAsTheFile(t *testing.T) {
	n := 20000 // more points than the summary's buckets: thinned
	if testing.Short() {
		n = 5000
	}
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	for _, metrics := range []int{3, 21} { // 21: coarser than one metric alone (thin.HalfFor)
		series := genSeries(n, metrics)
		stored := testrepo.Record(t, st, testrepo.Run{Name: fmt.Sprint("stored", metrics), Metrics: series, Thin: true})
		plain := testrepo.Record(t, st, testrepo.Run{Name: fmt.Sprint("plain", metrics), Metrics: series})
		s := newTestServer(t, dir, Options{})
		s.thinCache = &thinCache{dir: t.TempDir(), limit: thinCacheBytes, worth: func([]byte, int64) bool { return false }}
		// The summary of plain's file that a server keeps on disk when it reads it (kept whatever its length here),
		// and a fresh server (another git exp ui started later) that draws plain's charts from it.
		warm := newTestServer(t, dir, Options{})
		warm.thinCache.worth = func([]byte, int64) bool { return true }
		if code, a := warm.do(t, "GET", "/api/experiments/"+plain+"/metrics", ""); code != 200 {
			t.Fatalf("%d %s", code, a)
		}
		fresh := newTestServer(t, dir, Options{})
		oid, ok, err := st.FileOID(plain, "metrics.jsonl")
		if err != nil || !ok || fresh.thinCache.get(oid) == nil {
			t.Fatalf("%d metrics: no summary kept of %s (%s): %v %v", metrics, plain, oid, ok, err)
		}
		for id, want := range map[string]bool{stored: true, plain: false} {
			_, e, err := s.get(httptest.NewRequest("GET", "/", nil), id)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.storedSummary(e, nil) != nil; got != want {
				t.Fatalf("%d metrics: stored summary of %s: %v, want %v", metrics, id, got, want)
			}
		}
		queries := []string{"", "points=2", "points=10", "points=300", "points=1000", "points=1001", "points=4096",
			"points=9000", "points=1000&from=100&to=900", "points=1000&from=5000&to=5003", "points=500&from=-5&to=1e9",
			"points=1000&from=14000&to=1e9", "points=200&from=2500&to=3600", "points=1000&from=0&to=0",
			"names=m00", "names=m01,m00&points=700", "names=late,phase", "names=nothing", "names=m00&from=6000&to=7000",
			"points=100&from=4000&to=4500"}
		if testing.Short() && metrics > 20 {
			queries = []string{"", "points=4096", "names=m00", "points=1000&from=100&to=900"}
		}
		for _, q := range queries {
			// Each experiment's first request reads its summary (stored, or the file); then the others draw from it.
			code1, a := s.do(t, "GET", "/api/experiments/"+stored+"/metrics?"+q, "")
			code2, b := s.do(t, "GET", "/api/experiments/"+plain+"/metrics?"+q, "")
			code3, c := fresh.do(t, "GET", "/api/experiments/"+plain+"/metrics?"+q, "")
			if code1 != 200 || code2 != 200 || code3 != 200 {
				t.Fatalf("%s: %d %s / %d %s / %d %s", q, code1, a, code2, b, code3, c)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("%d metrics, ?%s: the stored summary answers\n%.600s\nthe file\n%.600s", metrics, q, a, b)
			}
			if !bytes.Equal(c, b) {
				t.Fatalf("%d metrics, ?%s: the summary kept on disk answers\n%.600s\nthe file\n%.600s", metrics, q, c, b)
			}
			if q == "" && !bytes.Contains(a, []byte(`"Infinity"`)) {
				t.Fatalf("the series lost its non-finite values: %.300s", a)
			}
		}
	}
}

// TestStoredSummaryFallsBack: a stored summary of another version, or a damaged one, is not used: the file is read.
func TestStoredSummaryFallsBack(t *testing.T) {
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	series := genSeries(6000, 2)
	plain := testrepo.Record(t, st, testrepo.Run{Name: "plain", Metrics: series})
	s := newTestServer(t, dir, Options{})
	code, want := s.do(t, "GET", "/api/experiments/"+plain+"/metrics?points=500", "")
	if code != 200 {
		t.Fatalf("%d %s", code, want)
	}
	for name, content := range map[string]string{
		"future":  `{"version": 2, "half": 1}`,
		"damaged": `{"version": 1, "half": 2048, "names": ["m00"], "metrics": {"m00": {"total": 5, "width": 4}}}`,
		"notjson": `{"version": 1,`,
	} {
		id := testrepo.Record(t, st, testrepo.Run{Name: name, Metrics: series})
		testrepo.Update(t, st, id, thin.FileName, content)
		_, e, err := s.get(httptest.NewRequest("GET", "/", nil), id)
		if err != nil {
			t.Fatal(err)
		}
		if s.storedSummary(e, nil) != nil {
			t.Fatalf("%s: a stored summary was used", name)
		}
		if _, got := s.do(t, "GET", "/api/experiments/"+id+"/metrics?points=500", ""); !bytes.Equal(got, want) {
			t.Fatalf("%s: %.300s, want %.300s", name, got, want)
		}
	}
}

// TestThinCache: the summary a server builds when it reads a finished run's metrics file (no stored summary) is kept
// on disk, named by the file's object id, as thin.FileName holds it; a server started later draws from it (a summary
// put in its place changes the answer), one that does not decode is read again and rewritten, a --read-only server
// keeps it too (a cache, like the list's), a short series is not kept, and the directory stays within its limit.
func TestThinCache(t *testing.T) {
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	always := func([]byte, int64) bool { return true }
	ids, oids, built := map[string]string{}, map[string]string{}, map[string][]byte{}
	for name, series := range map[string]string{"a": genSeries(6000, 2), "b": genSeries(3000, 1), "c": genSeries(3000, 4)} {
		ids[name] = testrepo.Record(t, st, testrepo.Run{Name: name, Metrics: series})
		oid, ok, err := st.FileOID(ids[name], "metrics.jsonl")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		oids[name] = oid
		sr, err := exp.ScanMetrics(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(series)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if built[name], err = thin.Build(sr); err != nil {
			t.Fatal(err)
		}
	}
	server := func(opts Options) *testServer {
		s := newTestServer(t, dir, opts)
		s.thinCache.worth = always
		return s
	}
	answer := func(s *testServer, name string) []byte {
		t.Helper()
		code, b := s.do(t, "GET", "/api/experiments/"+ids[name]+"/metrics?points=500", "")
		if code != 200 {
			t.Fatalf("%d %s", code, b)
		}
		return b
	}
	kept := func(name string) []byte {
		data, _ := os.ReadFile(newThinCache(st.ExpDir()).path(oids[name]))
		return data
	}

	// A short series under the usual rule: not kept.
	short := newTestServer(t, dir, Options{})
	wantA := answer(short, "a")
	if kept("a") != nil {
		t.Fatalf("a short series was kept")
	}
	// Kept by a read-only server too, as thin.Build makes it of the file.
	s1 := server(Options{ReadOnly: true})
	if got := answer(s1, "a"); !bytes.Equal(got, wantA) {
		t.Fatalf("first reading: %.300s, want %.300s", got, wantA)
	}
	wantB := answer(s1, "b")
	for _, name := range []string{"a", "b"} {
		if got := kept(name); !bytes.Equal(got, built[name]) {
			t.Fatalf("%s: kept %.200q, want %.200q", name, got, built[name])
		}
	}
	// A fresh server draws from what is kept: b's summary in a's place answers b's chart for a.
	if err := os.WriteFile(newThinCache(st.ExpDir()).path(oids["a"]), built["b"], 0o644); err != nil {
		t.Fatal(err)
	}
	if got := answer(server(Options{}), "a"); !bytes.Equal(got, wantB) {
		t.Fatalf("a fresh server did not answer from the summary kept: %.300s", got)
	}
	// A damaged one: the file is read, and the summary rewritten.
	for _, bad := range []string{"", `{"version": 1,`, `{"version": 1, "half": 2048, "names": ["m00"], "metrics": {"m00": {"total": 5, "width": 4}}}`} {
		if err := os.WriteFile(newThinCache(st.ExpDir()).path(oids["a"]), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := answer(server(Options{}), "a"); !bytes.Equal(got, wantA) {
			t.Fatalf("%q kept: %.300s, want %.300s", bad, got, wantA)
		}
		if got := kept("a"); !bytes.Equal(got, built["a"]) {
			t.Fatalf("%q kept: not rewritten: %.200q", bad, got)
		}
	}
	// Within the limit: the least recently used go first (a hit makes a summary recent).
	c := newThinCache(st.ExpDir())
	c.worth = always
	c.limit = int64(len(built["a"]) + len(built["b"]) + len(built["c"]) - 1)
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"a", "b"} {
		if err := os.Chtimes(c.path(oids[name]), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if c.get(oids["a"]) == nil {
		t.Fatal("a is not kept")
	}
	s2 := newTestServer(t, dir, Options{})
	s2.thinCache = c
	answer(s2, "c")
	if kept("c") == nil || kept("a") == nil || kept("b") != nil {
		t.Fatalf("not the least recently used evicted: a %v, b %v, c %v", kept("a") != nil, kept("b") != nil, kept("c") != nil)
	}
	if ents, _ := os.ReadDir(c.dir); len(ents) != 2 {
		t.Fatalf("%d files in the cache, want 2", len(ents))
	}
}
