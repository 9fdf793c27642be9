package exp

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// parseFlat is the fast path of parsePoint for the lines Log writes: one flat
// object whose values are numbers, plain strings, booleans or null. It
// reports ok=false for anything else (escapes, nested values, invalid JSON),
// leaving the line to encoding/json, so its results always agree with it.
func parseFlat(line []byte) (p Point, ok bool) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return Point{}, false
	}
	i = skipSpace(line, i+1)
	values := make(map[string]any, 4)
	var step []byte
	var tm string
	hasStep, hasTime := false, false
	first := true
	for {
		if i >= len(line) {
			return Point{}, false
		}
		if line[i] == '}' && first {
			i++
			break
		}
		key, n, ok := plainString(line, i)
		if !ok {
			return Point{}, false
		}
		i = skipSpace(line, n)
		if i >= len(line) || line[i] != ':' {
			return Point{}, false
		}
		i = skipSpace(line, i+1)
		if i >= len(line) {
			return Point{}, false
		}
		var v any
		isNum := false
		switch c := line[i]; {
		case c == '"':
			s, n, ok := plainString(line, i)
			if !ok {
				return Point{}, false
			}
			v, i = string(s), n
		case c == '-' || '0' <= c && c <= '9':
			n := numberEnd(line, i)
			if n < 0 {
				return Point{}, false
			}
			if string(key) == "step" {
				step = line[i:n]
			}
			v, i, isNum = parseNumber(line[i:n]), n, true
		case hasPrefix(line[i:], "true"):
			v, i = true, i+4
		case hasPrefix(line[i:], "false"):
			v, i = false, i+5
		case hasPrefix(line[i:], "null"):
			v, i = nil, i+4
		default:
			return Point{}, false
		}
		switch string(key) {
		case "step":
			if !isNum {
				return Point{}, false // let encoding/json say why
			}
			hasStep = true
		case "time":
			str, isStr := v.(string)
			if !isStr {
				return Point{}, false
			}
			tm, hasTime = str, true
		default:
			values[string(key)] = v
		}
		first = false
		i = skipSpace(line, i)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' {
			i++
			break
		}
		return Point{}, false
	}
	if skipSpace(line, i) != len(line) || !hasStep {
		return Point{}, false
	}
	s, err := parseStep(json.Number(step))
	if err != nil {
		return Point{}, false
	}
	p = Point{Step: s, Values: values}
	if hasTime {
		p.Time = tm
	}
	return p, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// plainString reads a JSON string at b[i] without escapes or control
// characters, in valid UTF-8; it returns its contents and the index after it.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	ascii := true
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[i+1 : j]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// numberEnd returns the end of the JSON number at b[i], or -1 if there is
// none: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
		return j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// parseNumber converts a valid JSON number like convertNumbers does.
func parseNumber(num []byte) any {
	isInt := true
	for _, c := range num {
		if c == '.' || c == 'e' || c == 'E' {
			isInt = false
			break
		}
	}
	s := string(num)
	if isInt {
		if i, err := strconv.ParseInt(s, 10, 0); err == nil {
			return int(i)
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
