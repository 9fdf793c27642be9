package gitstore

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/git-exp/git-exp/value"
)

// AppendDoc appends the documented --json object of e (README "--json fields") without short_id: the manifest's
// fields as encoding/json writes them (without runner; tags, argv and git.skipped as [] when empty), "archived",
// then "params" and "results" as the value package writes them ({} when absent or not a JSON object).
//
// It is derived on demand, for the rows a listing prints, instead of being kept in the cache (it was half of it). It
// writes exactly what json.Encoder with SetEscapeHTML(false) wrote of the same view: docref_test.go checks it
// against that encoder, byte for byte.
func (e *Experiment) AppendDoc(b []byte) []byte {
	var w DocWriter
	return w.AppendMembers(append(b, '{'), e)
}

// DocWriter appends the --json objects of many experiments in turn (AppendDoc): a string that is the very one the
// experiment before had in the same field (the cache shares them: host, user, script, status...), and needed no
// escape there, is copied without being looked at again. The zero value is ready; one goroutine uses it, over
// experiments that stay as they are meanwhile.
type DocWriter struct {
	last  [21]string  // by field, as numbered in AppendMembers
	lists [3][]string // tags, argv, git.skipped
}

// AppendMembers appends AppendDoc's object of e but its opening brace: a caller that writes members of its own
// first (cli's short_id) writes the brace and those, then these, instead of moving the object to make room.
func (w *DocWriter) AppendMembers(b []byte, e *Experiment) []byte {
	m := &e.Manifest
	b = append(b, `"format":`...)
	b = strconv.AppendInt(b, int64(m.Format), 10)
	b = w.str(b, `,"id":`, m.ID, 0)
	b = w.str(b, `,"name":`, m.Name, 1)
	b = w.str(b, `,"description":`, m.Description, 2)
	b = w.strs(b, `,"tags":`, m.Tags, 0)
	b = w.str(b, `,"status":`, m.Status, 3)
	b = w.str(b, `,"script":`, m.Script, 4)
	b = w.strs(b, `,"argv":`, m.Argv, 1)
	if m.Cwd != "" {
		b = w.str(b, `,"cwd":`, m.Cwd, 5)
	}
	b = w.str(b, `,"executor":`, m.Executor, 6)
	b = w.str(b, `,"host":`, m.Host, 7)
	b = w.str(b, `,"user":`, m.User, 8)
	if m.Email != "" {
		b = w.str(b, `,"email":`, m.Email, 9)
	}
	b = w.str(b, `,"created":`, m.Created, 10)
	b = w.str(b, `,"started":`, m.Started, 11)
	b = w.str(b, `,"ended":`, m.Ended, 12)
	b = w.str(b, `,"updated":`, m.Updated, 13)
	b = append(b, `,"duration_s":`...)
	b = docFloat(b, m.DurationS)
	b = append(b, `,"exit_code":`...)
	if m.ExitCode == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*m.ExitCode), 10)
	}
	b = w.str(b, `,"error":`, m.Error, 14)
	b = w.str(b, `,"batch":`, m.Batch, 15)
	b = w.str(b, `,"parent":`, m.Parent, 16)
	if m.Attempt != 0 {
		b = append(b, `,"attempt":`...)
		b = strconv.AppendInt(b, int64(m.Attempt), 10)
	}
	if m.Seq != 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, int64(m.Seq), 10)
	}
	g := &m.Git
	b = w.str(b, `,"git":{"head":`, g.Head, 17)
	b = w.str(b, `,"branch":`, g.Branch, 18)
	b = append(b, `,"dirty":`...)
	b = strconv.AppendBool(b, g.Dirty)
	b = w.str(b, `,"remote":`, g.Remote, 19)
	b = w.str(b, `,"snapshot":`, g.Snapshot, 20)
	b = w.strs(b, `,"skipped":`, g.Skipped, 2)
	if len(g.Submodules) > 0 {
		b = append(b, `,"submodules":[`...)
		for i, s := range g.Submodules {
			if i > 0 {
				b = append(b, ',')
			}
			b = docStr(b, `{"path":`, s.Path)
			b = docStr(b, `,"commit":`, s.Commit)
			b = append(b, `,"dirty":`...)
			b = strconv.AppendBool(b, s.Dirty)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	if len(m.Sources) > 0 {
		b = append(b, `,"param_sources":[`...)
		for i, s := range m.Sources {
			if i > 0 {
				b = append(b, ',')
			}
			b = docStr(b, `{"kind":`, s.Kind)
			if s.Path != "" {
				b = docStr(b, `,"path":`, s.Path)
			}
			if len(s.Keys) > 0 {
				b = docStrs(b, `,"keys":`, s.Keys)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(m.Extra) > 0 {
		keys := make([]string, 0, len(m.Extra))
		for k := range m.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"extra":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = appendJSONString(append(b, ':'), m.Extra[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"archived":`...)
	b = strconv.AppendBool(b, e.Archived)
	b = append(b, `,"params":`...)
	if e.objects&canonParams != 0 {
		b = append(b, e.ParamsJSON...)
	} else {
		b = appendObject(b, e.ParamsJSON)
	}
	b = append(b, `,"results":`...)
	if e.objects&canonResults != 0 {
		b = append(b, e.ResultsJSON...)
	} else {
		b = appendObject(b, e.ResultsJSON)
	}
	return append(b, '}')
}

// appendObject appends stored JSON as the value package writes it when it is an object, else {}. JSON that is
// already in that form (what git-exp itself stores: compact, keys sorted, numbers as the value package writes them)
// is copied as it is, without decoding.
func appendObject(b, raw []byte) []byte {
	if len(raw) > 0 && raw[0] == '{' {
		if end, ok := canonical(raw, 0, 0); ok && end == len(raw) {
			return append(b, raw...)
		}
	}
	if len(raw) > 0 {
		if x, err := value.Unmarshal(raw); err == nil {
			if m, ok := x.(map[string]any); ok {
				if out, err := value.AppendJSON(b, m); err == nil {
					return out
				}
			}
		}
	}
	return append(b, "{}"...)
}

func docStr(b []byte, key, s string) []byte { return appendJSONString(append(b, key...), s) }

// str is docStr of field k: copied when it is the string the experiment before had there and it needed no escape.
func (w *DocWriter) str(b []byte, key, s string, k int) []byte {
	b = append(b, key...)
	if l := w.last[k]; len(l) == len(s) && unsafe.StringData(l) == unsafe.StringData(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	n := len(b)
	b = appendJSONString(b, s)
	w.last[k] = ""
	if len(b)-n == len(s)+2 { // nothing escaped (every escape is longer than what it stands for)
		w.last[k] = s
	}
	return b
}

// strs is docStrs of list k, as str.
func (w *DocWriter) strs(b []byte, key string, l []string, k int) []byte {
	if p := w.lists[k]; len(p) == len(l) && len(l) > 0 && &p[0] == &l[0] {
		b = append(b, key...)
		b = append(b, '[')
		for i, s := range l {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, s...)
			b = append(b, '"')
		}
		return append(b, ']')
	}
	n := len(b)
	b = docStrs(b, key, l)
	plain := len(key) + 2 + max(0, len(l)-1)
	for _, s := range l {
		plain += len(s) + 2
	}
	w.lists[k] = nil
	if len(b)-n == plain {
		w.lists[k] = l
	}
	return b
}

func docStrs(b []byte, key string, l []string) []byte {
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// docFloat writes a float64 as encoding/json does (shortest form; exponent below 1e-6 and from 1e21); the
// non-finite values, which encoding/json refuses, as the value package's tokens.
func docFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return value.AppendFloat(b, f, 64)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// plainJSON8 reports whether none of the 8 bytes of x needs escaping in a JSON string: no control character, no
// '"', no '\\' and nothing outside ASCII (which appendJSONString checks rune by rune).
func plainJSON8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	if x&hi != 0 {
		return false
	}
	ctrl := (x - 0x20*lo) & ^x & hi // a byte below 0x20 (every byte is below 0x80 here)
	q := x ^ '"'*lo
	q = (q - lo) & ^q & hi // a byte equal to '"'
	bs := x ^ '\\'*lo
	bs = (bs - lo) & ^bs & hi // a byte equal to '\\'
	return ctrl|q|bs == 0
}

// appendJSONString quotes s as encoding/json does without HTML escaping: \" \\ \b \f \n \r \t, other control
// characters as \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	raw := unsafe.Slice(unsafe.StringData(s), len(s))
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs escaping (the common case: listing 1,000,000 experiments spent a
		// third of its CPU here a byte at a time).
		for i+8 <= len(raw) && plainJSON8(binary.LittleEndian.Uint64(raw[i:])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// canonical reports whether the value at raw[i] is written exactly as value.AppendJSON writes what value.Unmarshal
// reads from it, and where it ends. It allocates nothing; false sends the caller to decode and encode.
func canonical(raw []byte, i, depth int) (int, bool) {
	if i >= len(raw) || depth > 100 {
		return i, false
	}
	switch c := raw[i]; {
	case c == '{':
		i++
		var last []byte
		for first := true; ; first = false {
			if i < len(raw) && raw[i] == '}' {
				return i + 1, true
			}
			if !first {
				if i >= len(raw) || raw[i] != ',' {
					return i, false
				}
				i++
			}
			ks := i
			end, ok := canonicalString(raw, i)
			if !ok {
				return i, false
			}
			key := raw[ks+1 : end-1]
			if !first && string(key) <= string(last) { // sorted, no duplicates
				return i, false
			}
			last = key
			if i = end; i >= len(raw) || raw[i] != ':' {
				return i, false
			}
			if i, ok = canonical(raw, i+1, depth+1); !ok {
				return i, false
			}
		}
	case c == '[':
		i++
		for first := true; ; first = false {
			if i < len(raw) && raw[i] == ']' {
				return i + 1, true
			}
			if !first {
				if i >= len(raw) || raw[i] != ',' {
					return i, false
				}
				i++
			}
			var ok bool
			if i, ok = canonical(raw, i, depth+1); !ok {
				return i, false
			}
		}
	case c == '"':
		return canonicalString(raw, i)
	}
	// a literal or a number: up to the next delimiter
	j := i
	for j < len(raw) && raw[j] != ',' && raw[j] != '}' && raw[j] != ']' {
		j++
	}
	tok := raw[i:j]
	switch string(tok) {
	case "true", "false", "null", "NaN", "Infinity", "-Infinity":
		return j, true
	case "":
		return j, false
	}
	if ok, sure := plainNumber(tok); sure {
		return j, ok
	}
	var scratch [32]byte
	isInt := true
	for _, c := range tok {
		if c == '.' || c == 'e' || c == 'E' {
			isInt = false
			break
		}
	}
	s := unsafe.String(unsafe.SliceData(tok), len(tok))
	if isInt {
		n, err := strconv.ParseInt(s, 10, 64)
		return j, err == nil && string(strconv.AppendInt(scratch[:0], n, 10)) == s
	}
	f, err := strconv.ParseFloat(s, 64)
	return j, err == nil && string(value.AppendFloat(scratch[:0], f, 64)) == s
}

// plainNumber tells, without parsing it, whether tok is a number written as canonical says, for the numbers of at
// most 15 digits that git-exp's params and results mostly hold (3, -12, 0.001, 2.5, 100.0); sure is false for any
// other token, which canonical then parses and writes again (strconv: half of checking a params.json). A decimal
// of at most 15 significant digits is the only one of at most that many digits to read as its float64, so the
// shortest form that reads back (strconv's, value.AppendFloat's) has its digits: the token is that form when it has
// no leading zero, no trailing zero but in "X.0" (an integral float), and no exponent, and is not below 1e-6 (then
// written with one). FuzzPlainNumber checks it against parsing.
func plainNumber(tok []byte) (canonical, sure bool) {
	i := 0
	if len(tok) > 0 && tok[0] == '-' {
		i = 1
	}
	intStart := i
	for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
		i++
	}
	intDigits := i - intStart
	if intDigits == 0 || intDigits > 15 || tok[intStart] == '0' && intDigits > 1 {
		return false, false
	}
	if i == len(tok) { // an integer
		return true, !(intStart == 1 && tok[1] == '0') // -0 is 0
	}
	if tok[i] != '.' {
		return false, false
	}
	i++
	frac := tok[i:]
	if len(frac) == 0 || intDigits+len(frac) > 15 {
		return false, false
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return false, false
		}
	}
	if tok[intStart] == '0' { // 0.x: not 0 (-0.0 and 0.0 are parsed), not below 1e-6
		zeros := 0
		for zeros < len(frac) && frac[zeros] == '0' {
			zeros++
		}
		if zeros == len(frac) || zeros > 5 {
			return false, false
		}
	}
	if frac[len(frac)-1] == '0' {
		if len(frac) == 1 && tok[intStart] != '0' { // X.0
			return true, true
		}
		return false, false
	}
	return true, true
}

// canonicalString reports whether the string at raw[i] is written as value.AppendString writes it (without
// escapes, control characters, U+2028 or U+2029, in valid UTF-8), and where it ends.
func canonicalString(raw []byte, i int) (int, bool) {
	if i >= len(raw) || raw[i] != '"' {
		return i, false
	}
	for j := i + 1; j < len(raw); {
		c := raw[j]
		switch {
		case c == '"':
			return j + 1, true
		case c == '\\' || c < 0x20:
			return j, false
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(raw[j:])
			if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
				return j, false
			}
			j += size
		}
	}
	return len(raw), false
}

// appendKV appends the "k=v k=v" form (value.CompactKV of value.Flatten) of the canonical object raw to b (where
// the form began at start), read off the JSON in one pass: in a canonical object the keys are sorted, and so are the
// flattened keys as long as no key holds '.' or a byte below it (then ok is false, as for a float that value.Format
// writes otherwise than JSON does, and the caller decodes). A canonical string holds no escape, so it ends at the
// next '"'. On JSON that is not canonical it returns some bytes and false, never panics.
func appendKV(b, raw []byte, start int) (out []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '{' {
		return b, false
	}
	var pbuf [128]byte
	prefix := pbuf[:0] // the keys of the maps around, each followed by '.'
	var outer [32]int  // len(prefix) outside each map entered
	depth := 0
	for i := 1; ; {
		if i >= len(raw) {
			return b, false
		}
		switch raw[i] {
		case '}':
			if depth == 0 {
				return b, i+1 == len(raw)
			}
			depth--
			prefix = prefix[:outer[depth]]
			i++
			continue
		case ',':
			i++
		}
		// "key": its bytes are above '.', up to the '"' (0x22) that ends it
		if i >= len(raw) || raw[i] != '"' {
			return b, false
		}
		k := i + 1
		j := k
		for j < len(raw) && raw[j] > '.' {
			j++
		}
		if j == k || j+2 >= len(raw) || raw[j] != '"' || raw[j+1] != ':' {
			return b, false
		}
		key := raw[k:j]
		i = j + 2
		c := raw[i]
		if c == '{' && raw[i+1] != '}' { // a map with keys: flattened
			if depth == len(outer) {
				return b, false
			}
			outer[depth] = len(prefix)
			depth++
			prefix = append(append(prefix, key...), '.')
			i++
			continue
		}
		if len(b) > start {
			b = append(b, ' ')
		}
		b = append(append(append(b, prefix...), key...), '=')
		switch {
		case c == '"':
			e := bytes.IndexByte(raw[i+1:], '"')
			if e < 0 {
				return b, false
			}
			b = append(b, raw[i+1:i+1+e]...)
			i += e + 2
		case c == '[' || c == '{': // lists and {}
			e := skipValue(raw, i)
			if e < 0 {
				return b, false
			}
			b = append(b, raw[i:e]...)
			i = e
		default: // numbers, true, false, null, NaN, Infinity: up to the next ',' or '}'
			e, dot, exp := i, -1, false
			for ; e < len(raw); e++ {
				d := raw[e]
				if d == ',' || d == '}' {
					break
				}
				if d == '.' {
					dot = e
				}
				exp = exp || d == 'e' || d == 'E'
			}
			if (c == '-' || c >= '0' && c <= '9') && (exp || dot >= 0 && !plainFloat(raw[i:e], dot-i)) {
				return b, false
			}
			b = append(b, raw[i:e]...)
			i = e
		}
	}
}

// plainFloat reports whether value.Format writes the canonical JSON number v, a float without an exponent whose '.'
// is at v[dot], as it is: in plain notation from 1e-4 up to 1e16 (an integer always is, one with an exponent never).
func plainFloat(v []byte, dot int) bool {
	digits := dot
	if v[0] == '-' {
		digits--
	}
	if digits > 16 { // 1e16 and above
		return false
	}
	if digits == 1 && v[dot-1] == '0' { // 0.x: below 1e-4 from 0.0000 on
		zeros := 0
		frac := v[dot+1:]
		for zeros < len(frac) && frac[zeros] == '0' {
			zeros++
		}
		return zeros < 4 || zeros == len(frac) // 0.0 and -0.0 are written so too
	}
	return true
}
