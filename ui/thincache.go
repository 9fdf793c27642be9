package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/git-exp/git-exp/thin"
)

// thinCache keeps, on disk, the summary of a finished run's metrics that the server built by reading the file when
// the run has no stored one (thin.FileName: a run recorded before it existed, by an older git-exp, or imported), so
// that the first chart of it after a restart is drawn from that summary instead of another reading of the file.
//
// Each summary is a file in thin.FileName's layout named by the metrics file's object id and the layout's version
// (<oid>.v<version>.json): an object id names its content, so an entry is never stale. It is a cache, like the list
// cache beside it: disposable, written whatever the server's --read-only (which refuses edits of the store only),
// written to a temporary file and renamed (a reader sees a whole file or none), and a file that does not decode is
// removed and built again. Only the summaries worth storing are kept (thin.Worth: the same rule as the end of a
// run's), and the directory holds at most limit bytes: beyond it, the least recently used go first (a hit touches
// its file).
type thinCache struct {
	dir   string
	limit int64
	// worth is whether a summary of a file of size bytes is kept: thin.Worth (tests keep short series too).
	worth func(data []byte, size int64) bool
	mu    sync.Mutex // one eviction at a time
}

// thinCacheBytes bounds the cache directory: ~700 runs of 1M points of one metric.
const thinCacheBytes = 256 << 20

func newThinCache(expDir string) *thinCache {
	return &thinCache{dir: filepath.Join(expDir, "cache", "thin"), limit: thinCacheBytes, worth: thin.Worth}
}

// path is the file of the summary of the metrics file oid.
func (c *thinCache) path(oid string) string {
	return filepath.Join(c.dir, fmt.Sprintf("%s.v%d.json", oid, thin.Version))
}

// mayKeep reports whether the summary of a metrics file of size bytes may be worth keeping (a file shorter than
// thin.MinFileBytes is read fast enough anyway).
func (c *thinCache) mayKeep(size int64) bool { return c.worth(nil, size) }

// get returns the summary of the metrics file oid kept, or nil. A file that does not decode is removed.
func (c *thinCache) get(oid string) *thin.Summary {
	p := c.path(oid)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	sm, err := thin.Decode(data)
	if err != nil {
		os.Remove(p)
		return nil
	}
	now := time.Now()
	os.Chtimes(p, now, now) // recently used: evicted last
	return sm
}

// put keeps sm, the summary of the whole metrics file oid of size bytes, when it is worth keeping, then evicts the
// least recently used beyond the limit. Failures are silent: the cache only saves time.
func (c *thinCache) put(oid string, sm *thin.Summary, size int64) {
	if !c.mayKeep(size) {
		return
	}
	data := sm.AppendStored(nil)
	if !c.worth(data, size) || int64(len(data)) > c.limit {
		return
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(c.dir, ".tmp-")
	if err != nil {
		return
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path(oid))
	}
	if err != nil {
		os.Remove(f.Name())
		return
	}
	c.evict()
}

// evict removes the least recently used files beyond the limit, and temporary files that a writer that died left
// (older than an hour).
func (c *thinCache) evict() {
	c.mu.Lock()
	defer c.mu.Unlock()
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type file struct {
		path string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	for _, de := range ents {
		fi, err := de.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(c.dir, de.Name())
		if strings.HasPrefix(de.Name(), ".tmp-") {
			if time.Since(fi.ModTime()) > time.Hour {
				os.Remove(p)
			}
			continue
		}
		files = append(files, file{p, fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	if total <= c.limit {
		return
	}
	slices.SortFunc(files, func(a, b file) int { return a.used.Compare(b.used) })
	for _, f := range files {
		if total <= c.limit {
			break
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}
