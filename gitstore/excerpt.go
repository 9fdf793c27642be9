package gitstore

import (
	"slices"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/value"
)

// Experiment is what the readers know of one experiment: its manifest with every note applied, and its parameters
// and results as raw JSON (decoded on demand, so a listing of 100,000 experiments decodes only what it shows).
//
// What the cache keeps is this and nothing derived from it for display: the --json object (AppendDoc) and the
// "k=v" forms (ParamsKV, ResultsKV) are computed for the rows a listing prints. It keeps at most CapValue bytes of
// any one parameter or result value (Capped says a value was cut); Store.Full reads the whole experiment back.
type Experiment struct {
	Manifest
	ParamsJSON  []byte
	ResultsJSON []byte
	Archived    bool
	Deleted     bool
	// Capped is set when a value of ParamsJSON, ResultsJSON or MetricsJSON was longer than CapValue and is kept cut
	// (capValues): the store has the whole value, Store.Full reads it.
	Capped bool
	// objects says which of ParamsJSON and ResultsJSON are JSON objects, and in which form (Index, top.go).
	objects uint8
	TreeOID string // the experiment's directory in the store
	// ShortID is the shortest unique prefix (at least 7 digits) among every experiment in the store.
	ShortID string
	// MetricsJSON is metrics.summary.json: each metric's last, min and max value, for filters and sorts on
	// metrics.NAME even when the script wrote explicit results.
	MetricsJSON []byte
}

// ParamsKV is the flattened "k=v k=v" form of the parameters that tables show ("" when there are none):
// value.CompactKV of the flattened tree.
func (e *Experiment) ParamsKV() string { return string(e.AppendParamsKV(nil)) }

// ResultsKV is ParamsKV of the results.
func (e *Experiment) ResultsKV() string { return string(e.AppendResultsKV(nil)) }

// AppendParamsKV appends ParamsKV to dst (read off the JSON when it is canonical: nothing is allocated then).
func (e *Experiment) AppendParamsKV(dst []byte) []byte {
	return appendKVOf(dst, e.ParamsJSON, e.objects&canonParams != 0)
}

// AppendResultsKV appends ResultsKV to dst.
func (e *Experiment) AppendResultsKV(dst []byte) []byte {
	return appendKVOf(dst, e.ResultsJSON, e.objects&canonResults != 0)
}

func appendKVOf(dst, raw []byte, canon bool) []byte {
	if canon {
		n := len(dst)
		if b, ok := appendKV(dst, raw, n); ok {
			return b
		}
		dst = dst[:n]
	}
	return append(dst, compactKV(raw)...)
}

func compactKV(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	x, err := value.Unmarshal(raw)
	if err != nil {
		return ""
	}
	return value.CompactKV(value.Flatten(x))
}

// finishLoad computes what readers keep of an experiment read from git, with its notes; capped is whether values
// longer than CapValue are cut (for the cache).
func (e *Experiment) finishLoad(notes []Note, capped bool) {
	e.applyNotes(notes)
	if e.Attempt == 0 && e.Started != "" {
		e.Attempt = 1 // recorded by a version that left a staged experiment's first run at 0: attempts count from 1
	}
	if capped && Finished(e.Status) { // staged and running experiments are run with their parameters: never cut
		var c1, c2, c3 bool
		e.ParamsJSON, c1 = capValues(e.ParamsJSON)
		e.ResultsJSON, c2 = capValues(e.ResultsJSON)
		e.MetricsJSON, c3 = capValues(e.MetricsJSON)
		e.Capped = c1 || c2 || c3
	}
	e.Index()
}

// apply applies notes in order of time (then id), so every clone computes the same state.
func (e *Experiment) applyNotes(notes []Note) {
	sort.Slice(notes, func(i, j int) bool {
		if notes[i].Time != notes[j].Time {
			return notes[i].Time < notes[j].Time
		}
		return notes[i].ID < notes[j].ID
	})
	for _, n := range notes {
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

// GridOrder puts the members of each batch that were recorded together (a sweep: same batch, same creation time,
// next to each other in a newest-first list) in the order of their grid, as they were staged and run.
func GridOrder(exps []*Experiment) {
	for i := 0; i < len(exps); {
		j := i + 1
		for j < len(exps) && exps[i].Batch != "" && exps[j].Batch == exps[i].Batch && exps[j].Created == exps[i].Created {
			j++
		}
		if j-i > 1 {
			sort.SliceStable(exps[i:j], func(a, b int) bool { return exps[i+a].Seq < exps[i+b].Seq })
		}
		i = j
	}
}

// gridRun is where the last run of exps that GridOrder sorts together starts: a run that experiments after exps
// may still join (len(exps) when there is none: exps is empty or ends with an experiment of no batch).
func gridRun(exps []*Experiment) int {
	if len(exps) == 0 || exps[len(exps)-1].Batch == "" {
		return len(exps)
	}
	last := exps[len(exps)-1]
	i := len(exps) - 1
	for i > 0 && exps[i-1].Batch == last.Batch && exps[i-1].Created == last.Created {
		i--
	}
	return i
}
