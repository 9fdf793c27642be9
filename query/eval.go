package query

import (
	"path"
	"strconv"
	"strings"
)

// Record is what an expression is evaluated against. Values are JSON-like:
// int, int64, float64, bool, nil, string, []any, map[string]any (other Go
// numeric types, []string and json.Number are accepted too).
type Record struct {
	Params  map[string]any
	Results map[string]any
	// Meta holds id, name, status, tags ([]any of strings), created (RFC
	// 3339 string), duration_s, exit_code, script, batch, user, host, ...
	Meta map[string]any
	// Source, when set, is asked for top-level keys instead of the three
	// maps: a reader can then look up only the keys an expression names,
	// without building maps for every record it tests.
	Source Source
}

// Part is one of the three parts of a record.
type Part int

const (
	PartParams Part = iota
	PartResults
	PartMeta
)

// Source gives the top-level values of a record's parts. Top must behave
// as a lookup in a map: the same key, the same answer.
type Source interface {
	Top(p Part, key string) (any, bool)
}

// top looks up a top-level key of one part.
func (r *Record) top(p Part, key string) (any, bool) {
	if r.Source != nil {
		return r.Source.Top(p, key)
	}
	var m map[string]any
	switch p {
	case PartParams:
		m = r.Params
	case PartResults:
		m = r.Results
	default:
		m = r.Meta
	}
	v, ok := m[key]
	return v, ok
}

// lookup finds a dotted name in one part, trying the whole name as a key
// first and then ever shorter prefixes as keys of nested containers.
func (r *Record) lookup(p Part, name string) (any, bool) {
	if v, ok := r.top(p, name); ok {
		return v, true
	}
	for j := len(name); ; {
		i := strings.LastIndexByte(name[:j], '.')
		if i < 0 {
			return nil, false
		}
		if sub, ok := r.top(p, name[:i]); ok {
			if v, ok := lookupIn(sub, name[i+1:]); ok {
				return v, true
			}
		}
		j = i
	}
}

// Eval reports whether the record satisfies the expression. It never fails:
// a missing key makes a comparison false.
func (e *Expr) Eval(r Record) bool { return e.root.eval(r) }

type qualifier int

const (
	qNone qualifier = iota
	qParams
	qResults
	qMeta
)

// nameRef is a (possibly qualified) dotted name.
type nameRef struct {
	qual        qualifier
	path        string   // the segments after the qualifier joined by "."
	segs        []string // all segments, as written (qualifier included)
	quotedFirst bool     // the first segment was `quoted`
}

func (n *nameRef) resolve(r Record) (any, bool) {
	switch n.qual {
	case qParams:
		return r.lookup(PartParams, n.path)
	case qResults:
		return r.lookup(PartResults, n.path)
	case qMeta:
		return r.lookup(PartMeta, n.path)
	}
	if v, ok := r.lookup(PartParams, n.path); ok {
		return v, true
	}
	if v, ok := r.lookup(PartResults, n.path); ok {
		return v, true
	}
	return r.lookup(PartMeta, n.path)
}

// Lookup resolves a name as the language does: "params.x", "results.x" and
// "meta.x" are qualified; an unqualified name is looked up in the params,
// then the results, then the metadata. Dotted paths descend into maps (and
// into lists by index: "layers.0"); a key that itself contains dots, as in
// flattened params {"model.name": ...}, is found too, the longest matching
// key winning.
func Lookup(r Record, name string) (any, bool) {
	if q, rest, ok := strings.Cut(name, "."); ok {
		switch q {
		case "params":
			return r.lookup(PartParams, rest)
		case "results":
			return r.lookup(PartResults, rest)
		case "meta":
			return r.lookup(PartMeta, rest)
		}
	}
	return (&nameRef{path: name}).resolve(r)
}

func lookupIn(c any, name string) (any, bool) {
	switch x := c.(type) {
	case map[string]any:
		r := Record{Params: x}
		return r.lookup(PartParams, name)
	case []any:
		idx, rest, more := strings.Cut(name, ".")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= len(x) || idx[0] == '+' || idx[0] == '-' {
			return nil, false
		}
		if !more {
			return x[i], true
		}
		return lookupIn(x[i], rest)
	case map[string]string:
		v, ok := x[name]
		return v, ok
	}
	return nil, false
}

type node interface {
	eval(r Record) bool
	format(b *strings.Builder)
}

type orNode []node

func (n orNode) eval(r Record) bool {
	for _, x := range n {
		if x.eval(r) {
			return true
		}
	}
	return false
}

type andNode []node

func (n andNode) eval(r Record) bool {
	for _, x := range n {
		if !x.eval(r) {
			return false
		}
	}
	return true
}

type notNode struct{ x node }

func (n notNode) eval(r Record) bool { return !n.x.eval(r) }

// truthNode is a bare name: true when the value exists and is truthy.
type truthNode struct{ name *nameRef }

func (n *truthNode) eval(r Record) bool {
	v, ok := n.name.resolve(r)
	return ok && truthy(v)
}

type literal struct {
	kind kind // kNull, kBool, kNumber or kString
	num  number
	str  string
	b    bool
	col  int
}

// matches reports typed equality between a value (already classified) and
// the literal.
func (l *literal) matches(v any, k kind, s string, n number) bool {
	if k != l.kind {
		return false
	}
	switch k {
	case kNull:
		return true
	case kNumber:
		c, ok := cmpNum(n, l.num)
		return ok && c == 0
	case kString:
		return s == l.str
	case kBool:
		return toBool(v) == l.b
	}
	return false
}

func matchAny(v any, lits []literal) bool {
	k, s, n := classify(v)
	for i := range lits {
		if lits[i].matches(v, k, s, n) {
			return true
		}
	}
	return false
}

// anyElemMatches reports whether an element of the list v equals one of lits.
func anyElemMatches(v any, lits []literal) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if matchAny(e, lits) {
				return true
			}
		}
		return false
	case []string:
		for _, e := range x {
			if matchAny(e, lits) {
				return true
			}
		}
		return false
	}
	return eachElem(v, func(e any) bool { return matchAny(e, lits) })
}

type cmpNode struct {
	name *nameRef
	op   tokKind
	lit  literal
	lits []literal // just lit, for "contains" on lists
}

func (c *cmpNode) eval(r Record) bool {
	v, ok := c.name.resolve(r)
	if c.lit.kind == kNull {
		isNull := !ok || v == nil
		return isNull == (c.op == tEq)
	}
	if !ok || v == nil {
		return false
	}
	k, s, n := classify(v)
	if k == kList {
		// On a list (tags), == means "contains" and != "does not contain".
		switch c.op {
		case tEq:
			return anyElemMatches(v, c.lits)
		case tNe:
			return !anyElemMatches(v, c.lits)
		}
		return false
	}
	var cmp int
	switch c.lit.kind {
	case kNumber:
		if k != kNumber {
			return c.op == tNe
		}
		var ok bool
		if cmp, ok = cmpNum(n, c.lit.num); !ok {
			return c.op == tNe
		}
	case kString:
		if k != kString {
			return c.op == tNe
		}
		cmp = strings.Compare(s, c.lit.str)
	case kBool:
		if k != kBool {
			return c.op == tNe
		}
		return (toBool(v) == c.lit.b) == (c.op == tEq)
	}
	switch c.op {
	case tEq:
		return cmp == 0
	case tNe:
		return cmp != 0
	case tLt:
		return cmp < 0
	case tLe:
		return cmp <= 0
	case tGt:
		return cmp > 0
	case tGe:
		return cmp >= 0
	}
	return false
}

type inNode struct {
	name *nameRef
	neg  bool
	list []literal
}

func (n *inNode) eval(r Record) bool {
	v, ok := n.name.resolve(r)
	if !ok || v == nil {
		// Missing: "in" holds only if the list has null; "not in" never.
		if n.neg {
			return false
		}
		for _, l := range n.list {
			if l.kind == kNull {
				return true
			}
		}
		return false
	}
	var found bool
	if k, _, _ := classify(v); k == kList {
		found = anyElemMatches(v, n.list)
	} else {
		found = matchAny(v, n.list)
	}
	return found != n.neg
}

type globNode struct {
	name *nameRef
	pat  string
}

func (n *globNode) eval(r Record) bool {
	v, ok := n.name.resolve(r)
	if !ok || v == nil {
		return false
	}
	match := func(e any) bool {
		k, s, _ := classify(e)
		if k != kString {
			return false
		}
		m, _ := path.Match(n.pat, s)
		return m
	}
	if k, _, _ := classify(v); k == kList {
		return eachElem(v, match)
	}
	return match(v)
}

// Formatting (Expr.String).

func (n orNode) format(b *strings.Builder) {
	for i, x := range n {
		if i > 0 {
			b.WriteString(" or ")
		}
		_, paren := x.(orNode)
		formatChild(b, x, paren)
	}
}

func (n andNode) format(b *strings.Builder) {
	for i, x := range n {
		if i > 0 {
			b.WriteString(" and ")
		}
		formatChild(b, x, isBinary(x))
	}
}

func (n notNode) format(b *strings.Builder) {
	b.WriteString("not ")
	formatChild(b, n.x, isBinary(n.x))
}

func isBinary(x node) bool {
	switch x.(type) {
	case orNode, andNode:
		return true
	}
	return false
}

func formatChild(b *strings.Builder, x node, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	x.format(b)
	if paren {
		b.WriteByte(')')
	}
}

func (n *truthNode) format(b *strings.Builder) { n.name.format(b) }

func (c *cmpNode) format(b *strings.Builder) {
	c.name.format(b)
	b.WriteString(" " + opText[c.op] + " ")
	c.lit.format(b)
}

func (n *inNode) format(b *strings.Builder) {
	n.name.format(b)
	if n.neg {
		b.WriteString(" not")
	}
	b.WriteString(" in [")
	for i := range n.list {
		if i > 0 {
			b.WriteString(", ")
		}
		n.list[i].format(b)
	}
	b.WriteByte(']')
}

func (n *globNode) format(b *strings.Builder) {
	n.name.format(b)
	b.WriteString(" ~ ")
	b.WriteString(strconv.Quote(n.pat))
}

func (l *literal) format(b *strings.Builder) {
	switch l.kind {
	case kNull:
		b.WriteString("null")
	case kBool:
		b.WriteString(strconv.FormatBool(l.b))
	case kNumber:
		b.WriteString(l.num.String())
	case kString:
		b.WriteString(strconv.Quote(l.str))
	}
}

func (n *nameRef) format(b *strings.Builder) {
	for i, s := range n.segs {
		if i > 0 {
			b.WriteByte('.')
		}
		var quote bool
		if i == 0 {
			_, kw := keyword(s)
			quote = kw || !isBareName(s, false) ||
				n.qual == qNone && len(n.segs) > 1 && (s == "params" || s == "results" || s == "meta")
		} else {
			quote = !isBareName(s, true)
		}
		if quote {
			b.WriteString("`" + s + "`")
		} else {
			b.WriteString(s)
		}
	}
}

// isBareName reports whether s can be written without backticks: as the
// first segment of a name (an identifier) or after a dot (segment).
func isBareName(s string, segment bool) bool {
	for i, r := range s {
		if i == 0 && !(isIdentStart(r) || segment && isDigit(r)) {
			return false
		}
		if !isIdentChar(r) {
			return false
		}
	}
	return s != ""
}
