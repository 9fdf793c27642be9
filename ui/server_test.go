package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/internal/testrepo"
	"github.com/git-exp/git-exp/results"
)

// fixture is a repository with a small sweep, one experiment named like a script tag, and one with artifacts.
func fixture(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	ids := map[string]string{}
	for i, lr := range []string{"0.01", "0.1", "0.3"} {
		name := "train[lr=" + lr + "]"
		ids[name] = testrepo.Record(t, st, testrepo.Run{Name: name, Params: `{"lr": ` + lr + `, "epochs": 10}`, Tags: []string{"sweep"},
			Results: `{"acc": 0.` + string(rune('5'+i)) + `}`,
			Metrics: `{"step": 0, "loss": 1.0}` + "\n" + `{"step": 1, "loss": 0.5}` + "\n" + `{"step": 2, "loss": "NaN"}` + "\n"})
	}
	ids["xss"] = testrepo.Record(t, st, testrepo.Run{Name: "<script>alert(1)</script>", Params: `{"lr": 0.05, "epochs": 10}`, Stdout: "héllo\nworld\n",
		Artifacts: map[string]string{"notes.txt": "<b>hi</b>", "plots/loss.svg": "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "model.bin": "\x00\x01"},
		Results:   `{"acc": 0.7}`})
	return dir, ids
}

func TestAuthAndHost(t *testing.T) {
	dir, _ := fixture(t)
	s := newTestServer(t, dir, Options{})
	// No token at all.
	req, _ := http.NewRequest("GET", s.url+"/api/experiments", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	// A wrong token, as header and as ?token=.
	req.Header.Set("Authorization", "Bearer nope")
	resp, _ = http.DefaultTransport.RoundTrip(req)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong bearer: %d", resp.StatusCode)
	}
	resp, _ = http.Get(s.url + "/?token=nope")
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong ?token: %d", resp.StatusCode)
	}
	// The right token: a cookie, and a redirect that takes the token out of the address.
	req, _ = http.NewRequest("GET", s.url+"/run/abc?token="+s.Token()+"&x=1", nil)
	resp, _ = http.DefaultTransport.RoundTrip(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "token") {
		t.Fatalf("token visit: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", cookies)
	}
	req, _ = http.NewRequest("GET", s.url+"/api/experiments", nil)
	req.AddCookie(cookies[0])
	resp, _ = http.DefaultTransport.RoundTrip(req)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("with the cookie: %d", resp.StatusCode)
	}
	// DNS rebinding: a name that is not this machine.
	s.wantError(t, 403, "GET", "/api/experiments", "", "Host", "evil.example.com:80")
	s.wantError(t, 403, "GET", "/", "", "Host", "attacker.test")
	for _, ok := range []string{"localhost:1234", "127.0.0.1", "[::1]:8080"} {
		if !allowedHost(ok) {
			t.Errorf("allowedHost(%q) = false", ok)
		}
	}
	// Writes from another origin, or not as JSON.
	body := `{"ids":["train[lr=0.1]"],"op":"archive"}`
	s.wantError(t, 403, "POST", "/api/edit", body, "Origin", "http://evil.example.com")
	s.wantError(t, 403, "POST", "/api/edit", body, "Sec-Fetch-Site", "cross-site")
	s.wantError(t, 415, "POST", "/api/edit", body, "Content-Type", "text/plain")
	// Headers that keep content from running as the UI's own.
	code, _ := s.do(t, "GET", "/", "")
	if code != 200 {
		t.Fatalf("GET /: %d", code)
	}
}

func TestRoutesAndStatic(t *testing.T) {
	dir, _ := fixture(t)
	s := newTestServer(t, dir, Options{})
	s.wantError(t, 404, "GET", "/api/nothing", "")
	s.wantError(t, 405, "POST", "/api/experiments", `{}`)
	s.wantError(t, 405, "GET", "/api/edit", "")
	s.wantError(t, 404, "GET", "/nope.js", "")
	for _, p := range []string{"/", "/run/abc", "/compare", "/app.js", "/vendor/uPlot.iife.min.js"} {
		code, b := s.do(t, "GET", p, "")
		if code != 200 || len(b) == 0 {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	var cfg map[string]any
	s.getJSON(t, "/api/config", &cfg)
	if cfg["read_only"] != false {
		t.Errorf("config: %v", cfg)
	}
}

type listAnswer struct {
	Total   int   `json:"total"`
	Offset  int   `json:"offset"`
	Items   []row `json:"items"`
	Columns struct {
		Params    []string `json:"params"`
		AllParams []string `json:"all_params"`
		Results   []string `json:"results"`
	} `json:"columns"`
}

func names(items []row) string {
	var out []string
	for _, r := range items {
		out = append(out, r.Name)
	}
	return strings.Join(out, " ")
}

func TestExperiments(t *testing.T) {
	dir, ids := fixture(t)
	s := newTestServer(t, dir, Options{})
	var a listAnswer
	s.getJSON(t, "/api/experiments", &a)
	if a.Total != 4 || len(a.Items) != 4 {
		t.Fatalf("list: %+v", a)
	}
	if !slices.Equal(a.Columns.Params, []string{"lr"}) || !slices.Equal(a.Columns.AllParams, []string{"epochs", "lr"}) ||
		!slices.Equal(a.Columns.Results, []string{"acc"}) {
		t.Fatalf("columns: %+v", a.Columns)
	}
	s.getJSON(t, "/api/experiments?sort=-results.acc&limit=2&offset=1", &a)
	if a.Total != 4 || names(a.Items) != "train[lr=0.3] train[lr=0.1]" {
		t.Fatalf("sorted page: %d %s", a.Total, names(a.Items))
	}
	s.getJSON(t, "/api/experiments?where="+url.QueryEscape("lr >= 0.1")+"&tag=sweep&sort=lr", &a)
	if names(a.Items) != "train[lr=0.1] train[lr=0.3]" {
		t.Fatalf("where: %s", names(a.Items))
	}
	s.getJSON(t, "/api/experiments?ids="+ids["xss"][:6]+",train[lr=0.01]", &a)
	if names(a.Items) != "<script>alert(1)</script> train[lr=0.01]" {
		t.Fatalf("ids: %s", names(a.Items))
	}
	s.getJSON(t, "/api/experiments?status=failed", &a)
	if a.Total != 0 || a.Items == nil {
		t.Fatalf("no match: %+v", a)
	}
	// Bad input: a 400 that says where.
	e := s.wantError(t, 400, "GET", "/api/experiments?where="+url.QueryEscape("lr >"), "")
	if e["column"] != 5.0 || e["expr"] != "lr >" || !strings.Contains(e["error"].(string), "column 5") {
		t.Fatalf("where error: %v", e)
	}
	s.wantError(t, 400, "GET", "/api/experiments?name=[", "")
	s.wantError(t, 400, "GET", "/api/experiments?sort=-", "")
	s.wantError(t, 400, "GET", "/api/experiments?offset=-1", "")
	s.wantError(t, 400, "GET", "/api/experiments?limit=x", "")
	s.wantError(t, 400, "GET", "/api/experiments?archived=maybe", "")
	s.wantError(t, 400, "GET", "/api/experiments?since=notadate", "")
	s.wantError(t, 404, "GET", "/api/experiments?ids=ffffffff", "")
}

func TestExperiment(t *testing.T) {
	dir, ids := fixture(t)
	s := newTestServer(t, dir, Options{})
	var x map[string]any
	s.getJSON(t, "/api/experiments/"+ids["xss"], &x)
	if x["name"] != "<script>alert(1)</script>" || x["params_flat"].(map[string]any)["lr"] != 0.05 {
		t.Fatalf("experiment: %v", x)
	}
	s.getJSON(t, "/api/experiments/"+url.PathEscape("train[lr=0.1]"), &x)
	if x["id"] != ids["train[lr=0.1]"] {
		t.Fatalf("by name: %v", x["id"])
	}
	s.wantError(t, 404, "GET", "/api/experiments/0000000000000000", "")
	s.wantError(t, 404, "GET", "/api/experiments/zz", "")
}

func TestMetrics(t *testing.T) {
	dir, ids := fixture(t)
	s := newTestServer(t, dir, Options{})
	var m struct {
		Names  []string
		Series map[string]struct {
			Total int
			Step  []float64
			Value []any
		}
	}
	s.getJSON(t, "/api/experiments/"+ids["train[lr=0.1]"]+"/metrics", &m)
	sr := m.Series["loss"]
	if !slices.Equal(m.Names, []string{"loss"}) || sr.Total != 3 || len(sr.Value) != 3 || sr.Value[2] != "NaN" {
		t.Fatalf("metrics: %+v", m)
	}
	s.getJSON(t, "/api/experiments/"+ids["train[lr=0.1]"]+"/metrics?from=1&to=1", &m)
	if got := m.Series["loss"]; len(got.Step) != 1 || got.Value[0] != 0.5 {
		t.Fatalf("zoomed: %+v", got)
	}
	s.wantError(t, 400, "GET", "/api/experiments/"+ids["xss"]+"/metrics?points=1", "")
	s.wantError(t, 400, "GET", "/api/experiments/"+ids["xss"]+"/metrics?points=lots", "")
	s.wantError(t, 400, "GET", "/api/experiments/"+ids["xss"]+"/metrics?from=x", "")
	s.wantError(t, 400, "GET", "/api/experiments/"+ids["xss"]+"/metrics?from=5&to=1", "")
	s.wantError(t, 404, "GET", "/api/experiments/deadbeef/metrics", "")
}

// TestMetricsSummary: a series longer than the summary is charted from it at any width up to its resolution, and
// zoomed from it while it holds enough detail; a deeper zoom reads the file again and shows every point.
func TestMetricsSummary(t *testing.T) {
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	var sb strings.Builder
	const n = 20000
	for i := range n {
		v := math.Sin(float64(i) / 50)
		if i == 12345 {
			v = 99
		}
		fmt.Fprintf(&sb, `{"step": %d, "loss": %g, "acc": %g}`+"\n", i, v, float64(i))
	}
	id := testrepo.Record(t, st, testrepo.Run{Name: "long", Metrics: sb.String()})
	s := newTestServer(t, dir, Options{})
	type answer struct {
		Names  []string
		Series map[string]struct {
			Total int
			Shown int
			Step  []float64
			Value []any
		}
	}
	var a answer
	s.getJSON(t, "/api/experiments/"+id+"/metrics?points=1000", &a)
	loss := a.Series["loss"]
	if !slices.Equal(a.Names, []string{"acc", "loss"}) || loss.Total != n || loss.Shown > 1002 || loss.Shown < 500 ||
		!slices.Contains(loss.Value, any(99.0)) || loss.Step[0] != 0 || loss.Step[len(loss.Step)-1] != n-1 {
		t.Fatalf("full range: %d of %d points shown, spike kept: %v", loss.Shown, loss.Total, slices.Contains(loss.Value, any(99.0)))
	}
	// Another width, and a zoom the summary holds in enough detail: from it.
	a = answer{}
	s.getJSON(t, "/api/experiments/"+id+"/metrics?points=300&from=5000&to=15000&names=loss", &a)
	if got := a.Series["loss"]; got.Shown > 302 || got.Shown < 100 || got.Step[0] < 5000 || got.Step[len(got.Step)-1] > 15000 ||
		!slices.Contains(got.Value, any(99.0)) || a.Series["acc"].Shown != 0 {
		t.Fatalf("zoom from the summary: %+v", got.Shown)
	}
	// A deep zoom: every point of the range, read again.
	a = answer{}
	s.getJSON(t, "/api/experiments/"+id+"/metrics?points=1000&from=100&to=199", &a)
	if got := a.Series["acc"]; got.Total != 100 || got.Shown != 100 || got.Step[0] != 100 || got.Step[99] != 199 || got.Value[50] != 150.0 {
		t.Fatalf("deep zoom: %d of %d, %v..%v", got.Shown, got.Total, got.Step[0], got.Step[len(got.Step)-1])
	}
}

// TestMetricsLiveSpool: a running experiment's spool is read on as it grows (a last line still being written waits
// for its newline), and read whole again when its steps go back.
func TestMetricsLiveSpool(t *testing.T) {
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	lines := func(from, to int, spike int) string {
		var sb strings.Builder
		for i := from; i < to; i++ {
			v := math.Sin(float64(i) / 50)
			if i == spike {
				v = -77
			}
			fmt.Fprintf(&sb, `{"step": %d, "loss": %g}`+"\n", i, v)
		}
		return sb.String()
	}
	m := testrepo.Start(t, st, testrepo.Run{Name: "live", Metrics: lines(0, 10000, -1)})
	s := newTestServer(t, dir, Options{})
	appendSpool := func(text string) {
		t.Helper()
		f, err := os.OpenFile(st.SpoolFor(m.ID).Metrics, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(text)
	}
	type answer struct {
		Running bool
		Names   []string
		Series  map[string]struct {
			Total, Shown int
			Step         []float64
			Value        []any
		}
	}
	get := func() answer {
		t.Helper()
		var a answer
		s.getJSON(t, "/api/experiments/"+m.ID+"/metrics?points=500", &a)
		return a
	}
	if a := get(); !a.Running || a.Series["loss"].Total != 10000 {
		t.Fatalf("first look: %+v", a.Series["loss"].Total)
	}
	appendSpool(lines(10000, 20000, 15000) + `{"step": 20000, "loss": 0.5, "acc"`)
	if a := get(); a.Series["loss"].Total != 20000 || !slices.Contains(a.Series["loss"].Value, any(-77.0)) {
		t.Fatalf("after an append: %d points, spike %v", a.Series["loss"].Total, slices.Contains(a.Series["loss"].Value, any(-77.0)))
	}
	appendSpool(`: 0.9}` + "\n")
	a := get()
	if a.Series["loss"].Total != 20001 || a.Series["acc"].Total != 1 || !slices.Equal(a.Names, []string{"acc", "loss"}) {
		t.Fatalf("after the last line was completed: %d points, names %v", a.Series["loss"].Total, a.Names)
	}
	// A later line of the last step: its value replaces the earlier one.
	appendSpool(`{"step": 20000, "loss": 0.25}` + "\n")
	a = get()
	if a.Series["loss"].Total != 20001 || a.Series["loss"].Value[len(a.Series["loss"].Value)-1] != 0.25 {
		t.Fatalf("after a later line of the last step: %d points, last %v", a.Series["loss"].Total, a.Series["loss"].Value[len(a.Series["loss"].Value)-1])
	}
	// Steps that go back (a continued run logging again): the file is read whole again, merged by step.
	appendSpool(`{"step": 5, "loss": 123}` + "\n")
	a = get()
	if a.Series["loss"].Total != 20001 || !slices.Contains(a.Series["loss"].Value, any(123.0)) {
		t.Fatalf("after a step went back: %d points, the new value shown %v", a.Series["loss"].Total, slices.Contains(a.Series["loss"].Value, any(123.0)))
	}
}

// TestMetricsConcurrent: requests at several widths while the spool grows share one summary safely (run with -race).
func TestMetricsConcurrent(t *testing.T) {
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	m := testrepo.Start(t, st, testrepo.Run{Name: "live", Metrics: `{"step": 0, "loss": 1}` + "\n"})
	s := newTestServer(t, dir, Options{})
	f, err := os.OpenFile(st.SpoolFor(m.ID).Metrics, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			last := 0
			for i := range 10 {
				var a struct {
					Series map[string]struct{ Total int }
				}
				code, body := s.do(t, "GET", fmt.Sprintf("/api/experiments/%s/metrics?points=%d", m.ID, 100+g*50+i), "")
				if code != 200 || json.Unmarshal(body, &a) != nil {
					errs <- fmt.Errorf("%d %s", code, body)
					return
				}
				if got := a.Series["loss"].Total; got < last {
					errs <- fmt.Errorf("the series shrank from %d to %d points", last, got)
					return
				} else {
					last = got
				}
			}
			errs <- nil
		}()
	}
	go func() {
		defer close(done)
		for i := 1; i <= 3000; i++ {
			fmt.Fprintf(f, `{"step": %d, "loss": %g}`+"\n", i, 1/float64(i))
		}
	}()
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	<-done
	var a struct {
		Series map[string]struct{ Total int }
	}
	s.getJSON(t, "/api/experiments/"+m.ID+"/metrics?points=77", &a)
	if a.Series["loss"].Total != 3001 {
		t.Fatalf("after the appends: %d points, want 3001", a.Series["loss"].Total)
	}
}

func TestLogs(t *testing.T) {
	dir, ids := fixture(t)
	s := newTestServer(t, dir, Options{})
	var l struct {
		Text string
		Next int
		EOF  bool
	}
	s.getJSON(t, "/api/experiments/"+ids["xss"]+"/logs", &l)
	if l.Text != "héllo\nworld\n" || l.Next != 13 || !l.EOF {
		t.Fatalf("logs: %+v", l)
	}
	s.getJSON(t, "/api/experiments/"+ids["xss"]+"/logs?offset=7&max=3", &l)
	if l.Text != "wor" || l.Next != 10 || l.EOF {
		t.Fatalf("logs from 7: %+v", l)
	}
	s.getJSON(t, "/api/experiments/"+ids["xss"]+"/logs?stream=stderr", &l)
	if l.Text != "" {
		t.Fatalf("stderr: %+v", l)
	}
	s.wantError(t, 400, "GET", "/api/experiments/"+ids["xss"]+"/logs?stream=stdin", "")
	s.wantError(t, 400, "GET", "/api/experiments/"+ids["xss"]+"/logs?offset=-3", "")
	s.wantError(t, 404, "GET", "/api/experiments/abcd1234/logs", "")
}

func TestArtifacts(t *testing.T) {
	dir, ids := fixture(t)
	s := newTestServer(t, dir, Options{})
	id := ids["xss"]
	var arts []map[string]any
	s.getJSON(t, "/api/experiments/"+id+"/artifacts", &arts)
	if len(arts) != 3 || arts[0]["path"] != "model.bin" || arts[2]["path"] != "plots/loss.svg" || arts[2]["kind"] != "image" {
		t.Fatalf("artifacts: %v", arts)
	}
	req, _ := http.NewRequest("GET", s.url+"/api/experiments/"+id+"/artifacts/notes.txt", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("notes.txt: %d %v", resp.StatusCode, resp.Header)
	}
	code, b := s.do(t, "GET", "/api/experiments/"+id+"/artifacts/plots/loss.svg", "")
	if code != 200 || !strings.Contains(string(b), "<svg") {
		t.Fatalf("svg: %d", code)
	}
	// Paths that would leave the experiment, or are not listed.
	for _, p := range []string{"../experiment.json", "..%2fexperiment.json", "plots/..%2f..%2fexperiment.json", "%2e%2e/x",
		"plots/../notes.txt", "/etc/passwd", "plots%5c..%5cnotes.txt"} {
		code, b := s.do(t, "GET", "/api/experiments/"+id+"/artifacts/"+p, "")
		if code < 400 || code >= 500 {
			t.Errorf("artifact %s: %d %s", p, code, b)
		}
	}
	s.wantError(t, 404, "GET", "/api/experiments/"+id+"/artifacts/nothing.txt", "")
	s.wantError(t, 404, "GET", "/api/experiments/"+id+"/artifacts/plots", "")
}

func TestDiff(t *testing.T) {
	dir, ids := fixture(t)
	s := newTestServer(t, dir, Options{})
	var d struct {
		Params  []map[string]any
		Results []map[string]any
		Code    map[string]any
	}
	s.getJSON(t, "/api/diff?a="+url.QueryEscape("train[lr=0.1]")+"&b="+url.QueryEscape("train[lr=0.3]"), &d)
	if len(d.Params) != 1 || d.Params[0]["key"] != "lr" || d.Params[0]["b"] != 0.3 {
		t.Fatalf("params: %v", d.Params)
	}
	if len(d.Results) != 1 || math.Abs(d.Results[0]["delta"].(float64)-0.1) > 1e-9 {
		t.Fatalf("results: %v", d.Results)
	}
	if d.Code["same"] != true {
		t.Fatalf("code: %v", d.Code)
	}
	s.getJSON(t, "/api/diff?a="+ids["xss"]+"&b=head", &d)
	s.wantError(t, 400, "GET", "/api/diff?a="+ids["xss"], "")
	s.wantError(t, 400, "GET", "/api/diff?a="+ids["xss"]+"&b=parent", "")
	s.wantError(t, 404, "GET", "/api/diff?a="+ids["xss"]+"&b=ffff0000", "")
}

func TestBatches(t *testing.T) {
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	testrepo.Record(t, st, testrepo.Run{Name: "b1", Batch: "aaaabbbbccccdddd"})
	s := newTestServer(t, dir, Options{})
	var bs []map[string]any
	s.getJSON(t, "/api/batches", &bs)
	if len(bs) != 1 || bs[0]["id"] != "aaaabbbbccccdddd" || bs[0]["counts"].(map[string]any)["completed"] != 1.0 {
		t.Fatalf("batches: %v", bs)
	}
}

func TestEdit(t *testing.T) {
	dir, ids := fixture(t)
	s := newTestServer(t, dir, Options{})
	id := ids["train[lr=0.1]"]
	for _, body := range []string{
		`{"ids":["` + id + `"],"op":"tag","tags":["best","keep"]}`,
		`{"ids":["` + id + `"],"op":"untag","tags":["sweep"]}`,
		`{"ids":["` + id + `"],"op":"rename","value":"the best"}`,
		`{"ids":["` + id + `"],"op":"describe","value":"lr 0.1 wins"}`,
		`{"ids":["` + ids["xss"] + `"],"op":"archive"}`,
	} {
		if code, b := s.do(t, "POST", "/api/edit", body, "Origin", s.url); code != 200 {
			t.Fatalf("edit %s: %d %s", body, code, b)
		}
	}
	db, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	x, err := db.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if x.Name != "the best" || x.Description != "lr 0.1 wins" || !slices.Equal(x.Tags, []string{"best", "keep"}) {
		t.Fatalf("after edits: %q %q %v", x.Name, x.Description, x.Tags)
	}
	found, _ := db.Find(context.Background(), results.Filter{})
	if len(found) != 3 {
		t.Fatalf("archived one still listed: %d", len(found))
	}
	for _, body := range []string{`{`, `{"ids":[],"op":"archive"}`, `{"ids":["` + id + `"],"op":"explode"}`,
		`{"ids":["` + id + `"],"op":"tag"}`, `{"ids":["` + id + `"],"op":"rename","value":" "}`,
		`{"ids":["` + id + `"],"op":"tag","tags":["a,b"]}`, `{"ids":["` + id + `"],"op":"archive","extra":1}`} {
		s.wantError(t, 400, "POST", "/api/edit", body)
	}
	s.wantError(t, 404, "POST", "/api/edit", `{"ids":["nosuchrun"],"op":"archive"}`)
	ro := newTestServer(t, dir, Options{ReadOnly: true})
	ro.wantError(t, 403, "POST", "/api/edit", `{"ids":["`+id+`"],"op":"archive"}`)
}

func TestEvents(t *testing.T) {
	dir, _ := fixture(t)
	st := testrepo.Open(t, dir)
	s := newTestServer(t, dir, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	events := make(chan [2]string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{ev, v}
			}
		}
		close(events)
	}()
	wait := func(want string, match func(data string) bool) string {
		t.Helper()
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("stream ended waiting for %s", want)
				}
				if e[0] == want && match(e[1]) {
					return e[1]
				}
			case <-ctx.Done():
				t.Fatalf("no %s event", want)
			}
		}
	}
	wait("hello", func(string) bool { return true })
	m := testrepo.Start(t, st, testrepo.Run{Name: "live", Metrics: `{"step": 0, "loss": 1}` + "\n"})
	wait("runs", func(d string) bool { return strings.Contains(d, m.ID) && strings.Contains(d, `"running"`) })
	// A new point in the running experiment's spool: an event, and the metrics answer has it.
	f, err := os.OpenFile(st.SpoolFor(m.ID).Metrics, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"step": 1, "loss": 0.25}` + "\n")
	f.Close()
	wait("metrics", func(d string) bool { return strings.Contains(d, m.ID) })
	var mt struct {
		Running bool
		Series  map[string]struct{ Value []any }
	}
	s.getJSON(t, "/api/experiments/"+m.ID+"/metrics", &mt)
	if !mt.Running || len(mt.Series["loss"].Value) != 2 || mt.Series["loss"].Value[1] != 0.25 {
		t.Fatalf("live metrics: %+v", mt)
	}
	testrepo.Finish(t, st, m.ID, testrepo.Run{})
	data := wait("runs", func(d string) bool { return strings.Contains(d, m.ID) && strings.Contains(d, `"completed"`) })
	var ev map[string]any
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatal(err)
	}
	s.getJSON(t, "/api/experiments/"+m.ID+"/metrics", &mt)
	if mt.Running || len(mt.Series["loss"].Value) != 2 {
		t.Fatalf("stored metrics: %+v", mt)
	}
	_ = gitstore.StatusCompleted
}

func TestSafeNonFinite(t *testing.T) {
	in := map[string]any{"a": math.NaN(), "b": []any{math.Inf(1), 1.5}, "c": map[string]any{"d": math.Inf(-1)}, "e": "x"}
	b, err := json.Marshal(safe(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"NaN","b":["Infinity",1.5],"c":{"d":"-Infinity"},"e":"x"}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

// After the store moves, the first page comes at once with the columns of the previous state (columns_pending), and
// the new columns follow.
func TestColumnsPendingAfterAMove(t *testing.T) {
	dir, _ := fixture(t)
	s := newTestServer(t, dir, Options{})
	var a struct {
		listAnswer
		Pending bool `json:"columns_pending"`
	}
	s.getJSON(t, "/api/experiments", &a)
	if a.Pending || slices.Contains(a.Columns.Params, "dropout") {
		t.Fatalf("first answer: %+v", a.Columns)
	}
	st := testrepo.Open(t, dir)
	testrepo.Record(t, st, testrepo.Run{Name: "new", Params: `{"lr": 0.1, "epochs": 10, "dropout": 0.5}`})
	s.getJSON(t, "/api/experiments", &a)
	if a.Total != 5 || !a.Pending || slices.Contains(a.Columns.Params, "dropout") {
		t.Fatalf("right after the move: total %d, pending %v, %+v", a.Total, a.Pending, a.Columns)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.Pending && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		s.getJSON(t, "/api/experiments", &a)
	}
	if a.Pending || !slices.Contains(a.Columns.Params, "dropout") {
		t.Fatalf("later: pending %v, %+v", a.Pending, a.Columns)
	}
}
