package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
)

// hub watches the store for the event stream: a moved tip (new runs, status changes, edits) and the spool files of
// running experiments (new metric points, new output). One watcher serves every open stream.
type hub struct {
	s *Server

	mu      sync.Mutex
	clients map[chan []byte]bool
	running bool
	quit    chan struct{}
	once    sync.Once
}

func newHub(s *Server) *hub {
	return &hub{s: s, clients: map[chan []byte]bool{}, quit: make(chan struct{})}
}

func (h *hub) stop() { h.once.Do(func() { close(h.quit) }) }

func (h *hub) subscribe() chan []byte {
	ch := make(chan []byte, 256)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clients[ch] = true
	if !h.running {
		h.running = true
		go h.watch()
	}
	return ch
}

func (h *hub) unsubscribe(ch chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, ch)
}

// send gives an event to every stream; a stream that does not keep up loses it (its page refreshes on the next).
func (h *hub) send(event string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		return
	}
	msg := []byte(fmt.Sprintf("event: %s\ndata: %s\n\n", event, b))
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case ch <- msg:
		default:
		}
	}
}

// state is what the watcher compares between two looks at the store, hashed: the watcher keeps one per experiment.
func state(e *gitstore.Experiment) uint64 {
	var h maphash.Hash
	h.SetSeed(stateSeed)
	for _, f := range []string{e.Status, e.Updated, e.Name, e.Description} {
		h.WriteString(f)
		h.WriteByte(0)
	}
	for _, t := range e.Tags {
		h.WriteString(t)
		h.WriteByte(1)
	}
	if e.Archived {
		h.WriteByte(2)
	}
	return h.Sum64()
}

var stateSeed = maphash.MakeSeed()

func (h *hub) watch() {
	tick := time.NewTicker(h.s.opts.Poll)
	defer tick.Stop()
	tip := ""
	seen := map[string]uint64{}
	sizes := map[string]int64{} // spool file → size
	var running []string
	first := true
	for {
		h.s.recordEnded(context.Background())
		if t, err := h.s.st.Tip(); err == nil && t != tip {
			tip = t
			if exps, err := h.s.db.Select(context.Background(), results.Filter{Archived: true}, nil); err == nil {
				var changed []map[string]string
				now := make(map[string]uint64, len(exps))
				running = running[:0]
				for _, e := range exps {
					st := state(e)
					now[e.ID] = st
					if old, ok := seen[e.ID]; !first && (!ok || old != st) {
						changed = append(changed, map[string]string{"id": e.ID, "status": e.Status, "name": e.Name})
					}
					if e.Status == gitstore.StatusRunning {
						running = append(running, e.ID)
					}
				}
				var removed []string
				for id := range seen {
					if _, ok := now[id]; !ok {
						removed = append(removed, id)
					}
				}
				seen = now
				if !first && (len(changed) > 0 || len(removed) > 0) {
					h.send("runs", map[string]any{"tip": tip, "changed": changed, "removed": removed})
				}
				first = false
			}
		}
		for _, id := range running {
			sp := h.s.st.SpoolFor(id)
			for _, f := range []struct{ kind, path string }{{"metrics", sp.Metrics}, {"stdout", sp.Stdout}, {"stderr", sp.Stderr}} {
				fi, err := os.Stat(f.path)
				if err != nil || fi.Size() == sizes[f.path] {
					continue
				}
				sizes[f.path] = fi.Size()
				event := "logs"
				if f.kind == "metrics" {
					event = "metrics"
				}
				h.send(event, map[string]any{"id": id, "stream": f.kind, "size": fi.Size()})
			}
		}
		select {
		case <-h.quit:
			return
		case <-tick.C:
		}
	}
}

// apiEvents is a server-sent event stream: "runs" when experiments are added, change status or are edited
// ({tip, changed: [{id, status, name}], removed: [id]}), "metrics" when a running experiment logs points and "logs"
// when it prints ({id, stream, size}).
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) error {
	fl, ok := w.(http.Flusher)
	if !ok {
		return errf(http.StatusBadRequest, "the event stream needs a streaming connection")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	ch := s.hub.subscribe()
	defer s.hub.unsubscribe(ch)
	tip, _ := s.st.Tip()
	fmt.Fprintf(w, "retry: 1000\nevent: hello\ndata: {\"tip\":%q}\n\n", tip)
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.hub.quit:
			return nil
		case msg := <-ch:
			if _, err := w.Write(msg); err != nil {
				return nil
			}
			fl.Flush()
		case <-ping.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return nil
			}
			fl.Flush()
		}
	}
}
