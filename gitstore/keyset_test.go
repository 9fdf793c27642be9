package gitstore

import (
	"slices"
	"sync"
	"testing"

	"github.com/git-exp/git-exp/value"
)

// A KeySet fed from several goroutines at once holds every flattened key of the params and results it was given
// (nested, of documents that are not objects, of experiments that share a shape and of those that do not), and
// hands each out once; EachKey, built on it, stops when told.
func TestKeySet(t *testing.T) {
	docs := [][2]string{
		{`{"lr":0.1,"model":{"depth":3,"name":"a"}}`, `{"acc":0.5}`},
		{`{"lr":0.2,"model":{"depth":4,"name":"b"}}`, `{"acc":0.7}`}, // the same shapes
		{`{"lr":0.1,"model":{"width":8},"tags":[1,2]}`, `{"loss":{"last":1}}`},
		{`{}`, `[1,2]`}, // results that are not an object
		{`{"seed":1}`, ``},
	}
	var exps []*Experiment
	want := map[string]bool{}
	for i := range 400 {
		d := docs[i%len(docs)]
		e := &Experiment{ParamsJSON: []byte(d[0]), ResultsJSON: []byte(d[1])}
		e.Index()
		exps = append(exps, e)
		for k, prefix := range []string{"", "results."} {
			if x, err := value.Unmarshal([]byte(d[k])); err == nil && d[k] != "" {
				for key := range value.Flatten(x) {
					want[prefix+key] = true
				}
			}
		}
	}
	var ks KeySet
	handed := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for _, e := range exps[w*100 : (w+1)*100] {
				ks.Add(e, func(prefix, key string) {
					mu.Lock()
					handed[prefix+key]++
					mu.Unlock()
				})
			}
		})
	}
	wg.Wait()
	got := ks.Keys()
	slices.Sort(got)
	var exp []string
	for k := range want {
		exp = append(exp, k)
		if handed[k] != 1 {
			t.Errorf("key %q handed out %d times", k, handed[k])
		}
	}
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("keys %q, want %q", got, exp)
	}
	n := 0
	EachKey(exps, func(prefix, key string) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("EachKey went on after fn returned false: %d calls", n)
	}
}
