package gitstore

import (
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/git-exp/git-exp/value"
)

// Filters and sorts over 100,000 experiments look up a few top-level keys of each one's params and results. They
// scan the stored JSON for the key and decode only its value: no map is built, and the cache keeps nothing beside
// the JSON (it kept a typed copy of every top-level value before, 9% of it). The scan trusts the JSON's syntax, so
// it runs only on JSON that value.Unmarshal read as an object when the experiment was read from git (Index).

// Bits of Experiment.objects: which documents are JSON objects that value.Unmarshal reads.
const (
	objParams uint8 = 1 << iota
	objResults
	// canonParams and canonResults: the document is written as value.AppendJSON writes it (canonical in doc.go),
	// so --json copies it and its k=v form is read off it without decoding.
	canonParams
	canonResults
)

// Index records which of e's params and results are JSON objects value.Unmarshal reads, for LookupParam and
// LookupResult. Readers call it for every experiment they read from the store; on an experiment made another way
// the lookups report invalid, and the caller decodes the JSON.
func (e *Experiment) Index() {
	e.objects = 0
	// A canonical object is one value.Unmarshal reads (checked without decoding it); others are decoded to know.
	if isCanonical(e.ParamsJSON) {
		e.objects |= canonParams | objParams
	} else if isObject(e.ParamsJSON) {
		e.objects |= objParams
	}
	if isCanonical(e.ResultsJSON) {
		e.objects |= canonResults | objResults
	} else if isObject(e.ResultsJSON) {
		e.objects |= objResults
	}
}

func isCanonical(raw []byte) bool {
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	end, ok := canonical(raw, 0, 0)
	return ok && end == len(raw)
}

func isObject(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	v, err := value.Unmarshal(raw)
	_, ok := v.(map[string]any)
	return err == nil && ok
}

// LookupParam finds the top-level key of the parameters and decodes its value as value.Unmarshal would (ints as
// int, other numbers as float64, nested values as trees). valid is false when the parameters were not indexed as
// a JSON object (Index); the caller then decodes the JSON.
func (e *Experiment) LookupParam(key string) (val any, found, valid bool) {
	if e.objects&objParams == 0 {
		return nil, false, false
	}
	return lookupJSON(e.ParamsJSON, key, e.objects&canonParams != 0)
}

// LookupResult is LookupParam of the results.
func (e *Experiment) LookupResult(key string) (val any, found, valid bool) {
	if e.objects&objResults == 0 {
		return nil, false, false
	}
	return lookupJSON(e.ResultsJSON, key, e.objects&canonResults != 0)
}

// lookupJSON scans raw, a JSON object that value.Unmarshal reads, for key (the last one wins, as when decoding). In a
// canonical object (sorted keys, none twice, no escapes) the scan ends at the key or at the first key after it.
func lookupJSON(raw []byte, key string, canon bool) (any, bool, bool) {
	i := jsonSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false, false
	}
	i = jsonSpace(raw, i+1)
	hitStart, hitEnd := -1, -1
	for i < len(raw) && raw[i] != '}' {
		if raw[i] != '"' {
			return nil, false, false
		}
		ks := i
		i = skipString(raw, i)
		if i < 0 {
			return nil, false, false
		}
		hit := keyEquals(raw[ks:i], key)
		if canon && !hit && string(raw[ks+1:i-1]) > key {
			break
		}
		i = jsonSpace(raw, i)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false, false
		}
		i = jsonSpace(raw, i+1)
		vs := i
		if i = skipValue(raw, i); i < 0 {
			return nil, false, false
		}
		if hit {
			hitStart, hitEnd = vs, i
			if canon {
				break
			}
		}
		i = jsonSpace(raw, i)
		if i < len(raw) && raw[i] == ',' {
			i = jsonSpace(raw, i+1)
		}
	}
	if hitStart < 0 {
		return nil, false, true
	}
	v := raw[hitStart:hitEnd]
	if v[0] == '"' && len(v) >= 2 { // a plain string: taken from raw, which is never modified
		s := v[1 : len(v)-1]
		plain := true
		for _, c := range s {
			if c == '\\' || c >= utf8.RuneSelf {
				plain = false
				break
			}
		}
		if plain {
			return unsafe.String(unsafe.SliceData(s), len(s)), true, true
		}
	}
	if isInt, ok := jsonNumber(v); ok { // what filters and sorts look up most: as value.Unmarshal reads it
		return value.NumberValue(unsafe.String(unsafe.SliceData(v), len(v)), isInt), true, true
	}
	x, err := value.Unmarshal(v)
	if err != nil {
		return nil, false, false
	}
	return x, true, true
}

// keyEquals reports whether the quoted JSON string q is key.
func keyEquals(q []byte, key string) bool {
	s := q[1 : len(q)-1]
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			k, err := value.Unmarshal(q)
			return err == nil && k == key
		}
	}
	return string(s) == key
}

func jsonSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at b[i] (a quote), -1 when it does not end.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the value that starts at b[i], -1 when it does not end.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				if j = skipString(b, j); j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// EachKey calls fn with every flattened key (value.Flatten) of the params (prefix "") and the results (prefix
// "results.") of exps, each key once per part, until fn returns false. It decodes one document per distinct shape
// of keys (the keys and their nesting, without the values): the thousands of experiments of a sweep share a few.
func EachKey(exps []*Experiment, fn func(prefix, key string) bool) {
	var ks KeySet
	for _, e := range exps {
		if !ks.add(e, fn) {
			return
		}
	}
}

// KeySet gathers the flattened keys of the params and results of experiments (as EachKey), added from any
// goroutine: a listing notes them as it streams. The zero KeySet is empty.
type KeySet struct {
	mu   sync.Mutex
	seen map[string]bool // shapes decoded
	done map[string]bool // keys handed out, prefix+key
}

// Add adds e's keys to the set and calls fn, with the set locked, with each of them that it did not have.
func (ks *KeySet) Add(e *Experiment, fn func(prefix, key string)) {
	ks.add(e, func(prefix, key string) bool { fn(prefix, key); return true })
}

// Keys returns the keys of the set, each as prefix+key ("lr", "results.acc"), in no order.
func (ks *KeySet) Keys() []string {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	out := make([]string, 0, len(ks.done))
	for k := range ks.done {
		out = append(out, k)
	}
	return out
}

// add is Add, stopping when fn returns false (then add returns false).
func (ks *KeySet) add(e *Experiment, fn func(prefix, key string) bool) bool {
	var stack [256]byte
	buf := stack[:0]
	for _, part := range [2]struct {
		prefix string
		raw    []byte
		obj    bool
	}{{"", e.ParamsJSON, e.objects&objParams != 0}, {"results.", e.ResultsJSON, e.objects&objResults != 0}} {
		if len(part.raw) == 0 {
			continue
		}
		buf = append(buf[:0], part.prefix...)
		if part.obj {
			buf, _ = appendShape(buf, part.raw, jsonSpace(part.raw, 0))
		} else {
			buf = append(append(buf, 0), part.raw...)
		}
		if !ks.addShape(buf, part.prefix, part.raw, fn) {
			return false
		}
	}
	return true
}

// addShape hands fn the keys of raw, a document of shape, when the set has not seen the shape.
func (ks *KeySet) addShape(shape []byte, prefix string, raw []byte, fn func(prefix, key string) bool) bool {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.seen[string(shape)] {
		return true
	}
	if ks.seen == nil {
		ks.seen, ks.done = map[string]bool{}, map[string]bool{}
	}
	ks.seen[string(shape)] = true
	x, err := value.Unmarshal(raw)
	if err != nil {
		return true
	}
	for k := range value.Flatten(x) {
		if !ks.done[prefix+k] {
			ks.done[prefix+k] = true
			if !fn(prefix, k) {
				return false
			}
		}
	}
	return true
}

// appendShape appends the shape of the object at raw[i] (trusted JSON, as lookupJSON): its keys as written, and
// for each value that is an object its shape, else nothing. It returns the index after the object.
func appendShape(dst, raw []byte, i int) ([]byte, int) {
	dst = append(dst, '{')
	i = jsonSpace(raw, i+1)
	for i < len(raw) && raw[i] != '}' {
		ks := i
		if i = skipString(raw, i); i < 0 {
			return dst, len(raw)
		}
		dst = append(dst, raw[ks:i]...)
		i = jsonSpace(raw, jsonSpace(raw, i)+1) // past ':'
		if i < len(raw) && raw[i] == '{' {
			dst, i = appendShape(dst, raw, i)
		} else if i = skipValue(raw, i); i < 0 {
			return dst, len(raw)
		}
		dst = append(dst, ',')
		if i = jsonSpace(raw, i); i < len(raw) && raw[i] == ',' {
			i = jsonSpace(raw, i+1)
		}
	}
	return append(dst, '}'), i + 1
}

// jsonNumber reports whether b is exactly one JSON number, and whether it is written as an integer (no fraction, no
// exponent): value.Unmarshal's rule for reading an int.
func jsonNumber(b []byte) (isInt, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		i++
		isInt = false
		if digits() == 0 {
			return false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		isInt = false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false, false
		}
	}
	return isInt, i == len(b)
}
