package gitstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/git-exp/git-exp/config"
	"github.com/git-exp/git-exp/internal/gitcmd"
)

// Experiment is what the readers know of one experiment: its manifest with every note applied, and its parameters
// and results as raw JSON (decoded on demand, so a listing of 100,000 experiments decodes only what it shows).
type Experiment struct {
	Manifest
	ParamsJSON  []byte
	ResultsJSON []byte
	Notes       []Note
	Archived    bool
	Deleted     bool
	TreeOID     string // the experiment's directory in the store
	// Doc is the documented --json object (README "--json fields") without short_id, built once when the
	// experiment is read from git and kept in the cache, so listings print it without encoding anything.
	Doc []byte
	// ParamsKV and ResultsKV are the flattened "k=v k=v" forms that tables show.
	ParamsKV, ResultsKV string
	// ShortID is the shortest unique prefix (at least 7 digits) among every experiment in the store.
	ShortID string
	// ParamsTop and ResultsTop are the top-level values of params and results, typed (top.go).
	ParamsTop, ResultsTop []byte
}

// docView is the shape of Doc.
type docView struct {
	Manifest
	Archived bool            `json:"archived"`
	Params   json.RawMessage `json:"params"`
	Results  json.RawMessage `json:"results"`
}

// finishLoad computes what readers show of an experiment read from git.
func (e *Experiment) finishLoad() {
	e.applyNotes()
	v := docView{Manifest: e.Manifest, Archived: e.Archived, Params: e.ParamsJSON, Results: e.ResultsJSON}
	v.Runner = nil
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if v.Argv == nil {
		v.Argv = []string{}
	}
	if v.Git.Skipped == nil {
		v.Git.Skipped = []string{}
	}
	if len(v.Params) == 0 || !json.Valid(v.Params) {
		v.Params = json.RawMessage("{}")
	}
	if len(v.Results) == 0 || !json.Valid(v.Results) {
		v.Results = json.RawMessage("{}")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		e.Doc = bytes.TrimRight(b.Bytes(), "\n")
	}
	// Each JSON is decoded once, for both of its precomputed forms.
	if v, err := config.UnmarshalJSON(e.ParamsJSON); err == nil && len(e.ParamsJSON) > 0 {
		e.ParamsKV, e.ParamsTop = config.CompactKV(config.Flatten(v)), encodeTop(v)
	}
	if v, err := config.UnmarshalJSON(e.ResultsJSON); err == nil && len(e.ResultsJSON) > 0 {
		e.ResultsKV, e.ResultsTop = config.CompactKV(config.Flatten(v)), encodeTop(v)
	}
	e.Notes = nil // applied; the cache does not keep them
}

// Note is one append-only edit (notes/<op-id>.json).
type Note struct {
	ID    string   `json:"id"`
	Op    string   `json:"op"` // tag, untag, rename, describe, archive, unarchive, delete
	Tags  []string `json:"tags,omitempty"`
	Value string   `json:"value,omitempty"`
	Time  string   `json:"time"`
	User  string   `json:"user,omitempty"`
	Host  string   `json:"host,omitempty"`
}

// apply applies notes in order of time (then id), so every clone computes the same state.
func (e *Experiment) applyNotes() {
	sort.Slice(e.Notes, func(i, j int) bool {
		if e.Notes[i].Time != e.Notes[j].Time {
			return e.Notes[i].Time < e.Notes[j].Time
		}
		return e.Notes[i].ID < e.Notes[j].ID
	})
	for _, n := range e.Notes {
		switch n.Op {
		case "tag":
			for _, t := range n.Tags {
				if !slices.Contains(e.Tags, t) {
					e.Tags = append(e.Tags, t)
				}
			}
		case "untag":
			var keep []string
			for _, t := range e.Tags {
				if !slices.Contains(n.Tags, t) {
					keep = append(keep, t)
				}
			}
			e.Tags = keep
		case "rename":
			e.Name = n.Value
		case "describe":
			e.Description = n.Value
		case "archive":
			e.Archived = true
		case "unarchive":
			e.Archived = false
		case "delete":
			e.Deleted = true
		}
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
}

// cacheFile is the disposable local index of experiment summaries, keyed by tree ids so that it is brought up to
// date by reading only what changed between the cached tip and the new one.
type cacheFile struct {
	Version  int
	Tip      string
	RootTree string
	Fanout   map[string]string      // fan-out directory name -> tree id
	Exps     map[string]*Experiment // by id; built from List only when the cache must be brought up to date
	List     []*Experiment          // newest first, as listings want them
}

// index builds Exps from List.
func (c *cacheFile) index() {
	if c.Exps != nil {
		return
	}
	c.Exps = make(map[string]*Experiment, len(c.List))
	for _, e := range c.List {
		c.Exps[e.ID] = e
	}
}

// order rebuilds List from Exps: newest first, with short ids over the whole set.
func (c *cacheFile) order() {
	c.List = c.List[:0]
	ids := make([]string, 0, len(c.Exps))
	for _, e := range c.Exps {
		c.List = append(c.List, e)
		ids = append(ids, e.ID)
	}
	short := ShortIDs(ids)
	for _, e := range c.List {
		e.ShortID = short[e.ID]
	}
	SortNewest(c.List)
}

// SortNewest sorts newest first: by creation time, then by id, both descending.
func SortNewest(exps []*Experiment) {
	slices.SortFunc(exps, func(a, b *Experiment) int {
		if c := strings.Compare(b.Created, a.Created); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

const cacheVersion = 8

func (s *Store) cachePath() string { return filepath.Join(s.ExpDir(), "cache-v8") }

func (s *Store) loadCache() *cacheFile {
	if data, err := mapFile(s.cachePath()); err == nil {
		if c, err := decodeCache(data); err == nil {
			return c
		}
	}
	return &cacheFile{Version: cacheVersion, Fanout: map[string]string{}}
}

func (s *Store) saveCache(c *cacheFile) {
	if err := os.MkdirAll(s.ExpDir(), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(s.ExpDir(), "cache-")
	if err != nil {
		return
	}
	_, err = f.Write(encodeCache(c))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return
	}
	if os.Rename(f.Name(), s.cachePath()) != nil {
		os.Remove(f.Name())
		return
	}
	// Caches of other format versions are of no use to this one (and may be large).
	old, _ := filepath.Glob(filepath.Join(s.ExpDir(), "cache-v*"))
	old = append(old, filepath.Join(s.ExpDir(), "cache.gob"))
	for _, p := range old {
		if p != s.cachePath() {
			os.Remove(p)
		}
	}
}

// Experiments returns every experiment in the store (deleted ones included, flagged), in no particular order. A warm
// call reads one cache file and opens no git object.
func (s *Store) Experiments() ([]*Experiment, error) {
	tip, err := s.Tip()
	if err != nil {
		return nil, err
	}
	c := s.loadCache()
	if tip != c.Tip {
		c.index()
		if err := s.refreshCache(c, tip); err != nil {
			return nil, err
		}
		c.order()
		s.saveCache(c)
	}
	return append([]*Experiment(nil), c.List...), nil
}

func (s *Store) refreshCache(c *cacheFile, tip string) error {
	if tip == "" {
		*c = cacheFile{Version: cacheVersion, Fanout: map[string]string{}, Exps: map[string]*Experiment{}}
		return nil
	}
	c.index()
	obj, err := s.cat.Get(tip)
	if err != nil {
		return fmt.Errorf("%s points to a missing commit: %w", s.Ref, err)
	}
	rootTree, err := commitTree(obj.Data)
	if err != nil {
		return err
	}
	root, err := s.readTree(rootTree)
	if err != nil {
		return err
	}
	for _, e := range root {
		if e.Name == "VERSION" {
			if v, err := s.cat.Get(e.OID); err == nil && strings.TrimSpace(string(v.Data)) != fmt.Sprint(FormatVersion) {
				return fmt.Errorf("%s is in storage format %s; this git-exp reads format %d: upgrade git-exp",
					s.Ref, strings.TrimSpace(string(v.Data)), FormatVersion)
			}
		}
	}
	// Fan-out directories that changed.
	newFan := map[string]string{}
	var changed []TreeEntry
	for _, e := range root {
		if e.isTree() && isFanout(e.Name) {
			newFan[e.Name] = e.OID
			if c.Fanout[e.Name] != e.OID {
				changed = append(changed, e)
			}
		}
	}
	for name := range c.Fanout {
		if _, ok := newFan[name]; !ok {
			for id := range c.Exps {
				if id[:2] == name {
					delete(c.Exps, id)
				}
			}
		}
	}
	oids := make([]string, len(changed))
	for i, e := range changed {
		oids[i] = e.OID
	}
	fanTrees, err := s.cat.GetMany(oids)
	if err != nil {
		return err
	}
	// Experiment directories that changed.
	want := map[string]string{} // id -> tree
	for i, ft := range fanTrees {
		ents, err := decodeTree(ft.Data, s.HexLen())
		if err != nil {
			return err
		}
		present := map[string]bool{}
		for _, e := range ents {
			if !e.isTree() || !ValidID(e.Name) || e.Name[:2] != changed[i].Name {
				continue
			}
			present[e.Name] = true
			if old, ok := c.Exps[e.Name]; !ok || old.TreeOID != e.OID {
				want[e.Name] = e.OID
			}
		}
		for id := range c.Exps {
			if id[:2] == changed[i].Name && !present[id] {
				delete(c.Exps, id)
			}
		}
	}
	exps, err := s.loadExperiments(want)
	if err != nil {
		return err
	}
	for id, e := range exps {
		c.Exps[id] = e
	}
	c.Tip, c.RootTree, c.Fanout = tip, rootTree, newFan
	return nil
}

func isFanout(name string) bool {
	return len(name) == 2 && strings.Trim(name, "0123456789abcdef") == ""
}

// loadExperiments reads experiment directories (id -> tree id), pipelining the object reads level by level.
func (s *Store) loadExperiments(want map[string]string) (map[string]*Experiment, error) {
	ids := make([]string, 0, len(want))
	oids := make([]string, 0, len(want))
	for id, oid := range want {
		ids = append(ids, id)
		oids = append(oids, oid)
	}
	trees, err := s.cat.GetMany(oids)
	if err != nil {
		return nil, err
	}
	type slot struct {
		exp  *Experiment
		kind string // experiment, params, results, notes-tree, note
	}
	manifests := map[*Experiment][]byte{}
	var reqs []string
	var slots []slot
	out := map[string]*Experiment{}
	for i, t := range trees {
		if t.Type != "tree" {
			continue
		}
		ents, err := decodeTree(t.Data, s.HexLen())
		if err != nil {
			return nil, err
		}
		e := &Experiment{TreeOID: oids[i]}
		e.ID = ids[i]
		out[ids[i]] = e
		for _, ent := range ents {
			kind := ""
			switch ent.Name {
			case "experiment.json":
				kind = "experiment"
			case "params.json":
				kind = "params"
			case "results.json":
				kind = "results"
			case "notes":
				kind = "notes-tree"
			}
			if kind != "" {
				reqs = append(reqs, ent.OID)
				slots = append(slots, slot{e, kind})
			}
		}
	}
	for len(reqs) > 0 {
		objs, err := s.cat.GetMany(reqs)
		if err != nil {
			return nil, err
		}
		var next []string
		var nextSlots []slot
		for i, o := range objs {
			sl := slots[i]
			switch sl.kind {
			case "experiment":
				manifests[sl.exp] = o.Data
			case "params":
				sl.exp.ParamsJSON = o.Data
			case "results":
				sl.exp.ResultsJSON = o.Data
			case "notes-tree":
				ents, err := decodeTree(o.Data, s.HexLen())
				if err != nil {
					return nil, err
				}
				for _, n := range ents {
					if strings.HasSuffix(n.Name, ".json") {
						next = append(next, n.OID)
						nextSlots = append(nextSlots, slot{sl.exp, "note"})
					}
				}
			case "note":
				var n Note
				if json.Unmarshal(o.Data, &n) == nil {
					sl.exp.Notes = append(sl.exp.Notes, n)
				}
			}
		}
		reqs, slots = next, nextSlots
	}
	// Decoding is what costs (a cold listing of 10,000 experiments): it runs on every core.
	list := make([]*Experiment, 0, len(out))
	for _, e := range out {
		list = append(list, e)
	}
	finish := func(e *Experiment) {
		if data, ok := manifests[e]; ok {
			id := e.ID
			if err := json.Unmarshal(data, &e.Manifest); err != nil {
				e.Error = "experiment.json is unreadable: " + err.Error()
			}
			e.ID = id
		}
		e.ParamsJSON = compactJSON(e.ParamsJSON)
		e.ResultsJSON = compactJSON(e.ResultsJSON)
		e.finishLoad()
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(list)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(list); i += workers {
				finish(list[i])
			}
		})
	}
	wg.Wait()
	return out, nil
}

func compactJSON(b []byte) []byte {
	if b == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// Load reads one experiment fresh from the tip (not from the cache).
func (s *Store) Load(id string) (*Experiment, error) {
	_, tree, err := s.TipTree()
	if err != nil {
		return nil, err
	}
	if tree == "" {
		return nil, fmt.Errorf("experiment %s is not in the store", id)
	}
	obj, err := s.cat.Get(tree + ":" + ExpPath(id))
	if err != nil {
		if errors.Is(err, gitcmd.ErrMissing) {
			return nil, fmt.Errorf("experiment %s is not in the store", id)
		}
		return nil, err
	}
	exps, err := s.loadExperiments(map[string]string{id: obj.OID})
	if err != nil {
		return nil, err
	}
	e, ok := exps[id]
	if !ok {
		return nil, fmt.Errorf("experiment %s is not in the store", id)
	}
	return e, nil
}

// ReadFile reads one file of an experiment's directory at the tip; ok is false when it does not exist.
func (s *Store) ReadFile(id, name string) ([]byte, bool, error) {
	_, tree, err := s.TipTree()
	if err != nil || tree == "" {
		return nil, false, err
	}
	obj, err := s.cat.Get(tree + ":" + ExpPath(id) + "/" + name)
	if errors.Is(err, gitcmd.ErrMissing) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return obj.Data, true, nil
}

// ShortIDs returns the shortest unique prefix (at least 7 digits) of every id.
func ShortIDs(ids []string) map[string]string {
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	out := make(map[string]string, len(ids))
	for i, id := range sorted {
		n := 7
		for _, nb := range []int{i - 1, i + 1} {
			if nb >= 0 && nb < len(sorted) && sorted[nb] != id {
				if l := commonPrefix(id, sorted[nb]) + 1; l > n {
					n = l
				}
			}
		}
		out[id] = id[:min(n, len(id))]
	}
	return out
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Resolve finds the one experiment a user means: a full id, an id prefix of at least 4 hex digits, or an exact name.
// Deleted experiments are not found. Several matches are an error that lists them.
func Resolve(exps []*Experiment, query string) (*Experiment, error) {
	if query == "" {
		return nil, errors.New("empty experiment id: give an id, an id prefix or a name (see git exp list)")
	}
	var matches []*Experiment
	isHex := len(query) >= 4 && strings.Trim(query, "0123456789abcdef") == ""
	for _, e := range exps {
		if e.Deleted {
			continue
		}
		if e.ID == query {
			return e, nil
		}
		if (isHex && strings.HasPrefix(e.ID, query)) || e.Name == query {
			matches = append(matches, e)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		if len(query) < 4 && strings.Trim(query, "0123456789abcdef") == "" {
			return nil, fmt.Errorf("no experiment matches %q: an id prefix needs at least 4 hex digits (see git exp list)", query)
		}
		return nil, fmt.Errorf("no experiment matches %q (see git exp list)", query)
	}
	sort.Slice(matches, func(i, j int) bool { return matches[i].Created < matches[j].Created })
	var names []string
	for _, m := range matches {
		names = append(names, fmt.Sprintf("%s (%s, %s)", m.ID, m.Name, m.Status))
	}
	return nil, fmt.Errorf("%q is ambiguous: it matches %s; use a longer id prefix", query, strings.Join(names, ", "))
}
