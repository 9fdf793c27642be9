package ui_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/git-exp/git-exp/ui"

	"github.com/git-exp/git-exp/cli"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/internal/testrepo"
)

// lockedBuffer is the command's stderr, written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// crashFixture is a repository with two running experiments: one whose runner died already and one whose runner
// is a sleep process the test kills when it likes.
func crashFixture(t *testing.T) (dir string, before, later *gitstore.Manifest, kill func()) {
	t.Helper()
	dir = testrepo.New(t)
	st := testrepo.Open(t, dir)
	before = testrepo.Start(t, st, testrepo.Run{Name: "died-before", Runner: testrepo.DeadRunner(t), Stdout: "last words\n",
		Metrics: `{"step": 0, "loss": 1}` + "\n"})
	sleeper := exec.Command("sleep", "120")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	runner := gitstore.ThisRunner()
	runner.PID, runner.Start = sleeper.Process.Pid, 0
	later = testrepo.Start(t, st, testrepo.Run{Name: "dies-later", Runner: runner})
	return dir, before, later, func() {
		sleeper.Process.Kill()
		sleeper.Wait() // reaped: no zombie answers for the pid
	}
}

// serveUI runs git exp ui (read-only) over dir in process, through the command line (which gives the server the
// command line's reconciliation), until the test ends; it returns the server's address and token, and its stderr.
func serveUI(t *testing.T, dir string) (base, token string, stderr *lockedBuffer) {
	t.Helper()
	t.Chdir(dir)
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	stderr = &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.MainContext(ctx, []string{"ui", "--no-open", "--port", "0", "--read-only"}, &cli.IO{In: strings.NewReader(""), Out: outW, Err: stderr})
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("git exp ui exited %d: %s", code, stderr)
			}
		case <-time.After(10 * time.Second):
			t.Error("git exp ui did not stop")
		}
	})
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (stderr: %s)", err, stderr)
	}
	go io.Copy(io.Discard, outR)
	base, token, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "git exp ui: "), "/?token=")
	if !ok {
		t.Fatalf("URL line %q", line)
	}
	return base, token, stderr
}

// TestCrashedRuns: `git exp ui` shows a run whose runner process died as crashed, as git exp list does — one that
// died before the server started, and one that dies while a page watches (a "runs" event, no reload) — with what it
// had spooled stored.
func TestCrashedRuns(t *testing.T) {
	dir, before, later, kill := crashFixture(t)
	base, token, stderr := serveUI(t, dir)
	ctx := t.Context()
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return resp
	}
	getJSON := func(path string, v any) {
		t.Helper()
		resp := get(path)
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	statuses := func() map[string]string {
		var page struct {
			Items []struct{ Name, Status string }
		}
		getJSON("/api/experiments", &page)
		out := map[string]string{}
		for _, it := range page.Items {
			out[it.Name] = it.Status
		}
		return out
	}

	// Died before the server started: crashed at the first listing (even with --read-only: recording a crash is
	// what every reading command does, not an edit).
	if got := statuses(); got["died-before"] != gitstore.StatusCrashed || got["dies-later"] != gitstore.StatusRunning {
		t.Fatalf("statuses: %v (stderr: %s)", got, stderr)
	}
	var one struct{ Status, Error string }
	getJSON("/api/experiments/"+before.ID, &one)
	if one.Status != gitstore.StatusCrashed || !strings.Contains(one.Error, "ended without recording") {
		t.Fatalf("the crashed run: %+v", one)
	}
	var logs struct{ Text string }
	getJSON("/api/experiments/"+before.ID+"/logs", &logs)
	if logs.Text != "last words\n" {
		t.Fatalf("the crashed run's spooled output was not stored: %q", logs.Text)
	}

	// Dies while a page watches: the event stream says so, without any request.
	events := get("/api/events")
	defer events.Body.Close()
	sc := bufio.NewScanner(events.Body)
	if !sc.Scan() {
		t.Fatal("no event stream")
	}
	kill()
	deadline := time.AfterFunc(20*time.Second, func() { events.Body.Close() })
	defer deadline.Stop()
	seen := false
	for !seen && sc.Scan() {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		seen = ok && strings.Contains(d, later.ID) && strings.Contains(d, `"crashed"`)
	}
	if !seen {
		t.Fatalf("no runs event for the run whose runner died (stderr: %s)", stderr)
	}
	if got := statuses(); got["dies-later"] != gitstore.StatusCrashed {
		t.Fatalf("statuses after the runner died: %v", got)
	}
	// The command line agrees: the UI recorded the crash in the store.
	var list strings.Builder
	if code := cli.MainContext(context.Background(), []string{"list", "--json"}, &cli.IO{In: strings.NewReader(""), Out: &list, Err: io.Discard}); code != 0 {
		t.Fatalf("git exp list: exit %d", code)
	}
	if n := strings.Count(list.String(), `"status":"crashed"`); n != 2 {
		t.Fatalf("git exp list --json shows %d crashed runs, want 2:\n%s", n, list.String())
	}
}

// TestBrowserCrashedRuns: in the browser, the runs table of git exp ui shows the run whose runner died as crashed,
// and the other turns crashed when its runner dies, without a reload.
func TestBrowserCrashedRuns(t *testing.T) {
	exe := ui.Chromium(t)
	dir, before, later, kill := crashFixture(t)
	base, token, stderr := serveUI(t, dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Flag("headless", "new"), chromedp.DisableGPU,
		chromedp.WindowSize(1400, 700))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 120*time.Second)
	defer cancelT()
	status := func(id string) string {
		return `(document.querySelector('#runs-body .tr[data-id="` + id + `"] .status') || {}).textContent`
	}
	waitJS := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
			t.Fatalf("waiting for %s: %v\npage: %s\nstderr: %s", js, err, page, stderr)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?token="+token)); err != nil {
		t.Fatal(err)
	}
	waitJS(status(before.ID) + ` === "crashed" && ` + status(later.ID) + ` === "running"`)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__marker = 1`)); err != nil {
		t.Fatal(err)
	}
	kill()
	waitJS(status(later.ID) + ` === "crashed" && window.__marker === 1`)
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(ui.ShotDir(t), "runs-crashed.png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}
