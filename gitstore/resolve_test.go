package gitstore

import (
	"fmt"
	"strings"
	"testing"
)

// Resolve finds an experiment by id, id prefix or exact name; an ambiguous one is one line naming at most
// maxCandidates of the matches, how many more there are, and how to pick one.
func TestResolve(t *testing.T) {
	var exps []*Experiment
	add := func(id, name string, deleted bool) *Experiment {
		e := &Experiment{}
		e.ID, e.Name, e.Deleted, e.Status = id, name, deleted, StatusCompleted
		e.Created = fmt.Sprintf("2026-01-01T00:00:%02d.000Z", len(exps)%60)
		exps = append(exps, e)
		return e
	}
	solo := add("5555aaaa00000000", "solo", false)
	add("5555bbbb00000000", "gone", true)
	named := add("1234567800000000", "abcd", false) // older than the 25 below: named first
	for i := range 25 {
		add(fmt.Sprintf("abcd%012x", i), "train[lr=0.1]", false)
	}
	for _, c := range []struct {
		query string
		want  *Experiment
		err   []string // what the error says
	}{
		{query: "5555aaaa00000000", want: solo},
		{query: "5555", want: solo}, // the other is deleted
		{query: "solo", want: solo},
		{query: "12345678", want: named},
		{query: "gone", err: []string{`no experiment matches "gone"`}},
		{query: "555", err: []string{"at least 4 hex digits"}},
		{query: "", err: []string{"empty experiment id"}},
		{query: "abcd00000000000", err: []string{"matches 16 experiments", "and 6 more", "use a longer id prefix"}},
		{query: "abcd", err: []string{"matches 26 experiments", "1234567800000000 (abcd", "and 16 more",
			`give an id (git exp list --where 'name == "abcd"' lists them)`}},
		{query: "train[lr=0.1]", err: []string{"matches 25 experiments", "and 15 more",
			`git exp list --where 'name == "train[lr=0.1]"'`}},
	} {
		e, err := Resolve(exps, c.query)
		if c.err == nil {
			if err != nil || e != c.want {
				t.Errorf("Resolve(%q) = %v, %v; want %s", c.query, e, err, c.want.ID)
			}
			continue
		}
		if err == nil {
			t.Errorf("Resolve(%q) = %s, want an error", c.query, e.ID)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || strings.Count(msg, "(") > maxCandidates+2 {
			t.Errorf("Resolve(%q): not one short line: %s", c.query, msg)
		}
		for _, w := range c.err {
			if !strings.Contains(msg, w) {
				t.Errorf("Resolve(%q) = %q, want it to say %q", c.query, msg, w)
			}
		}
	}
}

// Matches keeps every experiment Resolve could pick for a query, alone or among many queries: resolving among what
// it keeps gives what resolving among all gives.
func TestMatchesKeepsWhatResolvePicks(t *testing.T) {
	var exps []*Experiment
	for i := range 300 {
		e := &Experiment{}
		e.ID = fmt.Sprintf("%04x%012x", i%7*4096+i%3, i)
		e.Name = []string{"a", "b", "train[lr=0.1]", "abcd", fmt.Sprintf("run-%d", i)}[i%5]
		e.Created, e.Deleted = fmt.Sprintf("2026-01-01T00:%02d:%02d.000Z", i/60, i%60), i%11 == 0
		exps = append(exps, e)
	}
	queries := []string{"a", "abcd", "train[lr=0.1]", "run-7", "0000", "1000", "20000000000000c8", "2000000000", "zzzz", "000", "1001"}
	keep := func(match func(id, name string) bool) []*Experiment {
		var out []*Experiment
		for _, e := range exps {
			if match(e.ID, e.Name) {
				out = append(out, e)
			}
		}
		return out
	}
	all := keep(Matches(queries...))
	for _, q := range queries {
		want, werr := Resolve(exps, q)
		for _, subset := range [][]*Experiment{keep(Matches(q)), all} {
			got, err := Resolve(subset, q)
			if got != want || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
				t.Errorf("%q: among the matches %v, %v; among all %v, %v", q, got, err, want, werr)
			}
		}
	}
}
