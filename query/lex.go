package query

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tName           // identifier (not a keyword)
	tQName          // `backtick-quoted name`
	tNumber         // 1, -2.5, 1e-3
	tString         // "..." or '...'
	tDot            // "." between name segments
	tLParen         // (
	tRParen         // )
	tLBrack         // [
	tRBrack         // ]
	tComma          // ,
	tEq             // ==
	tNe             // !=
	tLt             // <
	tLe             // <=
	tGt             // >
	tGe             // >=
	tMatch          // ~
	tAnd            // and, &&
	tOr             // or, ||
	tNot            // not, !
	tIn             // in
	tTrue           // true
	tFalse          // false
	tNull           // null
)

// opText is the canonical spelling of operator tokens, used by Expr.String.
var opText = map[tokKind]string{
	tEq: "==", tNe: "!=", tLt: "<", tLe: "<=", tGt: ">", tGe: ">=", tMatch: "~",
}

type token struct {
	kind tokKind
	text string // source text
	str  string // decoded value of tString, tName and tQName
	num  number // value of tNumber
	col  int    // 1-based rune column of the first character
}

// describe names the token for "found ..." in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tName, tQName:
		return "name " + strconv.Quote(t.str)
	case tNumber:
		return "number " + t.text
	case tString:
		return "string " + strconv.Quote(t.str)
	}
	return strconv.Quote(t.text)
}

func (t token) isNameTok() bool { return t.kind == tName || t.kind == tQName }

var keywords = []struct {
	word string
	kind tokKind
}{
	{"and", tAnd}, {"or", tOr}, {"not", tNot}, {"in", tIn},
	{"true", tTrue}, {"false", tFalse}, {"null", tNull},
}

func keyword(s string) (tokKind, bool) {
	for _, k := range keywords {
		if strings.EqualFold(s, k.word) {
			return k.kind, true
		}
	}
	return 0, false
}

// lexer produces tokens on demand, so that the first error by position is
// the one reported.
type lexer struct {
	src      string
	off      int // byte offset of the next unread character
	col      int // rune column of src[off], 1-based
	prevName bool
	prevEnd  int  // byte offset just after the previous token
	afterDot bool // the previous token was a tDot
}

func (l *lexer) errAt(col int, msg, hint string) *Error {
	return &Error{Message: msg, Hint: hint, Expr: l.src, col: col}
}

func (l *lexer) peekRune() (rune, int) {
	if l.off >= len(l.src) {
		return -1, 0
	}
	return utf8.DecodeRuneInString(l.src[l.off:])
}

func (l *lexer) advance(size int) {
	l.off += size
	l.col++
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentChar(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func (l *lexer) next() (token, *Error) {
	if l.afterDot {
		// A name segment must follow the dot immediately.
		l.afterDot = false
		r, _ := l.peekRune()
		switch {
		case r == '`':
			return l.finish(l.quotedName())
		case isIdentChar(r) && r != '-':
			// Segments after a dot may start with a digit (list
			// indexes, numeric keys) and are never keywords.
			return l.finish(l.ident(true))
		}
		return token{}, l.errAt(l.col, `expected a name after "."`, "")
	}
	for {
		r, size := l.peekRune()
		if r < 0 || !unicode.IsSpace(r) {
			break
		}
		l.advance(size)
	}
	r, size := l.peekRune()
	start, col := l.off, l.col
	if r < 0 {
		return token{kind: tEOF, col: col}, nil
	}
	adjacentName := l.prevName && l.prevEnd == l.off
	op := func(kind tokKind, n int) (token, *Error) {
		for range n {
			l.advance(1)
		}
		return l.finish(token{kind: kind, text: l.src[start:l.off], col: col}, nil)
	}
	next := byte(0)
	if l.off+1 < len(l.src) {
		next = l.src[l.off+1]
	}
	switch {
	case r == '.' && adjacentName:
		l.afterDot = true
		return op(tDot, 1)
	case isDigit(r) || ((r == '-' || r == '+' || r == '.') && startsNumber(l.src[l.off:])):
		return l.finish(l.number())
	case isIdentStart(r):
		return l.finish(l.ident(false))
	case r == '`':
		return l.finish(l.quotedName())
	case r == '"' || r == '\'':
		return l.finish(l.str(byte(r)))
	case r == '(':
		return op(tLParen, 1)
	case r == ')':
		return op(tRParen, 1)
	case r == '[':
		return op(tLBrack, 1)
	case r == ']':
		return op(tRBrack, 1)
	case r == ',':
		return op(tComma, 1)
	case r == '~':
		return op(tMatch, 1)
	case r == '=' && next == '=':
		return op(tEq, 2)
	case r == '!' && next == '=':
		return op(tNe, 2)
	case r == '<' && next == '=':
		return op(tLe, 2)
	case r == '>' && next == '=':
		return op(tGe, 2)
	case r == '<':
		return op(tLt, 1)
	case r == '>':
		return op(tGt, 1)
	case r == '!':
		return op(tNot, 1)
	case r == '&' && next == '&':
		return op(tAnd, 2)
	case r == '|' && next == '|':
		return op(tOr, 2)
	case r == '=':
		return token{}, l.errAt(col, `unexpected "="`, `use "==" to compare`)
	case r == '&':
		return token{}, l.errAt(col, `unexpected "&"`, `use "and" or "&&"`)
	case r == '|':
		return token{}, l.errAt(col, `unexpected "|"`, `use "or" or "||"`)
	case r == utf8.RuneError && size == 1:
		return token{}, l.errAt(col, "invalid UTF-8 byte", "")
	}
	return token{}, l.errAt(col, "unexpected character "+strconv.QuoteRune(r), "")
}

// finish records what the lexer needs to know about the previous token.
func (l *lexer) finish(t token, err *Error) (token, *Error) {
	if err != nil {
		return t, err
	}
	l.prevName = t.isNameTok()
	l.prevEnd = l.off
	return t, nil
}

// startsNumber reports whether s (starting with a sign or a dot) begins a
// number: [+-] then a digit, or [+-] "." digit, or "." digit.
func startsNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	if i < len(s) && isDigit(rune(s[i])) {
		return true
	}
	return i+1 < len(s) && s[i] == '.' && isDigit(rune(s[i+1]))
}

func (l *lexer) ident(segment bool) (token, *Error) {
	start, col := l.off, l.col
	for {
		r, size := l.peekRune()
		if r < 0 || !isIdentChar(r) {
			break
		}
		l.advance(size)
	}
	text := l.src[start:l.off]
	if !segment {
		if k, ok := keyword(text); ok {
			return token{kind: k, text: text, col: col}, nil
		}
	}
	return token{kind: tName, text: text, str: text, col: col}, nil
}

func (l *lexer) quotedName() (token, *Error) {
	start, col := l.off, l.col
	l.advance(1)
	for {
		r, size := l.peekRune()
		if r < 0 {
			return token{}, l.errAt(col, "unterminated quoted name", "close it with a backtick")
		}
		l.advance(size)
		if r == '`' {
			break
		}
	}
	text := l.src[start:l.off]
	name := text[1 : len(text)-1]
	if name == "" {
		return token{}, l.errAt(col, "empty quoted name", "")
	}
	return token{kind: tQName, text: text, str: name, col: col}, nil
}

func (l *lexer) number() (token, *Error) {
	start, col := l.off, l.col
	s := l.src
	i := l.off
	if s[i] == '-' || s[i] == '+' {
		i++
	}
	digits := func() {
		for i < len(s) && isDigit(rune(s[i])) {
			i++
		}
	}
	isFloat := false
	digits()
	if i < len(s) && s[i] == '.' {
		isFloat = true
		i++
		digits()
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(rune(s[j])) {
			isFloat = true
			i = j
			digits()
		}
	}
	// Everything in the number is ASCII: columns advance by bytes.
	l.col += i - l.off
	l.off = i
	text := s[start:i]
	if r, _ := l.peekRune(); r == '.' || isIdentChar(r) {
		// Consume the rest of the malformed word for the message.
		for {
			r, size := l.peekRune()
			if r < 0 || !(r == '.' || isIdentChar(r)) {
				break
			}
			l.advance(size)
		}
		return token{}, l.errAt(col, "malformed number "+strconv.Quote(s[start:l.off]), "")
	}
	t := token{kind: tNumber, text: text, col: col}
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			t.num = number{isInt: true, i: n}
			return t, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return token{}, l.errAt(col, "number "+text+" is out of range", "")
		}
		return token{}, l.errAt(col, "malformed number "+strconv.Quote(text), "")
	}
	t.num = number{f: f}
	return t, nil
}

// str scans a string quoted with q (" or '). Backslash escapes are Go's:
// \n \t \\ \" \' \xHH \uHHHH \UHHHHHHHH and so on.
func (l *lexer) str(q byte) (token, *Error) {
	start, col := l.off, l.col
	l.advance(1)
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return token{}, l.errAt(col, "unterminated string", "close it with "+string(q))
		}
		c := l.src[l.off]
		switch {
		case c == q:
			l.advance(1)
			return token{kind: tString, text: l.src[start:l.off], str: b.String(), col: col}, nil
		case c == '\\' && l.off+1 < len(l.src) && (l.src[l.off+1] == '"' || l.src[l.off+1] == '\''):
			// Both quotes may be escaped in either kind of string.
			b.WriteByte(l.src[l.off+1])
			l.off += 2
			l.col += 2
		case c == '\\':
			escCol := l.col
			rest := l.src[l.off:]
			v, multibyte, tail, err := strconv.UnquoteChar(rest, q)
			if err != nil {
				end := min(len(rest), 2)
				if end == 2 && rest[1] >= utf8.RuneSelf {
					_, n := utf8.DecodeRuneInString(rest[1:])
					end = 1 + n
				}
				return token{}, l.errAt(escCol, "invalid escape "+strconv.Quote(rest[:end])+" in string", `write a backslash as \\`)
			}
			n := len(rest) - len(tail)
			// Escapes are ASCII: one column per byte.
			l.off += n
			l.col += n
			if v < utf8.RuneSelf || !multibyte {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(v)
			}
		default:
			_, size := utf8.DecodeRuneInString(l.src[l.off:])
			b.WriteString(l.src[l.off : l.off+size])
			l.advance(size)
		}
	}
}
