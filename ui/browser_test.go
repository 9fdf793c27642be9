package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/internal/testrepo"
)

// chromium finds Debian's Chromium (or a Chrome) for the browser tests. Where none is installed they skip, unless
// CI=true: CI installs it (.ci/run), so there its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow: skipped with -short")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("SKIP browser tests: chromium is not installed (apt-get install chromium); CI runs them")
	return ""
}

// shotDir is where the browser tests leave screenshots of every page for a person to look at (not committed).
func shotDir(t *testing.T) string {
	dir := os.Getenv("GIT_EXP_UI_SHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "git-exp-ui-shots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sweepFixture records a 3×2 sweep (lr × seed) with metric curves, and one run whose name is markup.
func sweepFixture(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	ids := map[string]string{}
	t0 := time.Now().Add(-time.Hour)
	for _, lr := range []float64{0.01, 0.1, 0.3} {
		for seed := range 2 {
			var m strings.Builder
			for s := range 200 {
				loss := math.Exp(-lr*float64(s)/4) + 0.05*float64(seed) + 0.02*math.Sin(float64(s))
				fmt.Fprintf(&m, `{"step": %d, "time": %q, "loss": %g, "acc": %g}`+"\n", s,
					t0.Add(time.Duration(s)*time.Second).UTC().Format(time.RFC3339Nano), loss, 1-loss/2)
			}
			name := fmt.Sprintf("train[lr=%g,seed=%d]", lr, seed)
			ids[name] = testrepo.Record(t, st, testrepo.Run{Name: name, Batch: "5eed5eed5eed5eed", Tags: []string{"sweep"},
				Params: fmt.Sprintf(`{"lr": %g, "seed": %d, "model": {"depth": 4}}`, lr, seed), Metrics: m.String(),
				Results: fmt.Sprintf(`{"acc": %g, "loss": %g}`, 0.7+lr-0.01*float64(seed), 0.3-lr/2),
				Stdout:  "epoch 1\nepoch 2\n", Artifacts: map[string]string{"model.json": `{"layers": [1, 2]}`, "plots/curve.svg": `<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40"><rect width="80" height="40" fill="#0072B2"/></svg>`}})
		}
	}
	ids["xss"] = testrepo.Record(t, st, testrepo.Run{Name: `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`, Params: `{"lr": 0.05, "seed": 0, "model": {"depth": 4}}`,
		Results: `{"acc": 0.5, "loss": 0.4}`, Stdout: "<b>not bold</b>\n"})
	return dir, ids
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	gitExp(t, "", "version") // built before the browser's clock starts
	dir, ids := sweepFixture(t)
	st := testrepo.Open(t, dir)
	live := testrepo.Start(t, st, testrepo.Run{Name: "live", Params: `{"lr": 0.2, "seed": 0, "model": {"depth": 4}}`,
		Metrics: `{"step": 0, "loss": 1.0}` + "\n", Stdout: "starting\n"})
	s := newTestServer(t, dir, Options{Poll: 100 * time.Millisecond})
	shots := shotDir(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Flag("headless", "new"), chromedp.DisableGPU,
		chromedp.WindowSize(1400, 1000))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	must(t, chromedp.Do(bctx)) // starts the browser (its lifetime is this context's, which has no timeout)
	ctx, cancelT := context.WithTimeout(bctx, 240*time.Second)
	defer cancelT()
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		do(chromedp.Sleep(300 * time.Millisecond))
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(shots, name+".png")
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", p)
	}
	evalString := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	waitJS := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			dbg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
			t.Fatalf("waiting for %s: %v\npage: %s", js, err, dbg)
		}
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	setValue := func(sel, value string) {
		t.Helper()
		js, _ := json.Marshal([]string{sel, value})
		do(chromedp.Evaluate[chromedp.Void](`((a) => { document.querySelector(a[0]).value = a[1]; })(` + string(js) + `)`))
	}
	enter := func(sel, value string) {
		t.Helper()
		setValue(sel, value)
		do(chromedp.SendKeys(css(sel), "\r"))
	}
	rowCount := `document.querySelectorAll('#runs-body .tr[data-id]').length`

	// The runs table shows the store's experiments (the token visit sets the cookie and drops the token).
	do(chromedp.Navigate(s.url + "/?token=" + s.Token()))
	waitJS(rowCount + ` === 8`)
	if loc := evalString(`location.href`); strings.Contains(loc, "token") {
		t.Errorf("the token stayed in the address: %s", loc)
	}
	text := evalString(`[...document.querySelectorAll('#runs-body .td.name')].map(e => e.textContent).join("|")`)
	if !strings.Contains(text, `<img src=x onerror="window.__xss=1"><script>`) || !strings.Contains(text, "train[lr=0.3,seed=1]") {
		t.Fatalf("names: %s", text)
	}
	header := evalString(`document.querySelector('.thead').textContent`)
	if !strings.Contains(header, "lr") || !strings.Contains(header, "seed") || strings.Contains(header, "model.depth") || !strings.Contains(header, "acc") {
		t.Errorf("columns should be the varying params and the results: %s", header)
	}
	shot("runs")

	// The filter narrows it; a bad expression shows the CLI's message and a caret.
	enter("#where", "lr >= 0.1 and seed == 1")
	waitJS(rowCount + ` === 2`)
	enter("#where", "lr >")
	waitJS(`!document.querySelector('#where-error').hidden`)
	if text := evalString(`document.querySelector('#where-error').textContent`); !strings.Contains(text, "expected a value") ||
		!strings.Contains(text, "column 5") || !strings.Contains(text, "    ^") {
		t.Errorf("where error: %q", text)
	}
	shot("runs-where-error")
	enter("#where", "")
	waitJS(rowCount + ` === 8`)

	// Sorting by a column (ascending acc: the markup-named run, acc 0.5, comes first).
	do(chromedp.Click(css(`.th[data-sort="results.acc"]`)))
	waitJS(`(document.querySelector('#runs-body .tr[data-index="0"] .td.name') || {}).textContent === ` + "`" + `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>` + "`")

	// An edit made in the UI (a tag on two selected runs) is what git exp list shows.
	do(chromedp.Click(css(`#runs-body .tr[data-id="`+ids["train[lr=0.1,seed=0]"]+`"] input[type=checkbox]`)),
		chromedp.Click(css(`#runs-body .tr[data-id="`+ids["train[lr=0.3,seed=0]"]+`"] input[type=checkbox]`)),
		chromedp.SendKeys(css("#bulk-tag"), "from-ui"),
		chromedp.Click(css("#bulk-tag-add")))
	waitJS(`document.querySelector('#runs-body').textContent.includes("from-ui")`)
	out := gitExp(t, dir, "list", "--tag", "from-ui", "--json")
	var listed []map[string]any
	if err := json.Unmarshal(out, &listed); err != nil || len(listed) != 2 {
		t.Fatalf("git exp list --tag from-ui: %v %s", err, out)
	}

	// Compare: one chart per metric, one line per run.
	cmp := []string{ids["train[lr=0.01,seed=0]"], ids["train[lr=0.1,seed=0]"], ids["train[lr=0.3,seed=0]"]}
	do(chromedp.Navigate(s.url + "/compare?ids=" + strings.Join(cmp, ",")))
	waitJS(`window.__charts && window.__charts.length === 2`)
	series, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`window.__charts.map(u => u.series.length - 1)`))
	if err != nil || len(series) != 2 || series[0] != 3 || series[1] != 3 {
		t.Fatalf("series per chart: %v %v", series, err)
	}
	if text := evalString(`document.querySelector('#legend').textContent`); !strings.Contains(text, "lr=0.01") || strings.Contains(text, "seed=") {
		t.Errorf("the legend should name the runs by what differs (lr): %q", text)
	}
	shot("compare")
	setValue("#x-mode", "relative")
	do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#x-mode').dispatchEvent(new Event('change'))`),
		chromedp.Click(css("#log-y")))
	waitJS(`window.__charts.length === 2 && window.__charts[0].scales.y.distr === 3`)
	shot("compare-relative-log")

	// A running experiment's new metric point appears without a reload.
	do(chromedp.Navigate(s.url + "/run/" + live.ID))
	waitJS(`window.__charts && window.__charts.length === 1 && window.__charts[0].data[0].length === 1`)
	waitJS(`document.querySelector('#log').textContent.includes("starting")`)
	do(chromedp.Evaluate[chromedp.Void](`window.__marker = 1`))
	f, err := os.OpenFile(st.SpoolFor(live.ID).Metrics, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	appended := time.Now()
	f.WriteString(`{"step": 1, "loss": 0.5}` + "\n")
	f.Close()
	os.WriteFile(st.SpoolFor(live.ID).Stdout, []byte("starting\nstep 1 done\n"), 0o644)
	waitJS(`window.__charts.length === 1 && window.__charts[0].data[0].length === 2`)
	t.Logf("a live point was drawn %v after it was appended", time.Since(appended).Round(time.Millisecond))
	waitJS(`document.querySelector('#log').textContent.includes("step 1 done")`)
	if evalString(`String(window.__marker)`) != "1" {
		t.Fatal("the page reloaded")
	}
	shot("run-live")
	testrepo.Finish(t, st, live.ID, testrepo.Run{})

	// The run page of a finished run: facts, params, artifacts with a preview, the code diff; rename in the UI.
	do(chromedp.Navigate(s.url + "/run/" + ids["train[lr=0.1,seed=0]"]))
	waitJS(`document.querySelector('#artifacts a.file')`)
	do(chromedp.Click(css(`#artifacts a.file[data-path="model.json"]`)))
	waitJS(`document.querySelector('#preview pre') && document.querySelector('#preview pre').textContent.includes('"layers"')`)
	waitJS(`document.querySelectorAll('#run-charts .chart').length === 2`)
	shot("run")
	do(chromedp.Click(css("#rename-btn")))
	enter("#edit-input", "renamed in the ui")
	waitJS(`(document.querySelector('#run-name') || {}).textContent === "renamed in the ui"`)
	if out := gitExp(t, dir, "list", "--name", "renamed in the ui"); !strings.Contains(string(out), ids["train[lr=0.1,seed=0]"]) {
		t.Fatalf("git exp list --name 'renamed in the ui': %s", out)
	}

	// The run whose name is markup: shown as text, nothing of it ran.
	do(chromedp.Navigate(s.url + "/run/" + ids["xss"]))
	waitJS(`document.querySelector('#log') && document.querySelector('#log').textContent.includes("<b>not bold</b>")`)
	if xss := evalString(`String(window.__xss)`); xss != "undefined" {
		t.Fatalf("experiment content ran as HTML: window.__xss = %v", xss)
	}
	shot("run-markup-name")

	// The sweep page: parallel coordinates, scatters, mean ± std over the seed, best N.
	do(chromedp.Navigate(s.url + "/sweep?batch=5eed5eed"))
	waitJS(`document.querySelectorAll('#best-table tr').length > 1 && document.querySelectorAll('#group-table tr').length === 4`)
	if v := evalString(`document.querySelector('#group-over').value`); v != "seed" {
		t.Errorf("mean ± std should group over the seed by default, got %q", v)
	}
	// Brush the lr axis (the first) near its top: only lr=0.3 stays.
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('#parcoords').getBoundingClientRect(); return [r.left, r.top]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	do(chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, box[0]+40, box[1]+25, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0]+40, box[1]+60, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, box[0]+40, box[1]+60, chromedp.ButtonLeft))
	waitJS(`document.querySelector('#brushed').textContent.startsWith("2 of 6")`)
	shot("sweep")
	do(chromedp.Navigate(s.url + "/sweep"))
	waitJS(`document.querySelectorAll('#batches tr').length === 2`)
	shot("batches")
	t.Logf("screenshots in %s", shots)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// gitExp runs the real git-exp (built once per test run) in dir.
func gitExp(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("git-exp-uitest-%d", os.Getpid()))
	if _, err := os.Stat(bin); err != nil {
		out, err := exec.Command("go", "build", "-o", bin, "github.com/git-exp/git-exp/cmd/git-exp").CombinedOutput()
		if err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		t.Cleanup(func() { os.Remove(bin) })
	}
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	cmd := exec.Command(bin, args...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git-exp %v: %v", args, err)
	}
	return out
}

var _ = gitstore.StatusRunning
