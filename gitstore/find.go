package gitstore

import (
	"errors"
	"runtime"
	"sync"
)

// Find returns the experiments of the stream (deleted ones left out) whose id and name match accepts, each a copy of
// its own, newest first. Only ids and names are read for the rest: the base's experiments are not decoded
// unless they match, so naming one experiment of 1,000,000 (git exp show ID) reads two fields of each off the file
// (tens of milliseconds) instead of decoding them all (most of a second, and 630 MB).
func (st *Stream) Find(match func(id, name string) bool) (found []*Experiment, err error) {
	for _, e := range st.list {
		if !e.Deleted && match(e.ID, e.Name) {
			cp := *e
			found = append(found, &cp)
		}
	}
	bf := st.bf
	if bf == nil {
		return found, nil
	}
	// The blocks are walked on every core (a name refers only to names of its own block), each core a run of them.
	workers := max(1, min(runtime.GOMAXPROCS(0), 8, bf.blocks))
	hits := make([][]int, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := bf.blocks*w/workers*cacheBlock, min(bf.blocks*(w+1)/workers*cacheBlock, bf.n)
		wg.Go(func() {
			errs[w] = bf.names(lo, hi, func(i int, id, name string) {
				if match(id, name) && !st.drop[id] {
					hits[w] = append(hits[w], i)
				}
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var fromBase []*Experiment
	for _, h := range hits {
		for _, i := range h {
			e, err := bf.experimentAt(i)
			if err != nil {
				return nil, err
			}
			if !e.Deleted {
				fromBase = append(fromBase, e)
			}
		}
	}
	return mergeNewest(found, fromBase), nil // the delta's and the base's, newest first
}

// names calls fn with the index, id and name of experiments lo to hi of the base (lo at the start of a block), in
// order. A name is the third field of an experiment, written as a reference to the name of the one before it in its
// block (the same, or its own), so the experiments of a block are walked in order; the end table gives where each
// starts. A corrupt file is errCache, never a panic (the blocks' checksums were checked when the stream was made).
func (bf *baseFile) names(lo, hi int, fn func(i int, id, name string)) (err error) {
	defer func() {
		if recover() != nil {
			err = errCache
		}
	}()
	d := bf.decoder()
	name := ""
	for i := lo; i < hi; i++ {
		if i%cacheBlock == 0 {
			name = noExperiment.Name
		}
		d.i = bf.offset(i)
		d.varint() // format
		id := d.str()
		name = d.ref(name)
		if d.err != nil {
			return errCache
		}
		fn(i, id, name)
	}
	return nil
}
