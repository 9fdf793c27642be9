package ui

import (
	"bytes"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

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

// TestStoredSummaryAnswersAsTheFile: a chart drawn from the summary stored at the end of a run (thin.FileName) is
// exactly the chart drawn from a reading of the metrics file, at any width, zoom and selection of metrics.
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
			if code1 != 200 || code2 != 200 {
				t.Fatalf("%s: %d %s / %d %s", q, code1, a, code2, b)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("%d metrics, ?%s: the stored summary answers\n%.600s\nthe file\n%.600s", metrics, q, a, b)
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
