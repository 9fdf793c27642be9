package cli

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/results"
)

// warnUnknownKeys warns, once per key, about a key of --where or --sort that no experiment has (a typo, or a
// result key given without results.): still not an error, the line names the closest keys that exist.
func warnUnknownKeys(env *Env, all []*gitstore.Experiment, where, sortKeys []string) {
	var keys []string
	for _, w := range where {
		if e, err := query.Parse(w); err == nil {
			for _, k := range e.Keys() {
				keys = append(keys, k+"\x00--where")
			}
		}
	}
	for _, k := range sortKeys {
		keys = append(keys, strings.TrimPrefix(strings.TrimPrefix(k, "-"), "+")+"\x00--sort")
	}
	if len(keys) == 0 || len(all) == 0 {
		return
	}
	warned := map[string]bool{}
	var known []string
	for _, kf := range keys {
		k, flag, _ := strings.Cut(kf, "\x00")
		if k == "" || warned[k] || hasKey(all, k) {
			continue
		}
		warned[k] = true
		if known == nil {
			known = existingKeys(all)
		}
		msg := fmt.Sprintf("warning: no experiment has the key %q (%s)", k, flag)
		if near := closestKeys(k, known, 3); len(near) > 0 {
			msg += "; keys that exist: " + strings.Join(near, ", ")
		}
		env.IO.Warnf("%s", msg)
	}
}

// hasKey reports whether some experiment has key k, as --where resolves it: params.K, results.K, meta.K, or an
// unqualified K among the params, then the results, then the metadata. A key may name a subtree (model of
// model.depth).
func hasKey(all []*gitstore.Experiment, k string) bool {
	qual, rest, _ := strings.Cut(k, ".")
	inParams, inResults, name := true, true, k
	switch qual {
	case "params":
		inResults, name = false, rest
	case "results":
		inParams, name = false, rest
	case "meta":
		return isMetaKey(rest)
	case "metrics":
		for _, e := range all {
			if bytes.Contains(e.MetricsJSON, []byte(`"`+strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(rest, ".last"), ".min"), ".max")+`"`)) {
				return true
			}
		}
		return false
	}
	if inParams && inResults && isMetaKey(k) {
		return true
	}
	found := false
	gitstore.EachKey(all, func(prefix, key string) bool {
		if (prefix == "" && inParams || prefix != "" && inResults) && (key == name || strings.HasPrefix(key, name+".")) {
			found = true
		}
		return !found
	})
	return found
}

func isMetaKey(k string) bool {
	for _, m := range metaKeys {
		if k == m {
			return true
		}
	}
	return k == "duration" || k == "seq"
}

// existingKeys are the keys the experiments have: parameters, results.KEY and the metadata fields.
func existingKeys(all []*gitstore.Experiment) []string {
	set := map[string]bool{}
	gitstore.EachKey(all, func(prefix, key string) bool {
		set[prefix+key] = true
		return true
	})
	for _, m := range metaKeys {
		set[m] = true
	}
	for _, e := range all[:min(len(all), 1000)] {
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
