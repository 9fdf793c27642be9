package gitstore

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/value"
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
	// MetricsJSON is metrics.summary.json: each metric's last, min and max value, for filters and sorts on
	// metrics.NAME even when the script wrote explicit results.
	MetricsJSON []byte
}

// docView is the shape of Doc; params and results follow it (see finishLoad).
type docView struct {
	Manifest
	Archived bool `json:"archived"`
}

// finishLoad computes what readers show of an experiment read from git.
func (e *Experiment) finishLoad() {
	e.applyNotes()
	if e.Attempt == 0 && e.Started != "" {
		e.Attempt = 1 // recorded by a version that left a staged experiment's first run at 0: attempts count from 1
	}
	v := docView{Manifest: e.Manifest, Archived: e.Archived}
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
	// Each JSON is decoded once, for the document and both precomputed forms. value.Unmarshal reads what a
	// script wrote (NaN, Infinity, 1e400 included); a file that is not JSON at all shows as {} (its bytes stay in
	// the store).
	params, presults := map[string]any{}, map[string]any{}
	if x, err := value.Unmarshal(e.ParamsJSON); err == nil && len(e.ParamsJSON) > 0 {
		e.ParamsKV, e.ParamsTop = value.CompactKV(value.Flatten(x)), encodeTop(x)
		if m, ok := x.(map[string]any); ok {
			params = m
		}
	}
	if x, err := value.Unmarshal(e.ResultsJSON); err == nil && len(e.ResultsJSON) > 0 {
		e.ResultsKV, e.ResultsTop = value.CompactKV(value.Flatten(x)), encodeTop(x)
		if m, ok := x.(map[string]any); ok {
			presults = m
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		doc := bytes.TrimRight(b.Bytes(), "\n")
		doc = append(doc[:len(doc)-1], `,"params":`...)
		doc, perr := value.AppendJSON(doc, params)
		doc = append(doc, `,"results":`...)
		doc, rerr := value.AppendJSON(doc, presults)
		if perr == nil && rerr == nil {
			e.Doc = append(doc, '}')
		}
	}
	e.Notes = nil // applied; the cache does not keep them
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

// CompareNewest orders experiments as listings show them: newest first, by creation time, then by id (both
// descending). It is negative when a comes first.
func CompareNewest(a, b *Experiment) int {
	if c := strings.Compare(b.Created, a.Created); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// mergeNewest merges two lists sorted newest first.
func mergeNewest(a, b []*Experiment) []*Experiment {
	if len(b) == 0 {
		return a
	}
	out := make([]*Experiment, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if CompareNewest(b[0], a[0]) < 0 {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// SortNewest sorts as listings show experiments (CompareNewest).
func SortNewest(exps []*Experiment) { slices.SortFunc(exps, CompareNewest) }
