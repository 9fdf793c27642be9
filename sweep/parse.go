package sweep

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/git-exp/git-exp/value"
)

// MaxValues is the largest number of values a single sweep may produce.
const MaxValues = 100_000

// knownFuncs lists the sweep functions in the order used by error messages.
var knownFuncs = []string{"list", "range", "linspace", "logspace"}

// Parse parses one value. A string that is not a sweep call returns
// (nil, false, nil). A call of a known function that is malformed returns an
// error naming the expression and, where it makes sense, a 1-based column in
// the trimmed expression. An unknown function name followed by "(" in a
// string that ends with ")" (such as "foo(1)") is an error; strings whose
// parenthesis is not directly attached to a name (such as "adam (beta)") are
// not sweeps. See the package documentation for the grammar.
func Parse(s string) (values []any, ok bool, err error) {
	expr := strings.TrimSpace(s)
	n := identLen(expr)
	if n == 0 || n >= len(expr) || expr[n] != '(' {
		return nil, false, nil
	}
	name := expr[:n]
	p := &parser{expr: expr, pos: n + 1, what: "a number"}
	if name == "list" {
		p.what = "a value"
	}
	switch name {
	case "list", "range", "linspace", "logspace":
	default:
		if !strings.HasSuffix(expr, ")") {
			return nil, false, nil
		}
		msg := fmt.Sprintf("unknown sweep function %s (known: %s)", name, strings.Join(knownFuncs, ", "))
		for _, k := range knownFuncs {
			if strings.EqualFold(k, name) {
				msg += fmt.Sprintf("; function names are case-sensitive, did you mean %s?", k)
			}
		}
		return nil, false, p.errorf("%s", msg)
	}
	args, err := p.args()
	if err != nil {
		return nil, false, err
	}
	switch name {
	case "list":
		values, err = p.list(args)
	case "range":
		values, err = p.rangeValues(args)
	case "linspace":
		values, err = p.linspace(args)
	case "logspace":
		values, err = p.logspace(args)
	}
	if err != nil {
		return nil, false, err
	}
	return values, true, nil
}

// identLen returns the length of the identifier ([A-Za-z_][A-Za-z0-9_]*) at
// the start of s, or 0.
func identLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return i
		}
	}
	return len(s)
}

// parser holds the state of parsing one trimmed sweep expression.
type parser struct {
	expr string
	pos  int    // byte offset
	what string // "a value" or "a number": what an argument must be
}

// arg is one parsed argument of a sweep call.
type arg struct {
	value any
	text  string // source text (bare) or the quoted literal
	col   int    // 1-based column of the start of the argument
}

// col converts a byte offset into a 1-based rune column.
func (p *parser) col(off int) int {
	if off > len(p.expr) {
		off = len(p.expr)
	}
	return utf8.RuneCountInString(p.expr[:off]) + 1
}

// errorf returns an error prefixed with the expression.
func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("%s: %s", p.expr, fmt.Sprintf(format, a...))
}

// errorAt returns an error prefixed with the expression and suffixed with the
// column of byte offset off.
func (p *parser) errorAt(off int, format string, a ...any) error {
	return fmt.Errorf("%s: %s at column %d", p.expr, fmt.Sprintf(format, a...), p.col(off))
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func (p *parser) skipSpace() {
	for p.pos < len(p.expr) && isSpaceByte(p.expr[p.pos]) {
		p.pos++
	}
}

// args parses the argument list after "(" up to and including the matching
// ")", which must end the expression.
func (p *parser) args() ([]arg, error) {
	var args []arg
	sep := "("
	for {
		p.skipSpace()
		if p.pos >= len(p.expr) {
			return nil, p.errorAt(p.pos, "unbalanced parentheses: missing \")\"")
		}
		c := p.expr[p.pos]
		if c == ')' || c == ',' {
			if c == ')' && len(args) == 0 && sep == "(" {
				p.pos++
				break
			}
			return nil, p.errorAt(p.pos, "expected %s after %q", p.what, sep)
		}
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.skipSpace()
		if p.pos >= len(p.expr) {
			return nil, p.errorAt(p.pos, "unbalanced parentheses: missing \")\"")
		}
		c = p.expr[p.pos]
		if c == ',' {
			sep = ","
			p.pos++
			continue
		}
		if c == ')' {
			p.pos++
			break
		}
		return nil, p.errorAt(p.pos, "unexpected %q after a quoted value (expected \",\" or \")\")", c)
	}
	p.skipSpace()
	if p.pos < len(p.expr) {
		if p.expr[p.pos] == ')' {
			return nil, p.errorAt(p.pos, "unbalanced parentheses: unexpected \")\"")
		}
		return nil, p.errorAt(p.pos, "unexpected text after \")\"")
	}
	return args, nil
}

// arg parses one quoted or bare argument starting at p.pos (not at a space,
// "," or ")").
func (p *parser) arg() (arg, error) {
	start := p.pos
	c := p.expr[start]
	switch c {
	case '"':
		i := start + 1
		for i < len(p.expr) && p.expr[i] != '"' {
			if p.expr[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(p.expr) {
			return arg{}, p.errorAt(start, "unterminated string starting")
		}
		lit := p.expr[start : i+1]
		s, err := strconv.Unquote(lit)
		if err != nil {
			return arg{}, p.errorAt(start, "invalid quoted string %s", lit)
		}
		p.pos = i + 1
		return arg{value: s, text: lit, col: p.col(start)}, nil
	case '\'':
		var b strings.Builder
		i := start + 1
		for {
			if i >= len(p.expr) {
				return arg{}, p.errorAt(start, "unterminated string starting")
			}
			if p.expr[i] == '\'' {
				if i+1 < len(p.expr) && p.expr[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				break
			}
			b.WriteByte(p.expr[i])
			i++
		}
		p.pos = i + 1
		return arg{value: b.String(), text: p.expr[start:p.pos], col: p.col(start)}, nil
	case '(':
		return arg{}, p.errorAt(start, "unbalanced parentheses: unexpected \"(\" (quote values containing parentheses)")
	}
	i := start
	for i < len(p.expr) && !strings.ContainsRune(",()'\"", rune(p.expr[i])) {
		i++
	}
	if i < len(p.expr) {
		switch p.expr[i] {
		case '(':
			return arg{}, p.errorAt(i, "unbalanced parentheses: unexpected \"(\" (quote values containing parentheses)")
		case '\'', '"':
			return arg{}, p.errorAt(i, "unexpected quote inside a value (quote the whole value)")
		}
	}
	text := strings.TrimSpace(p.expr[start:i])
	p.pos = i
	if text == "" {
		// Only non-ASCII white space: treat as a missing argument.
		return arg{}, p.errorAt(start, "expected %s", p.what)
	}
	v, err := value.Scalar(text)
	if err != nil {
		return arg{}, p.errorAt(start, "%v", err)
	}
	return arg{value: v, text: text, col: p.col(start)}, nil
}

// number is a numeric argument as an exact decimal.
type number struct {
	rat     *big.Rat
	isInt   bool
	f       float64
	literal string
}

// num converts an argument to a finite number.
func (p *parser) num(a arg) (number, error) {
	switch v := a.value.(type) {
	case int:
		return number{rat: new(big.Rat).SetInt64(int64(v)), isInt: true, f: float64(v), literal: a.text}, nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return number{}, fmt.Errorf("%s: expected a finite number, got %s at column %d", p.expr, a.text, a.col)
		}
		// The shortest decimal that round-trips is the number as the user
		// meant it; exact arithmetic on it avoids binary drift.
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'g', -1, 64))
		if !ok {
			r = new(big.Rat).SetFloat64(v)
		}
		return number{rat: r, f: v, literal: a.text}, nil
	case string:
		if strings.HasPrefix(a.text, "'") || strings.HasPrefix(a.text, "\"") {
			return number{}, fmt.Errorf("%s: expected a number, got string %s at column %d", p.expr, a.text, a.col)
		}
	}
	return number{}, fmt.Errorf("%s: expected a number, got %q at column %d", p.expr, a.text, a.col)
}

func (p *parser) nums(args []arg) ([]number, error) {
	out := make([]number, len(args))
	for i, a := range args {
		n, err := p.num(a)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// endCol is the column of the closing parenthesis.
func (p *parser) endCol() int { return p.col(len(p.expr) - 1) }

func (p *parser) list(args []arg) ([]any, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%s: expected at least one value at column %d", p.expr, p.endCol())
	}
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.value
	}
	if len(out) > MaxValues {
		return nil, p.tooMany(len(out))
	}
	return out, nil
}

func (p *parser) tooMany(n any) error {
	return p.errorf("produces %v values, more than the limit of %d", n, MaxValues)
}

func (p *parser) argCountError(args []arg, want string) error {
	col := p.endCol()
	if len(args) > 0 {
		// Point at the first surplus argument when there are too many.
		max := 3
		if len(args) > max {
			col = args[max].col
		}
	}
	return fmt.Errorf("%s: expected %s, got %d at column %d", p.expr, want, len(args), col)
}

func (p *parser) rangeValues(args []arg) ([]any, error) {
	if len(args) < 1 || len(args) > 3 {
		return nil, p.argCountError(args, "1 to 3 arguments (stop | start, stop | start, stop, step)")
	}
	ns, err := p.nums(args)
	if err != nil {
		return nil, err
	}
	allInt := true
	for _, n := range ns {
		allInt = allInt && n.isInt
	}
	start := new(big.Rat)
	step := big.NewRat(1, 1)
	var stop *big.Rat
	switch len(ns) {
	case 1:
		stop = ns[0].rat
	case 2:
		start, stop = ns[0].rat, ns[1].rat
	case 3:
		start, stop, step = ns[0].rat, ns[1].rat, ns[2].rat
		if step.Sign() == 0 {
			return nil, fmt.Errorf("%s: step must not be zero at column %d", p.expr, args[2].col)
		}
	}
	// count = ceil((stop - start) / step), exactly.
	q := new(big.Rat).Sub(stop, start)
	q.Quo(q, step)
	if q.Sign() <= 0 {
		return nil, fmt.Errorf("%s is empty (a sweep needs at least one value)", p.expr)
	}
	count := new(big.Int).Quo(q.Num(), q.Denom()) // floor for positive q
	if !q.IsInt() {
		count.Add(count, big.NewInt(1))
	}
	if !count.IsInt64() || count.Int64() > MaxValues {
		return nil, p.tooMany(count)
	}
	n := int(count.Int64())
	out := make([]any, n)
	v := new(big.Rat)
	for i := range n {
		v.SetInt64(int64(i))
		v.Mul(v, step)
		v.Add(v, start)
		if allInt {
			out[i] = int(v.Num().Int64())
		} else {
			f, _ := v.Float64()
			out[i] = f
		}
	}
	return out, nil
}

// linspaceFloats validates linspace/logspace arguments and returns the values
// numpy.linspace computes (i*step + start, last value = stop), except that a
// value whose exact decimal value start + i*(stop-start)/(num-1) is short
// (it is the shortest representation of its nearest float64) is that float,
// which removes drift such as 0.30000000000000004. The second result tells
// which values are exact integers (for logspace).
func (p *parser) linspaceFloats(args []arg) ([]float64, []*big.Rat, error) {
	if len(args) != 3 {
		return nil, nil, p.argCountError(args, "3 arguments (start, stop, num)")
	}
	ns, err := p.nums(args[:2])
	if err != nil {
		return nil, nil, err
	}
	numArg := args[2]
	num, isInt := numArg.value.(int)
	if !isInt {
		if _, isFloat := numArg.value.(float64); isFloat {
			return nil, nil, fmt.Errorf("%s: num must be an integer, got %s at column %d", p.expr, numArg.text, numArg.col)
		}
		if _, err := p.num(numArg); err != nil {
			return nil, nil, err
		}
	}
	if num < 1 {
		return nil, nil, fmt.Errorf("%s: num must be at least 1 (the sweep would be empty), got %d at column %d", p.expr, num, numArg.col)
	}
	if num > MaxValues {
		return nil, nil, p.tooMany(num)
	}
	start, stop := ns[0], ns[1]
	exact := make([]*big.Rat, num)
	out := make([]float64, num)
	exact[0], out[0] = start.rat, start.f
	if num == 1 {
		return out, exact, nil
	}
	div := num - 1
	delta := new(big.Rat).Sub(stop.rat, start.rat)
	delta.Quo(delta, new(big.Rat).SetInt64(int64(div)))
	fdelta := stop.f - start.f
	fstep := fdelta / float64(div)
	for i := 1; i < div; i++ {
		r := new(big.Rat).SetInt64(int64(i))
		r.Mul(r, delta)
		r.Add(r, start.rat)
		exact[i] = r
		near, _ := r.Float64()
		var np float64 // numpy's value
		if fstep == 0 {
			np = float64(i)/float64(div)*fdelta + start.f
		} else {
			np = float64(i)*fstep + start.f
		}
		if isShortDecimal(r, near) || math.IsInf(np, 0) || math.IsNaN(np) {
			out[i] = near
		} else {
			out[i] = np
		}
	}
	exact[div], out[div] = stop.rat, stop.f
	return out, exact, nil
}

// isShortDecimal reports whether r is exactly the shortest decimal
// representation of f (that is, f prints as r's value written out).
func isShortDecimal(r *big.Rat, f float64) bool {
	if math.IsInf(f, 0) {
		return false
	}
	d, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return ok && d.Cmp(r) == 0
}

func (p *parser) linspace(args []arg) ([]any, error) {
	fs, _, err := p.linspaceFloats(args)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out, nil
}

func (p *parser) logspace(args []arg) ([]any, error) {
	es, rats, err := p.linspaceFloats(args)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(rats))
	for i, r := range rats {
		e := es[i]
		var f float64
		if r.IsInt() && r.Num().IsInt64() && math.Abs(e) <= 400 {
			// Exact power of ten, correctly rounded.
			f, _ = strconv.ParseFloat("1e"+r.Num().String(), 64)
		} else {
			f = math.Pow(10, e)
			if !math.IsInf(f, 0) && f != 0 {
				f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
			}
		}
		if math.IsInf(f, 0) || f == 0 {
			return nil, p.errorf("10**%s is out of float64 range", strings.TrimSuffix(value.Format(e), ".0"))
		}
		out[i] = f
	}
	return out, nil
}
