package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/ui"
)

// UICmd serves the web UI.
type UICmd struct {
	Filters
	Port     int    `default:"0" help:"Port to listen on (0: a free one)."`
	Host     string `default:"127.0.0.1" help:"Address to listen on (loopback by default; anything else is reachable from the network, token still required)."`
	NoOpen   bool   `name:"no-open" help:"Do not open a browser."`
	ReadOnly bool   `name:"read-only" help:"Refuse edits (tag, rename, describe, archive) from the UI."`
}

// Run implements git exp ui.
func (c *UICmd) Run(ctx context.Context, env *Env) error {
	if c.Port < 0 || c.Port > 65535 {
		return usagef("--port %d: give a port between 0 and 65535 (0: a free one)", c.Port)
	}
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	err = c.compile(ctx, st) // bad filters are reported here, before anything listens
	st.Close()
	if err != nil {
		return err
	}
	// A long-lived reader of one large, long-lived list (the store's experiments): collect garbage sooner than by
	// default, so that the bursts of a request (decoding a selection's columns, a metrics file) do not let the heap
	// grow to twice the list. Measured on 100,000 experiments (bench/ui.sh): the heap's share of the peak is ~127 MiB
	// at 25, ~150–160 at 50; the cost is collector time in those bursts only (warm answers allocate little).
	debug.SetGCPercent(25)
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	srv, err := ui.New(ctx, ui.Options{Dir: wd, Filters: c.query(), ReadOnly: c.ReadOnly, Version: Version, Warn: env.IO.Warnf,
		RecordEnded: func(ctx context.Context, st *gitstore.Store, exps []*gitstore.Experiment) bool {
			return env.runner(st).RecordEnds(ctx, exps)
		}})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	if err != nil {
		return usagef("cannot listen on %s port %d: %v (try --port 0 for a free port)", c.Host, c.Port, err)
	}
	url := ui.URL(ln.Addr(), srv.Token())
	if ip := net.ParseIP(c.Host); c.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		env.IO.Warnf("git exp ui: listening on %s: reachable from the network (the token is still required)", c.Host)
	}
	fmt.Fprintf(env.IO.Out, "git exp ui: %s\n", url)
	env.IO.Warnf("(Ctrl-C to stop)")
	if !c.NoOpen {
		openBrowser(url)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	env.IO.Warnf("git exp ui: stopped")
	return nil
}

// query is the filters as the API's query parameters, the runs page's starting point.
func (c *UICmd) query() map[string][]string {
	q := map[string][]string{}
	add := func(k string, vs ...string) {
		for _, v := range vs {
			if v != "" {
				q[k] = append(q[k], v)
			}
		}
	}
	add("where", c.Where...)
	add("status", c.Status...)
	add("tag", c.Tag...)
	add("name", c.Name)
	add("script", c.Script)
	add("batch", c.Batch)
	add("since", c.Since)
	add("until", c.Until)
	if c.Archived {
		add("archived", "1")
	}
	return q
}

// openBrowser opens url where a browser can be opened (a desktop session), and says nothing when it cannot.
func openBrowser(url string) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return
		}
		cmd = exec.Command("xdg-open", url)
	}
	if cmd.Start() == nil {
		go cmd.Wait()
	}
}
