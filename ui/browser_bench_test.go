package ui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkBrowserRunsPage measures, in headless Chromium, a running `git exp ui` given by GITEXP_UI_URL (the URL it
// printed, token included; bench/ui.sh sets it): the time from navigation until the runs table shows its first rows
// ("load-ms"), and until the rows of a jump to the middle of the table are shown ("jump-ms").
func BenchmarkBrowserRunsPage(b *testing.B) {
	url := os.Getenv("GITEXP_UI_URL")
	if url == "" {
		b.Skip("set GITEXP_UI_URL to a running git exp ui (bench/ui.sh does)")
	}
	exe := "/usr/bin/chromium"
	if _, err := os.Stat(exe); err != nil {
		b.Skip("no /usr/bin/chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("headless", "new"), chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil { // sets the cookie
		b.Fatal(err)
	}
	page, _, _ := strings.Cut(url, "?token=")
	rows := `document.querySelectorAll('#runs-body .tr[data-id]').length > 0`
	var load, jump time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := chromedp.Do(ctx, chromedp.Navigate(page),
			chromedp.Poll[chromedp.Void](rows, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			b.Fatal(err)
		}
		load += time.Since(t0)
		t1 := time.Now()
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#runs'); s.scrollTop = s.scrollHeight / 2; })()`),
			chromedp.Poll[chromedp.Void](`(() => { const s = document.querySelector('#runs'); const i = Math.floor(s.scrollTop / 28);
				return document.querySelector('#runs-body .tr[data-index="' + (i + 2) + '"][data-id]') !== null; })()`,
				chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			b.Fatal(err)
		}
		jump += time.Since(t1)
	}
	b.ReportMetric(float64(load.Milliseconds())/float64(b.N), "load-ms")
	b.ReportMetric(float64(jump.Milliseconds())/float64(b.N), "jump-ms")
}
