package gitstore

import (
	"strconv"
	"unicode/utf8"

	"github.com/git-exp/git-exp/value"
)

// decodeManifest decodes experiment.json into m as json.Unmarshal would, for the manifests git-exp writes: a cold
// read of 100,000 experiments spent a quarter of its time in encoding/json's reflection. It reports false for
// anything it does not decode exactly as json.Unmarshal does (a key it does not know, in any spelling, a key given
// twice, a null, a value of another type, invalid JSON), and the caller then uses json.Unmarshal:
// FuzzDecodeManifest checks both agree.
func decodeManifest(b []byte, m *Manifest) bool {
	// Strings are cut from one copy of the document: one allocation per manifest, not one per field (~20; a cold
	// read of 1,000,000 made 20M).
	d := mdec{b: b, s: string(b)}
	var x Manifest
	d.space()
	if !d.object(func(key string) bool {
		switch key {
		case "format":
			return d.int(&x.Format)
		case "id":
			return d.str(&x.ID)
		case "name":
			return d.str(&x.Name)
		case "description":
			return d.str(&x.Description)
		case "tags":
			return d.strs(&x.Tags)
		case "status":
			return d.str(&x.Status)
		case "script":
			return d.str(&x.Script)
		case "argv":
			return d.strs(&x.Argv)
		case "cwd":
			return d.str(&x.Cwd)
		case "executor":
			return d.str(&x.Executor)
		case "host":
			return d.str(&x.Host)
		case "user":
			return d.str(&x.User)
		case "email":
			return d.str(&x.Email)
		case "created":
			return d.str(&x.Created)
		case "started":
			return d.str(&x.Started)
		case "ended":
			return d.str(&x.Ended)
		case "updated":
			return d.str(&x.Updated)
		case "duration_s":
			return d.float(&x.DurationS)
		case "exit_code":
			if d.null() {
				x.ExitCode = nil
				return true
			}
			var n int
			if !d.int(&n) {
				return false
			}
			x.ExitCode = &n
			return true
		case "error":
			return d.str(&x.Error)
		case "batch":
			return d.str(&x.Batch)
		case "parent":
			return d.str(&x.Parent)
		case "attempt":
			return d.int(&x.Attempt)
		case "seq":
			return d.int(&x.Seq)
		case "git":
			g := &x.Git
			return d.object(func(key string) bool {
				switch key {
				case "head":
					return d.str(&g.Head)
				case "branch":
					return d.str(&g.Branch)
				case "dirty":
					return d.bool(&g.Dirty)
				case "remote":
					return d.str(&g.Remote)
				case "snapshot":
					return d.str(&g.Snapshot)
				case "skipped":
					return d.strs(&g.Skipped)
				case "submodules":
					if d.null() {
						g.Submodules = nil
						return true
					}
					g.Submodules = []Submodule{}
					return d.array(func() bool {
						var s Submodule
						ok := d.object(func(key string) bool {
							switch key {
							case "path":
								return d.str(&s.Path)
							case "commit":
								return d.str(&s.Commit)
							case "dirty":
								return d.bool(&s.Dirty)
							}
							return false
						})
						g.Submodules = append(g.Submodules, s)
						return ok
					})
				}
				return false
			})
		case "runner":
			if d.null() {
				x.Runner = nil
				return true
			}
			r := &Runner{}
			x.Runner = r
			return d.object(func(key string) bool {
				switch key {
				case "host":
					return d.str(&r.Host)
				case "pid":
					return d.int(&r.PID)
				case "start":
					var n int
					if !d.int(&n) || n < 0 {
						return false
					}
					r.Start = uint64(n)
					return true
				case "boot":
					return d.str(&r.Boot)
				}
				return false
			})
		case "param_sources":
			if d.null() {
				x.Sources = nil
				return true
			}
			x.Sources = []ParamSource{}
			return d.array(func() bool {
				var s ParamSource
				ok := d.object(func(key string) bool {
					switch key {
					case "kind":
						return d.str(&s.Kind)
					case "path":
						return d.str(&s.Path)
					case "keys":
						return d.strs(&s.Keys)
					}
					return false
				})
				x.Sources = append(x.Sources, s)
				return ok
			})
		case "extra":
			if d.i < len(d.b) && d.b[d.i] != '{' {
				return false
			}
			x.Extra = map[string]string{}
			return d.object(func(key string) bool {
				var v string
				if !d.str(&v) {
					return false
				}
				x.Extra[key] = v
				return true
			})
		}
		return false
	}) {
		return false
	}
	d.space()
	if d.i != len(d.b) {
		return false
	}
	*m = x
	return true
}

type mdec struct {
	b []byte
	s string // b's copy, which decoded strings are cut from
	i int
}

func (d *mdec) space() { d.i = jsonSpace(d.b, d.i) }

// object decodes an object whose values field decodes (the key given, d at its value); false when a key comes
// twice.
func (d *mdec) object(field func(key string) bool) bool {
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return false
	}
	d.i++
	d.space()
	var seenBuf [24]string // keys of this object so far (a manifest has ~23): on the stack
	seen := seenBuf[:0]
	var bloom uint64 // a bit per key seen (of its length and ends): most keys are new without comparing them all
	for first := true; ; first = false {
		if d.i < len(d.b) && d.b[d.i] == '}' {
			d.i++
			return true
		}
		if !first {
			if d.i >= len(d.b) || d.b[d.i] != ',' {
				return false
			}
			d.i++
			d.space()
		}
		var key string
		if !d.key(&key) {
			return false
		}
		bit := uint64(1)
		if len(key) > 0 {
			bit <<= (uint(len(key))*7 + 31*uint(key[0]&0x7f) + uint(key[len(key)-1])) & 63
		}
		if bloom&bit != 0 {
			for _, k := range seen {
				if k == key {
					return false
				}
			}
		}
		bloom |= bit
		seen = append(seen, key)
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return false
		}
		d.i++
		d.space()
		if !field(key) {
			return false
		}
		d.space()
	}
}

// array decodes an array whose elements elem decodes.
func (d *mdec) array(elem func() bool) bool {
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return false
	}
	d.i++
	d.space()
	for first := true; ; first = false {
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return true
		}
		if !first {
			if d.i >= len(d.b) || d.b[d.i] != ',' {
				return false
			}
			d.i++
			d.space()
		}
		if !elem() {
			return false
		}
		d.space()
	}
}

func (d *mdec) null() bool {
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// str decodes a string (not null: json.Unmarshal leaves the field as it was, which this does not track).
func (d *mdec) str(s *string) bool {
	return d.text(s)
}

// key is str for an object's key.
func (d *mdec) key(s *string) bool {
	return d.text(s)
}

// text decodes a string: cut from d.s when it is plain (no escape, all ASCII: one pass), through value.Unmarshal
// otherwise.
func (d *mdec) text(s *string) bool {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return false
	}
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			*s = d.s[d.i+1 : j]
			d.i = j + 1
			return true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			end := skipString(d.b, d.i)
			if end < 0 {
				return false
			}
			v, err := value.Unmarshal(d.b[d.i:end])
			str, ok := v.(string)
			if err != nil || !ok {
				return false
			}
			*s = str
			d.i = end
			return true
		}
	}
	return false
}

func (d *mdec) strs(l *[]string) bool {
	if d.null() {
		*l = nil
		return true
	}
	out := make([]string, 0, 4) // tags, argv: a few (one allocation, not one per append)
	ok := d.array(func() bool {
		var s string
		if !d.str(&s) {
			return false
		}
		out = append(out, s)
		return true
	})
	*l = out
	return ok
}

// number returns the number token at d (JSON's grammar).
func (d *mdec) number() (string, bool) {
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
		j++
	}
	if j == digits || d.b[digits] == '0' && j-digits > 1 {
		return "", false
	}
	if j < len(d.b) && d.b[j] == '.' {
		j++
		f := j
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
		if j == f {
			return "", false
		}
	}
	if j < len(d.b) && (d.b[j] == 'e' || d.b[j] == 'E') {
		j++
		if j < len(d.b) && (d.b[j] == '+' || d.b[j] == '-') {
			j++
		}
		f := j
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
		if j == f {
			return "", false
		}
	}
	tok := d.s[d.i:j]
	d.i = j
	return tok, true
}

func (d *mdec) int(n *int) bool {
	tok, ok := d.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		return false
	}
	*n = int(v)
	return true
}

func (d *mdec) float(f *float64) bool {
	tok, ok := d.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return false
	}
	*f = v
	return true
}

func (d *mdec) bool(v *bool) bool {
	switch {
	case len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "true":
		*v, d.i = true, d.i+4
		return true
	case len(d.b)-d.i >= 5 && string(d.b[d.i:d.i+5]) == "false":
		*v, d.i = false, d.i+5
		return true
	}
	return false
}
