package exp

import (
	"math"
	"unsafe"

	"github.com/git-exp/git-exp/value"
)

// internLimit bounds the names a MetricsScanner interns (a file names the same few metrics on every line).
const internLimit = 1024

// parseLine reads a line as parsePoint does, through parseFlat when the line is the flat object exp.Log writes.
func (s *MetricsScanner) parseLine(line []byte) (Point, error) {
	if p, ok := s.parseFlat(line); ok {
		return p, nil
	}
	return parsePoint(line)
}

// parseFlat reads line as parsePoint reads it when it is a flat object: keys and strings without escapes (in valid
// UTF-8), values that are numbers, strings, true, false, null, NaN or ±Infinity, a numeric "step" and a string
// "time" if any. For such a line the Point is exactly parsePoint's (FuzzParseFlat holds this): the same step, time
// and values, the later of a key given twice. ok is false for any other line, which parsePoint then reads (and says
// what is wrong with). It saves parsePoint's general parser and a string for every name on every line: the end of
// a run reads its whole metrics file (1,000,000 lines) for the summary and the results.
func (s *MetricsScanner) parseFlat(line []byte) (p Point, ok bool) {
	i := scanSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return Point{}, false
	}
	i = scanSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return Point{}, false // no step: parsePoint says so
	}
	var stepV any
	hasStep := false
	vals := make(map[string]any, s.width)
	for {
		k, n, ok := scanString(line, i)
		if !ok {
			return Point{}, false
		}
		i = scanSpace(line, n)
		if i >= len(line) || line[i] != ':' {
			return Point{}, false
		}
		i = scanSpace(line, i+1)
		if i >= len(line) {
			return Point{}, false
		}
		var v any
		switch c := line[i]; {
		case c == '"':
			str, n, ok := scanString(line, i)
			if !ok {
				return Point{}, false
			}
			v, i = string(str), n
		case c == '-' && i+1 < len(line) && line[i+1] == 'I':
			if !scanPrefix(line[i+1:], "Infinity") {
				return Point{}, false
			}
			v, i = math.Inf(-1), i+1+len("Infinity")
		case c == '-' || '0' <= c && c <= '9':
			n := scanNumber(line, i)
			if n < 0 {
				return Point{}, false
			}
			num := line[i:n]
			isInt := true
			for _, d := range num {
				if d == '.' || d == 'e' || d == 'E' {
					isInt = false
					break
				}
			}
			v, i = value.NumberValue(unsafe.String(unsafe.SliceData(num), len(num)), isInt), n
		case scanPrefix(line[i:], "true"):
			v, i = true, i+len("true")
		case scanPrefix(line[i:], "false"):
			v, i = false, i+len("false")
		case scanPrefix(line[i:], "null"):
			v, i = nil, i+len("null")
		case scanPrefix(line[i:], "NaN"):
			v, i = math.NaN(), i+len("NaN")
		case scanPrefix(line[i:], "Infinity"):
			v, i = math.Inf(1), i+len("Infinity")
		default:
			return Point{}, false // an object or a list: parsePoint
		}
		switch string(k) {
		case "step":
			stepV, hasStep = v, true
		case "time":
			t, ok := v.(string)
			if !ok {
				return Point{}, false
			}
			p.Time = t
		default:
			vals[s.intern(k)] = v
		}
		i = scanSpace(line, i)
		if i >= len(line) {
			return Point{}, false
		}
		if line[i] == '}' {
			i++
			break
		}
		if line[i] != ',' {
			return Point{}, false
		}
		i = scanSpace(line, i+1)
	}
	if scanSpace(line, i) != len(line) || !hasStep {
		return Point{}, false
	}
	step, err := parseStep(stepV)
	if err != nil {
		return Point{}, false
	}
	p.Step, p.Values = step, vals
	s.width = len(vals)
	return p, true
}

// intern returns name as a string, the same string for the same name on every line.
func (s *MetricsScanner) intern(name []byte) string {
	if k, ok := s.names[string(name)]; ok {
		return k
	}
	k := string(name)
	if len(s.names) < internLimit {
		if s.names == nil {
			s.names = map[string]string{}
		}
		s.names[k] = k
	}
	return k
}
