package cli

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/results"
)

// keyWatch notes which of the keys named by --where and --sort some experiment has, from the experiments seen one
// at a time on any core (see): a listing that streams sees each experiment once, as it is decoded, and warns after
// (warn), once per key, about a key no experiment has (a typo, or a result key given without results.): still not
// an error, the line names the closest keys that exist. Once every key is found, see is one atomic load. A nil
// keyWatch (no key named) sees nothing and warns of nothing.
type keyWatch struct {
	keys    []*watchedKey // once each, in the order named: --where's, then --sort's
	pending atomic.Int32  // keys not found yet
	// set is the keys of the params and results of the experiments seen while a key was not found: when one is
	// never found, every experiment's, which the warning picks the closest from.
	set gitstore.KeySet
}

// watchedKey is a key of keyWatch, found where --where resolves it: params.K, results.K, meta.K, or an unqualified
// K among the params, then the results, then the metadata. A key may name a subtree (model of model.depth).
type watchedKey struct {
	key, flag string
	found     atomic.Bool
	// metric is `"NAME"` for metrics.NAME (.last, .min, .max), looked for in the metrics' summary.
	metric []byte
	// name is looked for among the flattened keys of the params (inParams) and the results (inResults).
	name                string
	inParams, inResults bool
}

// newKeyWatch is a keyWatch of the keys of the expressions where and of sortKeys; nil when they name none.
func newKeyWatch(where, sortKeys []string) *keyWatch {
	var named [][2]string
	for _, x := range where {
		if e, err := query.Parse(x); err == nil {
			for _, k := range e.Keys() {
				named = append(named, [2]string{k, "--where"})
			}
		}
	}
	for _, k := range sortKeys {
		named = append(named, [2]string{strings.TrimPrefix(strings.TrimPrefix(k, "-"), "+"), "--sort"})
	}
	w := &keyWatch{}
	dup := map[string]bool{}
	for _, kf := range named {
		k := kf[0]
		if k == "" || dup[k] {
			continue
		}
		dup[k] = true
		wk := &watchedKey{key: k, flag: kf[1], inParams: true, inResults: true, name: k}
		qual, rest, _ := strings.Cut(k, ".")
		switch qual {
		case "params":
			wk.inResults, wk.name = false, rest
		case "results":
			wk.inParams, wk.name = false, rest
		case "meta": // a field or not, whatever the experiments
			wk.inParams, wk.inResults = false, false
			wk.found.Store(isMetaKey(rest))
		case "metrics":
			wk.inParams, wk.inResults = false, false
			wk.metric = []byte(`"` + strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(rest, ".last"), ".min"), ".max") + `"`)
		default:
			wk.found.Store(isMetaKey(k))
		}
		if !wk.found.Load() {
			w.pending.Add(1)
		}
		w.keys = append(w.keys, wk)
	}
	if len(w.keys) == 0 {
		return nil
	}
	return w
}

// see notes the keys e has. It may be called on several cores at once.
func (w *keyWatch) see(e *gitstore.Experiment) {
	if w == nil || w.pending.Load() == 0 {
		return
	}
	for _, k := range w.keys {
		if k.metric != nil && !k.found.Load() && bytes.Contains(e.MetricsJSON, k.metric) {
			w.find(k)
		}
	}
	w.set.Add(e, func(prefix, key string) { // each key once, the set locked
		for _, k := range w.keys {
			if (prefix == "" && k.inParams || prefix != "" && k.inResults) && !k.found.Load() &&
				(key == k.name || strings.HasPrefix(key, k.name+".")) {
				w.find(k)
			}
		}
	})
}

func (w *keyWatch) find(k *watchedKey) {
	if k.found.CompareAndSwap(false, true) {
		w.pending.Add(-1)
	}
}

// unseen reports whether a key is still to be found: a listing that stopped before its end has to see the rest.
func (w *keyWatch) unseen() bool { return w != nil && w.pending.Load() > 0 }

// warn warns about the keys that none of the total experiments seen has (every experiment of the store must have
// been seen). first returns the first experiments of the listing (up to 1,000), whose metrics are offered beside
// the keys that exist; it is called only when there is a warning.
func (w *keyWatch) warn(env *Env, total int, first func() []*gitstore.Experiment) {
	if !w.unseen() || total == 0 {
		return
	}
	var known []string
	for _, k := range w.keys {
		if k.found.Load() {
			continue
		}
		if known == nil {
			known = w.existingKeys(first())
		}
		msg := fmt.Sprintf("warning: no experiment has the key %q (%s)", k.key, k.flag)
		if near := closestKeys(k.key, known, 3); len(near) > 0 {
			msg += "; keys that exist: " + strings.Join(near, ", ")
		}
		env.IO.Warnf("%s", msg)
	}
}

// existingKeys are the keys the experiments seen have: parameters, results.KEY, the metadata fields, and
// metrics.NAME of the metrics of first.
func (w *keyWatch) existingKeys(first []*gitstore.Experiment) []string {
	set := map[string]bool{}
	for _, k := range w.set.Keys() {
		set[k] = true
	}
	for _, m := range metaKeys {
		set[m] = true
	}
	for _, e := range first {
		for name := range results.DecodeJSON(e.MetricsJSON) {
			set["metrics."+name] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isMetaKey(k string) bool {
	for _, m := range metaKeys {
		if k == m {
			return true
		}
	}
	return k == "duration" || k == "seq"
}

// closestKeys returns up to n keys nearest to k: same last segment first (acc for results.acc), then by edit distance.
func closestKeys(k string, known []string, n int) []string {
	type cand struct {
		key  string
		dist int
	}
	last := k[strings.LastIndexByte(k, '.')+1:]
	var cs []cand
	for _, c := range known {
		d := editDistance(strings.ToLower(k), strings.ToLower(c))
		if cl := c[strings.LastIndexByte(c, '.')+1:]; strings.EqualFold(cl, last) {
			d = 0
		}
		if d <= max(2, len(k)/3) {
			cs = append(cs, cand{c, d})
		}
	}
	if qual, _, ok := strings.Cut(k, "."); ok && len(cs) == 0 {
		// Nothing close: the keys of the same kind (metrics.*, results.*) are the next best help.
		for _, c := range known {
			if strings.HasPrefix(c, qual+".") {
				cs = append(cs, cand{c, 0})
			}
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].dist < cs[j].dist })
	var out []string
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.key)
	}
	return out
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
