package value

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Unmarshal decodes one JSON value keeping number types: a number without '.' or exponent is an int (a float64
// when it does not fit an int), any other number a float64; objects are map[string]any (the last of duplicate keys
// wins) and arrays []any. Besides strict JSON it reads the bare tokens NaN, Infinity and -Infinity that Python's
// json module writes (and Marshal writes), and a number too large for a float64 (1e400) as ±Infinity. For strict
// JSON the result is exactly encoding/json's (with UseNumber, numbers converted as above): FuzzUnmarshal checks it.
//
// Strings without escapes are taken directly from the input (the path that makes reading 100,000 stored
// experiments fast); escapes and invalid UTF-8 are decoded as encoding/json does (U+FFFD for what is invalid).
func Unmarshal(data []byte) (any, error) {
	p := parser{b: data}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, p.errorf("unexpected data after the value")
	}
	return v, nil
}

// SyntaxError is a JSON input that Unmarshal cannot read; Offset is the byte where it gave up.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON: %s at offset %d", e.Msg, e.Offset)
}

type parser struct {
	b []byte
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: p.i}
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) unexpected() error {
	if p.i >= len(p.b) {
		return p.errorf("unexpected end of input")
	}
	r, _ := utf8.DecodeRune(p.b[p.i:])
	return p.errorf("unexpected %q", r)
}

func (p *parser) value(depth int) (any, error) {
	if depth > MaxDepth { // stored params, results and metrics nest like parameters: at most MaxDepth levels
		return nil, p.errorf("nested more than %d levels", MaxDepth)
	}
	if p.i >= len(p.b) {
		return nil, p.unexpected()
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		m := make(map[string]any, 4)
		p.space()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return m, nil
		}
		for {
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return nil, p.unexpected()
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, p.unexpected()
			}
			p.i++
			p.space()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			p.space()
			if p.i >= len(p.b) {
				return nil, p.unexpected()
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case '}':
				p.i++
				return m, nil
			default:
				return nil, p.unexpected()
			}
		}
	case c == '[':
		p.i++
		l := []any{}
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return l, nil
		}
		for {
			p.space()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			p.space()
			if p.i >= len(p.b) {
				return nil, p.unexpected()
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return l, nil
			default:
				return nil, p.unexpected()
			}
		}
	case c == '"':
		return p.str()
	case c == '-' && p.i+1 < len(p.b) && p.b[p.i+1] == 'I':
		p.i++
		if p.lit("Infinity") {
			return math.Inf(-1), nil
		}
		return nil, p.unexpected()
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case p.lit("true"):
		return true, nil
	case p.lit("false"):
		return false, nil
	case p.lit("null"):
		return nil, nil
	case p.lit("NaN"):
		return math.NaN(), nil
	case p.lit("Infinity"):
		return math.Inf(1), nil
	}
	return nil, p.unexpected()
}

func (p *parser) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// str reads the string at p.i (a '"').
func (p *parser) str() (string, error) {
	start := p.i + 1
	ascii := true
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := p.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return p.slowStr()
			}
			p.i = j + 1
			return string(s), nil
		case c == '\\':
			return p.slowStr()
		case c < 0x20:
			p.i = j
			return "", p.errorf("control character %q in a string", c)
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	p.i = len(p.b)
	return "", p.errorf("unterminated string")
}

// slowStr reads a string with escapes or invalid UTF-8 as encoding/json does.
func (p *parser) slowStr() (string, error) {
	b := p.b
	i := p.i + 1
	out := make([]byte, 0, 32)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			p.i = i + 1
			return string(out), nil
		case c < 0x20:
			p.i = i
			return "", p.errorf("control character %q in a string", c)
		case c == '\\':
			if i+1 >= len(b) {
				p.i = len(b)
				return "", p.errorf("unterminated string")
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				r, ok := hex4(b, i+2)
				if !ok {
					p.i = i
					return "", p.errorf("invalid \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						r2, ok = hex4(b, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				p.i = i
				return "", p.errorf("invalid escape \\%c", e)
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[i:i+size]...)
			}
			i += size
		}
	}
	p.i = len(b)
	return "", p.errorf("unterminated string")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// number reads a number of JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() (any, error) {
	b, i := p.b, p.i
	start := i
	isInt := true
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		p.i = i
		return nil, p.unexpected()
	}
	if i < len(b) && b[i] == '.' {
		i++
		isInt = false
		if digits() == 0 {
			p.i = i
			return nil, p.unexpected()
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		isInt = false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.i = i
			return nil, p.unexpected()
		}
	}
	p.i = i
	return NumberValue(string(b[start:i]), isInt), nil
}

// NumberValue converts the text of a valid JSON number: an int when isInt and it fits, else a float64 (±Inf past
// a float64's range).
func NumberValue(s string, isInt bool) any {
	if isInt {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= math.MinInt && n <= math.MaxInt {
			return int(n)
		}
	}
	if f, ok := exactFloat(s); ok {
		return f
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return math.NaN() // not reached for a valid JSON number
	}
	return f
}

// exactPow10 are the powers of ten a float64 holds exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactFloat reads the JSON number s as strconv.ParseFloat does when its digits are an integer m below 2^53 and its
// power of ten p is within ±22: then m and 10^|p| are exact float64s, and the one multiplication or division that
// combines them is correctly rounded (Clinger's fast path, strconv's own first step). Filters and sorts read
// numbers such as 0.001 and 0.8287 by the million: ParseFloat's general entry took 3x as long. ok is false for any
// other number (ParseFloat's to read).
func exactFloat(s string) (f float64, ok bool) {
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg, i = true, i+1
	}
	var m uint64
	exp, digits := 0, 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		m, digits = m*10+uint64(s[i]-'0'), digits+1
	}
	whole := digits
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			m, digits, exp = m*10+uint64(s[i]-'0'), digits+1, exp-1
		}
		if digits == whole {
			return 0, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg, i = s[i] == '-', i+1
		}
		e, start := 0, i
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if e < 1000 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if i == start {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(s) || whole == 0 || digits > 19 || m > 1<<53 || exp < -22 || exp > 22 {
		return 0, false
	}
	f = float64(m)
	if exp < 0 {
		f /= exactPow10[-exp]
	} else {
		f *= exactPow10[exp]
	}
	if neg {
		f = -f
	}
	return f, true
}
