package gitstore

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// ShortIDs returns the shortest unique prefix (at least 7 digits) of every id.
func ShortIDs(ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	for i, short := range shortIDsOf(ids) {
		out[ids[i]] = short
	}
	return out
}

// shortIDsOf is the short form of each of ids, in their order. Only ids that share their first 7 characters with
// another need more, so they are grouped by those (no sort of the whole set: a store of 100,000 has a few dozen such
// pairs).
func shortIDsOf(ids []string) []string {
	const n = 7
	out := make([]string, len(ids))
	first := make(map[string]int32, len(ids)) // prefix -> index of its first id, -1 once it has several
	var groups map[string][]int
	for i, id := range ids {
		out[i] = id[:min(n, len(id))]
		if len(id) < n {
			continue // no other id can share its first 7 characters
		}
		p := id[:n]
		j, seen := first[p]
		switch {
		case !seen:
			first[p] = int32(i)
		case j >= 0:
			if groups == nil {
				groups = map[string][]int{}
			}
			groups[p] = []int{int(j), i}
			first[p] = -1
		default:
			groups[p] = append(groups[p], i)
		}
	}
	for _, g := range groups {
		sorted := make([]string, len(g))
		for k, i := range g {
			sorted[k] = ids[i]
		}
		sort.Strings(sorted)
		for _, i := range g {
			id := ids[i]
			k, _ := slices.BinarySearch(sorted, id)
			l := n
			for _, nb := range []int{k - 1, k + 1} {
				// The neighbour of the first copy of a repeated id is the id itself: look past the copies.
				for nb >= 0 && nb < len(sorted) && sorted[nb] == id {
					nb += nb - k
				}
				if nb >= 0 && nb < len(sorted) {
					l = max(l, commonPrefix(id, sorted[nb])+1)
				}
			}
			out[i] = id[:min(l, len(id))]
		}
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
	isHex := isIDPrefix(query)
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
	byName := false
	for i, m := range matches {
		byName = byName || m.Name == query
		if i < maxCandidates {
			names = append(names, fmt.Sprintf("%s (%s, %s)", m.ID, m.Name, m.Status))
		}
	}
	if more := len(matches) - maxCandidates; more > 0 { // a sweep's name is shared by thousands: one line says it
		names[len(names)-1] += fmt.Sprintf(" and %d more", more)
	}
	how := "use a longer id prefix"
	if byName {
		how = "give an id (see git exp list)"
		if !strings.ContainsAny(query, `'"\`) && !strings.ContainsFunc(query, unicode.IsControl) {
			how = fmt.Sprintf(`give an id (git exp list --where 'name == "%s"' lists them)`, query)
		}
	}
	return nil, fmt.Errorf("%q is ambiguous: it matches %d experiments: %s; %s", query, len(matches), strings.Join(names, ", "), how)
}

// maxCandidates is how many of the experiments an ambiguous id or name matches its error names.
const maxCandidates = 10

// Matches returns what Stream.Find needs to find the experiments queries may name, as Resolve reads a query: its
// id, an id prefix of at least 4 hex digits, or its name. It answers in constant time per experiment whatever the
// number of queries (compare of 1,000 ids): ids and names from a map, prefixes looked up by their first 4 digits.
func Matches(queries ...string) func(id, name string) bool {
	exact := map[string]bool{}
	prefixes := map[string][]string{}
	for _, q := range queries {
		exact[q] = true
		if isIDPrefix(q) {
			prefixes[q[:4]] = append(prefixes[q[:4]], q)
		}
	}
	return func(id, name string) bool {
		if exact[name] || exact[id] {
			return true
		}
		if len(id) >= 4 {
			for _, p := range prefixes[id[:4]] {
				if strings.HasPrefix(id, p) {
					return true
				}
			}
		}
		return false
	}
}

// isIDPrefix reports whether q can be an id prefix (Resolve): at least 4 lower-case hex digits.
func isIDPrefix(q string) bool { return len(q) >= 4 && strings.Trim(q, "0123456789abcdef") == "" }
