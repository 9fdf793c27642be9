package query

import (
	"strconv"
	"strings"
	"unicode"
)

// Error is a syntax error in an expression. It points at the offending
// position: Column is 1-based and counts characters (runes), so an error at
// the end of the input has column len+1.
type Error struct {
	Message string // what is wrong, e.g. `expected a value after ">"`
	Hint    string // optional suggestion, e.g. `quote strings: "sgd"`
	Expr    string // the expression as given
	col     int
}

// Column returns the 1-based character column the error points at.
func (e *Error) Column() int { return e.col }

// ShortError returns the message and column on one line, without the
// expression and caret, e.g. `expected a value after ">" at column 5`.
func (e *Error) ShortError() string {
	s := e.Message + " at column " + strconv.Itoa(e.col)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Error returns a multi-line description: the message with its column, the
// expression, and a caret under the offending position:
//
//	expected a value after ">" at column 5
//	  lr >
//	      ^
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.ShortError())
	b.WriteString("\n  ")
	// Control characters (tabs, newlines) are shown as spaces so that the
	// caret, which counts one column per character, stays aligned.
	for _, r := range e.Expr {
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	b.WriteString("\n  ")
	b.WriteString(strings.Repeat(" ", e.col-1))
	b.WriteByte('^')
	return b.String()
}
