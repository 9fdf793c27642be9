// Package ui is `git exp ui`: a local HTTP server over the experiment store, with a JSON API under /api/ and the
// pages (plain ES modules and a vendored uPlot) embedded in the binary.
//
// Security: the server answers only requests that carry its per-process token (as ?token= on the first visit, then
// a cookie; or an "Authorization: Bearer" header for scripts), whose Host header names this machine (against DNS
// rebinding), and, for writes, that come from its own origin. Experiment content reaches the pages as JSON data only;
// artifacts are served as text, images or downloads, never as HTML that runs in the UI's origin.
package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
)

// Options configure a Server.
type Options struct {
	// Dir is a directory inside the repository.
	Dir string
	// Filters are the command line's filters, the runs page's starting point (query parameters of /api/experiments).
	Filters map[string][]string
	// ReadOnly refuses every edit.
	ReadOnly bool
	// Token is the secret every request must carry; empty: a random one.
	Token string
	// Version is git-exp's version, for the pages.
	Version string
	// Poll is how often the event stream looks for changes (default 250ms).
	Poll time.Duration
	// RecordEnded writes to st how the experiments among exps (those that show as queued or running) have ended,
	// where that is known — a runner process that is gone is a crash — and reports whether it recorded anything:
	// the command line's reconciliation (run.Runner.RecordEnds), so that the UI shows what git exp list shows. The
	// server calls it before answering a listing or an experiment and from the event stream's watcher, at most once
	// per 8 polls. Nil: the store is shown as it is.
	RecordEnded func(ctx context.Context, st *gitstore.Store, exps []*gitstore.Experiment) bool
	// Warn is told what a read of the store could not read (objects missing: gitstore.Damage), once per message.
	Warn func(format string, args ...any)
}

// Server serves one repository's experiments.
type Server struct {
	opts  Options
	db    *results.DB
	st    *gitstore.Store
	token string
	port  string // the port of the listener, for the cookie's name ("" before Serve)

	mu       sync.Mutex
	sels     []*selection          // most recent first
	lastCols map[string]*columnSet // filter → its columns at the latest tip they were computed for

	metricsCache *metricsCache
	thinCache    *thinCache // summaries of metrics files read, kept on disk across restarts

	endMu    sync.Mutex // one RecordEnded at a time
	endAt    time.Time  // when it last ran
	unfinTip string     // the tip unfin was selected at
	unfin    []*gitstore.Experiment
	hub      *hub
	mux      *http.ServeMux
}

// New opens the repository around opts.Dir.
func New(ctx context.Context, opts Options) (*Server, error) {
	db, err := results.OpenContext(ctx, opts.Dir)
	if err != nil {
		return nil, err
	}
	if opts.Token == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			db.Close()
			return nil, err
		}
		opts.Token = hex.EncodeToString(b[:])
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	db.Store().Warn = opts.Warn
	s := &Server{opts: opts, db: db, st: db.Store(), token: opts.Token, metricsCache: newMetricsCache(), thinCache: newThinCache(db.Store().ExpDir()), lastCols: map[string]*columnSet{}}
	s.hub = newHub(s)
	s.routes()
	return s, nil
}

// recordEnded has Options.RecordEnded record how the unfinished experiments ended, at most once per 8 polls; the
// unfinished experiments are selected once per tip of the store.
func (s *Server) recordEnded(ctx context.Context) {
	if s.opts.RecordEnded == nil {
		return
	}
	s.endMu.Lock()
	defer s.endMu.Unlock()
	if time.Since(s.endAt) < 8*s.opts.Poll {
		return
	}
	s.endAt = time.Now()
	tip, err := s.st.Tip()
	if err != nil {
		return
	}
	if tip != s.unfinTip || s.unfinTip == "" {
		exps, err := s.db.Select(ctx, results.Filter{Archived: true, Status: []string{gitstore.StatusRunning, gitstore.StatusQueued}}, nil)
		if err != nil {
			return
		}
		s.unfinTip, s.unfin = tip, exps
	}
	if len(s.unfin) > 0 {
		s.opts.RecordEnded(context.WithoutCancel(ctx), s.st, s.unfin)
	}
}

// Close releases the repository (after Serve has returned).
func (s *Server) Close() error {
	s.hub.stop()
	return s.db.Close()
}

// Token is the secret of this server.
func (s *Server) Token() string { return s.token }

// Handler is the server's whole HTTP handler (security checks included).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Serve answers on ln until ctx ends, then stops: open event streams are ended and requests in flight finish (for
// at most two seconds).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if _, port, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		s.port = port
	}
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &http.Server{
		Handler:           s.Handler(),
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	cancel() // ends the event streams, which would otherwise hold Shutdown
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer scancel()
	err := srv.Shutdown(sctx)
	<-done
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		err = nil
	}
	return err
}

// URL is the address to open, with the token.
func URL(addr net.Addr, token string) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/?token=" + token
}

// cookieName is per port: two servers on one machine do not overwrite each other's cookie.
func (s *Server) cookieName() string { return "git-exp-ui-" + s.port }

// apiError is an answer with a 4xx status and a one-line message.
type apiError struct {
	code  int
	msg   string
	extra map[string]any
}

func (e *apiError) Error() string { return e.msg }

func errf(code int, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// writeError answers with {"error": "..."} (and any extra fields); a status below 400 becomes 500.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{code: http.StatusInternalServerError, msg: err.Error()}
	}
	body := map[string]any{"error": strings.ReplaceAll(ae.msg, "\n", " ")}
	for k, v := range ae.extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(ae.code)
	json.NewEncoder(w).Encode(body)
}

// writeJSON answers with v as strict JSON (non-finite numbers become strings: see safe).
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// serveHTTP checks every request before routing it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			writeError(w, fmt.Errorf("internal error: %v", v))
		}
	}()
	if !allowedHost(r.Host) {
		writeError(w, errf(http.StatusForbidden, "host %q is not this machine: open the URL git exp ui printed", r.Host))
		return
	}
	if t := r.URL.Query().Get("token"); t != "" && r.Method == http.MethodGet {
		if !s.tokenOK(t) {
			writeError(w, errf(http.StatusUnauthorized, "wrong token: open the URL git exp ui printed"))
			return
		}
		http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			// The token leaves the address bar (and the history): the cookie carries it from now on.
			q := r.URL.Query()
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
	} else if !s.authorized(r) {
		writeError(w, errf(http.StatusUnauthorized, "missing or wrong token: open the URL git exp ui printed (it carries ?token=)"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := sameOrigin(r); err != nil {
			writeError(w, err)
			return
		}
	}
	if p := r.URL.Path; strings.HasPrefix(p, "/api/") && path.Clean(p) != p {
		// Rather than redirect to a cleaned path: an API path with "..", "." or "//" in it is a mistake (or a probe).
		writeError(w, errf(http.StatusBadRequest, "path %q: no \"..\", \".\" or empty segments in API paths", p))
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

// authorized reports whether r carries the token: the cookie, or a bearer header.
func (s *Server) authorized(r *http.Request) bool {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.tokenOK(t)
	}
	if c, err := r.Cookie(s.cookieName()); err == nil {
		return s.tokenOK(c.Value)
	}
	return false
}

// allowedHost accepts a Host header that names this machine by a loopback name or an IP address. A DNS rebinding
// attack needs a name of the attacker's: it is refused.
func allowedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return net.ParseIP(host) != nil
}

// sameOrigin refuses a write that a page of another origin sent: the Origin (sent by browsers with every POST) must
// be this server, and the body must be JSON (which a cross-site form cannot send).
func sameOrigin(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return errf(http.StatusForbidden, "cross-origin write from %q refused", o)
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errf(http.StatusForbidden, "cross-site write refused (Sec-Fetch-Site: %s)", site)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return errf(http.StatusUnsupportedMediaType, "send the body as Content-Type: application/json")
	}
	return nil
}

// route registers a handler for one method; other methods get 405 with a JSON error.
func (s *Server) route(method, pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeError(w, errf(http.StatusMethodNotAllowed, "%s %s: use %s", r.Method, r.URL.Path, method))
			return
		}
		if err := h(w, r); err != nil {
			writeError(w, err)
		}
	})
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.route("GET", "/api/config", s.apiConfig)
	s.route("GET", "/api/experiments", s.apiExperiments)
	s.route("GET", "/api/experiments/{id}", s.apiExperiment)
	s.route("GET", "/api/experiments/{id}/metrics", s.apiMetrics)
	s.route("GET", "/api/experiments/{id}/logs", s.apiLogs)
	s.route("GET", "/api/experiments/{id}/artifacts", s.apiArtifacts)
	s.route("GET", "/api/experiments/{id}/artifacts/{path...}", s.apiArtifact)
	s.route("GET", "/api/diff", s.apiDiff)
	s.route("GET", "/api/batches", s.apiBatches)
	s.route("GET", "/api/events", s.apiEvents)
	s.route("POST", "/api/edit", s.apiEdit)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errf(http.StatusNotFound, "no such API: %s (see the README's /api/ section)", r.URL.Path))
	})
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, errf(http.StatusMethodNotAllowed, "%s %s: use GET", r.Method, r.URL.Path))
			return
		}
		p := r.URL.Path
		if p == "/" || !strings.Contains(p[strings.LastIndex(p, "/"):], ".") {
			// Pages are addressed by their path (/run/ID, /compare?ids=...): every one is the same document.
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/"
			files.ServeHTTP(w, r2)
			return
		}
		if _, err := fs.Stat(static, strings.TrimPrefix(p, "/")); err != nil {
			writeError(w, errf(http.StatusNotFound, "no such file: %s", p))
			return
		}
		files.ServeHTTP(w, r)
	})
}
