package config

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/value"
	"gopkg.in/yaml.v3"
)

// ParseValue parses a command-line value as a YAML 1.2 scalar or flow value: "0.01" is a float64, "3" an int,
// "1.0" a float64, "true"/"false" bools, "null" and "~" nil, "[1, 2]" a []any, "{a: 1}" a map[string]any,
// "\"3\"" the string "3". Everything else is the string itself, exactly as given: "yes" (YAML 1.2 has only
// true/false), "list(1, 2)", "a: b" (a block mapping is not a flow value), "x # y" (no comments), "" and any text
// that is not valid YAML. ParseValue never fails.
func ParseValue(s string) any {
	v, _ := parseValue(s)
	return v
}

// parseValue is ParseValue that also returns the error of a value that is YAML but cannot be converted; v is then s.
func parseValue(s string) (v any, err error) {
	n, ok := parseFlow(s)
	if !ok {
		return s, nil
	}
	c := &converter{name: "value", budget: maxNodes}
	v, err = c.value(n)
	if err != nil {
		return s, err
	}
	return v, nil
}

// parseFlow parses s as a single YAML scalar or flow collection; ok is false when s is anything else.
func parseFlow(s string) (n *yaml.Node, ok bool) {
	defer func() {
		if recover() != nil {
			n, ok = nil, false
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(s))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, false // a second document, or a syntax error after the first
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	if doc.HeadComment != "" || doc.LineComment != "" || doc.FootComment != "" {
		return nil, false
	}
	root := doc.Content[0]
	if root.HeadComment != "" || root.LineComment != "" || root.FootComment != "" {
		return nil, false
	}
	switch root.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if root.Style&yaml.FlowStyle == 0 {
			return nil, false
		}
	case yaml.ScalarNode:
		switch {
		case root.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
			return nil, false
		case root.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.TaggedStyle) == 0 && root.Anchor == "" &&
			root.Value != strings.TrimSpace(s):
			// A plain scalar that yaml folded or trimmed (several lines, a comment): keep the text as written.
			return nil, false
		}
	default:
		return nil, false
	}
	return root, true
}

// ParseParam parses a --param argument "key=value": the key (which may be dotted) is everything before the first
// "=", the value is parsed with ParseValue. Errors are one line and say how to fix the argument.
func ParseParam(s string) (key string, v any, err error) {
	k, text, ok := strings.Cut(s, "=")
	if !ok {
		return "", nil, fmt.Errorf("malformed --param %s: expected KEY=VALUE, e.g. --param lr=0.01", clip(s))
	}
	if k == "" {
		return "", nil, fmt.Errorf("malformed --param %s: the key before \"=\" is empty, e.g. --param lr=0.01", clip(s))
	}
	if _, err := value.SplitKey(k); err != nil {
		if strings.Count(k, ".") >= value.MaxDepth {
			return "", nil, fmt.Errorf("malformed --param %s: %v", clip(s), err)
		}
		return "", nil, fmt.Errorf("malformed --param %s: key %s has an empty segment; use dots only between names, e.g. --param model.lr=0.01", clip(s), clip(k))
	}
	v, err = parseValue(text)
	var ir *intRangeError
	if errors.As(err, &ir) {
		return "", nil, fmt.Errorf("--param %s: %s", shorten(s), ir.msg)
	}
	return k, v, nil
}

// clip is value.Clip: a quoted string cut to a readable length.
func clip(s string) string { return value.Clip(s) }

// shorten is clip without the quotes.
func shorten(s string) string {
	if len(s) <= 60 {
		return s
	}
	return clip(s)
}

// EnvPrefix starts the name of every environment variable that sets a parameter.
const EnvPrefix = "GIT_EXP_PARAM_"

// EnvParams extracts parameters from environment entries ("K=V", as from os.Environ()). Only variables named
// GIT_EXP_PARAM_<key> count; <key> keeps its case, and "__" in it means "." (GIT_EXP_PARAM_model__lr sets
// model.lr; a literal "." works too). Values are parsed with ParseValue. It returns the dotted keys with their
// values, and the sorted names of the variables used. Variables whose key is empty or has an empty segment
// (GIT_EXP_PARAM_a____b) are skipped; Resolve reports them as errors. When two variables name the same key, the
// later one in sorted order wins.
func EnvParams(environ []string) (map[string]any, []string) {
	params, names, _ := envParams(environ)
	return params, names
}

// envParams is EnvParams that also returns the names of variables with an invalid key.
func envParams(environ []string) (params map[string]any, names, invalid []string) {
	vars := map[string]string{}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		vars[name] = val // the last entry for a name wins, as in os.Getenv
	}
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	params = map[string]any{}
	used := names[:0]
	for _, name := range names {
		key := envKey(name)
		if _, err := value.SplitKey(key); err != nil {
			invalid = append(invalid, name)
			continue
		}
		params[key] = ParseValue(vars[name])
		used = append(used, name)
	}
	return params, used, invalid
}

// envKey turns a variable name into the dotted key it sets.
func envKey(name string) string {
	return strings.ReplaceAll(strings.TrimPrefix(name, EnvPrefix), "__", ".")
}
