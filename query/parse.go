package query

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of parentheses and "not"s.
const maxDepth = 500

// Expr is a compiled --where expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	src  string
	root node
	keys []string
}

// Parse compiles an expression. A syntax error is an *Error that points at
// the column where the problem is.
func Parse(expr string) (*Expr, error) {
	p := &parser{lx: lexer{src: expr, col: 1}}
	if err := p.next(); err != nil {
		return nil, err
	}
	root, err := p.parseOr(nil)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpectedAfterExpr(false)
	}
	return &Expr{src: expr, root: root, keys: p.keys}, nil
}

// String returns the expression in canonical form: keywords in lower case,
// "and"/"or"/"not" for "&&"/"||"/"!", strings double-quoted, and only the
// parentheses that are needed. Parsing it gives the same expression.
func (e *Expr) String() string {
	var b strings.Builder
	e.root.format(&b)
	return b.String()
}

// Keys returns the keys the expression refers to, in order of first
// appearance, as written (qualified or not), with segments joined by dots:
// for `lr > 0.01 and results.acc >= 0.9` they are "lr" and "results.acc".
func (e *Expr) Keys() []string { return slices.Clone(e.keys) }

type parser struct {
	lx       lexer
	tok      token
	depth    int
	lastBare bool // the last comparison parsed was a bare name
	keys     []string
	seen     map[string]bool
}

func (p *parser) next() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errAt(col int, msg, hint string) *Error {
	return &Error{Message: msg, Hint: hint, Expr: p.lx.src, col: col}
}

// expected builds `expected WHAT [after "PREV"][, found TOKEN]` at the
// current token.
func (p *parser) expected(what string, after *token, hint string) *Error {
	msg := "expected " + what
	if after != nil {
		msg += " after " + strconv.Quote(after.text)
	}
	if p.tok.kind != tEOF {
		msg += ", found " + p.tok.describe()
	}
	return p.errAt(p.tok.col, msg, hint)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(p.tok.col, "expression is nested too deeply", "")
	}
	return nil
}

// unexpectedAfterExpr reports a token that cannot follow a complete
// comparison: at the top level (inParen false) or inside parentheses.
func (p *parser) unexpectedAfterExpr(inParen bool) *Error {
	if p.tok.kind == tRParen && !inParen {
		return p.errAt(p.tok.col, `unexpected ")" without a matching "("`, "")
	}
	var want []string
	if p.lastBare {
		want = append(want, "an operator")
	}
	want = append(want, `"and"`, `"or"`)
	if inParen {
		want = append(want, `")"`)
	}
	what := strings.Join(want[:len(want)-1], ", ") + " or " + want[len(want)-1]
	hint := ""
	if p.tok.kind == tNot && p.lastBare {
		hint = `did you mean "not in"?`
	}
	return p.expected(what, nil, hint)
}

// or = and { "or" and }
func (p *parser) parseOr(after *token) (node, error) {
	n, err := p.parseAnd(after)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tOr {
		return n, nil
	}
	list := orNode{n}
	for p.tok.kind == tOr {
		op := p.tok
		if err := p.next(); err != nil {
			return nil, err
		}
		m, err := p.parseAnd(&op)
		if err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, nil
}

// and = not { "and" not }
func (p *parser) parseAnd(after *token) (node, error) {
	n, err := p.parseNot(after)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tAnd {
		return n, nil
	}
	list := andNode{n}
	for p.tok.kind == tAnd {
		op := p.tok
		if err := p.next(); err != nil {
			return nil, err
		}
		m, err := p.parseNot(&op)
		if err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, nil
}

// not = "not" not | cmp
func (p *parser) parseNot(after *token) (node, error) {
	switch p.tok.kind {
	case tNot:
		op := p.tok
		if err := p.enter(); err != nil {
			return nil, err
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.parseNot(&op)
		if err != nil {
			return nil, err
		}
		p.depth--
		return notNode{x}, nil
	case tLParen, tName, tQName:
		return p.parseCmp()
	}
	if p.tok.kind == tEOF && after == nil {
		return nil, p.errAt(p.tok.col, "empty expression", `write a condition such as lr > 0.01`)
	}
	hint := ""
	switch p.tok.kind {
	case tNumber, tString, tTrue, tFalse, tNull:
		hint = "a comparison starts with a name, as in lr > 0.01"
	}
	return nil, p.expected(`a name, "not" or "("`, after, hint)
}

// cmp = primary [ op value | [ "not" ] "in" list | "~" string ]
func (p *parser) parseCmp() (node, error) {
	if p.tok.kind == tLParen {
		open := p.tok
		if err := p.enter(); err != nil {
			return nil, err
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.parseOr(&open)
		if err != nil {
			return nil, err
		}
		p.depth--
		if p.tok.kind == tEOF {
			return nil, p.errAt(p.tok.col, `expected ")" to close "("`, `the "(" is at column `+strconv.Itoa(open.col))
		}
		if p.tok.kind != tRParen {
			return nil, p.unexpectedAfterExpr(true)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		p.lastBare = false
		switch p.tok.kind {
		case tEq, tNe, tLt, tLe, tGt, tGe, tIn, tMatch:
			return nil, p.errAt(p.tok.col, strconv.Quote(p.tok.text)+" cannot follow a parenthesized expression",
				"compare a name, as in (lr > 0.01)")
		}
		return x, nil
	}

	name, err := p.parseName()
	if err != nil {
		return nil, err
	}
	p.lastBare = false
	switch op := p.tok; op.kind {
	case tEq, tNe, tLt, tLe, tGt, tGe:
		if err := p.next(); err != nil {
			return nil, err
		}
		lit, err := p.parseValue("a value", &op)
		if err != nil {
			return nil, err
		}
		if op.kind != tEq && op.kind != tNe {
			switch lit.kind {
			case kNull:
				return nil, p.errAt(lit.col, "null can only be compared with == or !=", "")
			case kBool:
				return nil, p.errAt(lit.col, "booleans can only be compared with == or !=", "")
			}
		}
		return &cmpNode{name: name, op: op.kind, lit: lit, lits: []literal{lit}}, nil
	case tNot, tIn:
		neg := op.kind == tNot
		if neg {
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tIn {
				return nil, p.expected(`"in"`, &op, "")
			}
			op = p.tok
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		list, err := p.parseList(&op)
		if err != nil {
			return nil, err
		}
		return &inNode{name: name, neg: neg, list: list}, nil
	case tMatch:
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tString {
			return nil, p.expected("a quoted glob pattern", &op, `as in name ~ "resnet-*"`)
		}
		pat := p.tok
		if _, err := path.Match(pat.str, ""); err != nil {
			return nil, p.errAt(pat.col, "invalid glob pattern "+strconv.Quote(pat.str),
				`patterns use * ? [a-z] and \ to escape`)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		return &globNode{name: name, pat: pat.str}, nil
	}
	p.lastBare = true
	return &truthNode{name: name}, nil
}

// name = ident { "." ident }
func (p *parser) parseName() (*nameRef, error) {
	var segs []string
	first := p.tok
	for {
		segs = append(segs, p.tok.str)
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tDot {
			break
		}
		if err := p.next(); err != nil { // the lexer guarantees a name follows
			return nil, err
		}
	}
	n := &nameRef{segs: segs, quotedFirst: first.kind == tQName}
	if !n.quotedFirst && len(segs) > 1 {
		switch segs[0] {
		case "params":
			n.qual = qParams
		case "results":
			n.qual = qResults
		case "meta":
			n.qual = qMeta
		}
	}
	rest := segs
	if n.qual != qNone {
		rest = segs[1:]
	}
	n.path = strings.Join(rest, ".")
	key := strings.Join(segs, ".")
	if !p.seen[key] {
		if p.seen == nil {
			p.seen = map[string]bool{}
		}
		p.seen[key] = true
		p.keys = append(p.keys, key)
	}
	return n, nil
}

// value = number | string | "true" | "false" | "null"
func (p *parser) parseValue(what string, after *token) (literal, error) {
	t := p.tok
	var lit literal
	switch t.kind {
	case tNumber:
		lit = literal{kind: kNumber, num: t.num}
	case tString:
		lit = literal{kind: kString, str: t.str}
	case tTrue, tFalse:
		lit = literal{kind: kBool, b: t.kind == tTrue}
	case tNull:
		lit = literal{kind: kNull}
	default:
		hint := ""
		switch t.kind {
		case tName:
			hint = "quote strings: " + strconv.Quote(t.str)
		case tLBrack:
			hint = `use "in" to test membership in a list`
		}
		return literal{}, p.expected(what, after, hint)
	}
	lit.col = t.col
	if err := p.next(); err != nil {
		return literal{}, err
	}
	return lit, nil
}

// list = "[" [ value { "," value } ] "]"
func (p *parser) parseList(after *token) ([]literal, error) {
	if p.tok.kind != tLBrack {
		return nil, p.expected(`"["`, after, "write a list, as in bs in [32, 64]")
	}
	prev := p.tok
	if err := p.next(); err != nil {
		return nil, err
	}
	var list []literal
	if p.tok.kind == tRBrack {
		return list, p.next()
	}
	what := `a value or "]"`
	for {
		lit, err := p.parseValue(what, &prev)
		if err != nil {
			return nil, err
		}
		list = append(list, lit)
		switch p.tok.kind {
		case tComma:
			prev = p.tok
			what = "a value"
			if err := p.next(); err != nil {
				return nil, err
			}
		case tRBrack:
			return list, p.next()
		default:
			return nil, p.expected(`"," or "]"`, nil, "")
		}
	}
}
