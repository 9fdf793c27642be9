package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/git-exp/git-exp/value"
	"gopkg.in/yaml.v3"
)

// importsKey is the top-level key that lists the files a config builds on.
const importsKey = "imports"

// maxNodes bounds how many values one document may expand to once aliases are followed, so that a small file
// with nested aliases ("billion laughs") fails with an error instead of exhausting memory.
const maxNodes = 1 << 20

// Load reads a YAML config file with `imports` (a string or a list of paths, resolved relative to the importing
// file's directory, loaded recursively and merged first in order, then the file's own values merged on top) and
// dotted keys. It returns the merged tree: a map[string]any whose values are int, float64, bool, nil, string, []any
// and map[string]any. The `imports` key itself is removed from the result. See the package documentation for the
// exact semantics.
//
// Imports must resolve, after following symlinks, inside the directory of path; every file must be a regular file
// of at most MaxFileSize bytes.
func Load(path string) (map[string]any, error) {
	l := newLoader()
	l.allow(filepath.Dir(path))
	dst := map[string]any{}
	if err := l.applyFile(dst, path, ""); err != nil {
		return nil, err
	}
	return dst, nil
}

// LoadBytes is Load for in-memory YAML: name is used in error messages, and dir resolves imports (the current
// directory when empty), which imports must resolve inside.
func LoadBytes(name string, data []byte, dir string) (map[string]any, error) {
	l := newLoader()
	if dir == "" {
		l.allow(".")
	} else {
		l.allow(dir)
	}
	dst := map[string]any{}
	if err := l.applyBytes(dst, name, data, dir); err != nil {
		return nil, err
	}
	return dst, nil
}

// loader applies config files onto a tree, following imports. It is used for one Load, LoadBytes or Resolve.
type loader struct {
	readFile func(path string) ([]byte, error)
	// stack holds the files being loaded, outermost first, for import cycle detection.
	stack []loadingFile
	// roots are the directories (absolute, symlinks resolved) that imports must resolve inside.
	roots []string
}

// MaxFileSize is the largest config file (or import) that is read, in bytes.
const MaxFileSize = 10 << 20

// allow lets imports resolve inside dir.
func (l *loader) allow(dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	l.roots = append(l.roots, abs)
}

// checkImport refuses an import that resolves (symlinks followed) outside every allowed directory, so that a
// repository's config cannot turn any file of the machine into parameters (which are stored and pushed).
func (l *loader) checkImport(path, imp, importer string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &notFoundError{fmt.Sprintf("%s: imports %q: file not found", importer, imp)}
		}
		return fmt.Errorf("%s: imports %q: %w", importer, imp, err)
	}
	for _, root := range l.roots {
		if _, ok := within(root, real); ok {
			return nil
		}
	}
	return fmt.Errorf("%s: imports %q, which is %s, outside the repository and the directories of the --config files: copy it into the repository, or name it with --config", importer, imp, real)
}

// readConfigFile reads a config file that must be a regular file of at most MaxFileSize bytes. It opens without
// blocking, so a FIFO (or a device) is refused instead of waiting forever for a writer, and reads at most the limit,
// so /dev/zero cannot grow without bound.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s): config files and imports must be regular files", fileKind(st.Mode()))
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%d bytes, larger than the %d MiB a config file may have", st.Size(), MaxFileSize>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err == nil && len(data) > MaxFileSize {
		err = fmt.Errorf("larger than the %d MiB a config file may have", MaxFileSize>>20)
	}
	return data, err
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}

type loadingFile struct {
	id   string // absolute path, symlinks resolved when possible
	name string // path as shown to the user
}

func newLoader() *loader { return &loader{readFile: readConfigFile} }

// notFoundError is a missing config file; it matches fs.ErrNotExist with errors.Is.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return fs.ErrNotExist }

// applyFile reads the config file at path and applies it (imports first, then its own keys) onto dst.
// importer is the name of the file that imported it, or "" for a file named by the user.
func (l *loader) applyFile(dst map[string]any, path, importer string) error {
	return l.applyFileAs(dst, path, path, importer)
}

// applyFileAs is applyFile with the import written as imp, for error messages.
func (l *loader) applyFileAs(dst map[string]any, path, imp, importer string) error {
	id := fileID(path)
	for i, f := range l.stack {
		if f.id == id {
			names := make([]string, 0, len(l.stack)-i+1)
			for _, g := range l.stack[i:] {
				names = append(names, g.name)
			}
			names = append(names, path)
			return fmt.Errorf("import cycle: %s", strings.Join(names, " -> "))
		}
	}
	if importer != "" && l.roots != nil {
		if err := l.checkImport(path, imp, importer); err != nil {
			return err
		}
	}
	data, err := l.readFile(path)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist) && importer != "":
			return &notFoundError{fmt.Sprintf("%s: imports %q: file not found", importer, imp)}
		case errors.Is(err, fs.ErrNotExist):
			return &notFoundError{fmt.Sprintf("%s: file not found", path)}
		case importer != "":
			return fmt.Errorf("%s: imports %q: %w", importer, imp, err)
		}
		if _, ok := errors.AsType[*fs.PathError](err); ok {
			return err // names the file already
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	l.stack = append(l.stack, loadingFile{id: id, name: path})
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	return l.applyBytes(dst, path, data, filepath.Dir(path))
}

// fileID identifies a file for cycle detection.
func fileID(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// applyBytes applies the YAML document data (named name, with imports relative to dir) onto dst: first every
// import in order, then the document's own top-level keys in document order.
func (l *loader) applyBytes(dst map[string]any, name string, data []byte, dir string) error {
	root, err := parseDocument(name, data)
	if err != nil {
		return err
	}
	if root == nil {
		return nil // empty document, or only comments, or an explicit null
	}
	if root.Kind != yaml.MappingNode {
		return posErrorf(name, root, "the top level must be a mapping of keys to values, not %s", describeNode(root))
	}
	// Imports come first, wherever the key appears in the document.
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != importsKey {
			continue
		}
		imports, err := importList(name, v)
		if err != nil {
			return err
		}
		for _, imp := range imports {
			path := imp
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			if err := l.applyFileAs(dst, path, imp, name); err != nil {
				return err
			}
		}
	}
	c := &converter{name: name, budget: maxNodes}
	return c.applyMapping(dst, root, true)
}

// importList reads the value of the imports key: a path or a list of paths.
func importList(name string, n *yaml.Node) ([]string, error) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	var nodes []*yaml.Node
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil, nil
	case n.Kind == yaml.ScalarNode:
		nodes = []*yaml.Node{n}
	case n.Kind == yaml.SequenceNode:
		nodes = n.Content
	default:
		return nil, posErrorf(name, n, "%q must be a path or a list of paths, not %s", importsKey, describeNode(n))
	}
	paths := make([]string, 0, len(nodes))
	for _, p := range nodes {
		for p.Kind == yaml.AliasNode && p.Alias != nil {
			p = p.Alias
		}
		if p.Kind != yaml.ScalarNode || p.ShortTag() != "!!str" || p.Value == "" {
			return nil, posErrorf(name, p, "%q must list file paths, found %s", importsKey, describeNode(p))
		}
		paths = append(paths, p.Value)
	}
	return paths, nil
}

// lineRE matches the position yaml.v3 puts in its syntax errors; it gives the line only.
var lineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yaml.v3 reports the line of a parser error 0-based (and omits it when it is the first line), while scanner
// errors are 1-based (and also omitted on the first line). These are the messages of each kind, from yaml.v3's
// parserc.go and scannerc.go.
var (
	yamlParserProblems = []string{
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle",
	}
	yamlScannerProblems = []string{
		"block sequence entries are not allowed",
		"could not find expected",
		"did not find URI escaped octet",
		"did not find expected",
		"did not find the expected",
		"exceeded max depth of",
		"found a tab character",
		"found an incorrect",
		"found an indentation indicator",
		"found character that cannot start any token",
		"found extremely long version number",
		"found invalid Unicode character escape code",
		"found unexpected",
		"found unknown directive name",
		"found unknown escape character",
		"mapping keys are not allowed",
		"mapping values are not allowed",
	}
)

// yamlPos reads the line (corrected) and message of a yaml.v3 syntax error; line is 0 when yaml gives none.
func yamlPos(err error) (line int, msg string, ok bool) {
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, "", false
	}
	msg = m[2]
	line, _ = strconv.Atoi(m[1]) // 0 when absent
	switch {
	case slices.Contains(yamlParserProblems, msg):
		line++
	case slices.ContainsFunc(yamlScannerProblems, func(p string) bool { return strings.HasPrefix(msg, p) }):
		line = max(line, 1)
	}
	return line, msg, true
}

// yamlError turns a yaml.v3 error into "name:line:column: message". yaml.v3 reports no column for syntax
// errors, so it is found by parsing growing prefixes of the offending line: the first prefix that fails the same
// way ends at the character where the parser gave up.
func yamlError(name string, data []byte, err error) error {
	line, msg, ok := yamlPos(err)
	if !ok {
		return fmt.Errorf("%s: %v", name, err)
	}
	if line == 0 {
		return fmt.Errorf("%s: %s", name, msg)
	}
	if col := syntaxColumn(data, line, msg); col > 0 {
		return fmt.Errorf("%s:%d:%d: %s", name, line, col, msg)
	}
	return fmt.Errorf("%s:%d: %s", name, line, msg)
}

func syntaxColumn(data []byte, line int, msg string) int {
	lines := strings.SplitAfter(string(data), "\n")
	if line < 1 || line > len(lines) || len(data) > 1<<20 {
		return 0
	}
	prefix := strings.Join(lines[:line-1], "")
	cur := strings.TrimRight(lines[line-1], "\r\n")
	col := 0
	for i := 0; i <= len(cur); {
		var n yaml.Node
		err := safeUnmarshal([]byte(prefix+cur[:i]), &n)
		if err != nil {
			if l, m, ok := yamlPos(err); ok && l == line && m == msg {
				return max(col, 1)
			}
		}
		if i == len(cur) {
			break
		}
		_, size := utf8.DecodeRuneInString(cur[i:])
		i += size
		col++
	}
	return 0
}

func safeUnmarshal(data []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return yaml.Unmarshal(data, n)
}

// parseDocument parses data as one YAML document and returns its root node, or nil for an empty document.
func parseDocument(name string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 has had panics on malformed input; report them as what they are: a file it cannot read.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("%s: cannot parse YAML: %v", name, r)
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(name, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, posErrorf(name, &next, "a config file holds one YAML document; remove the extra \"---\"")
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(name, data, err)
	}
	n := &doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, nil
	}
	return n, nil
}

// posErrorf formats an error at the position of n in the file name.
// intRange is the error of an integer past 64 bits: a float would silently change the value (12345678901234567890
// becomes 12345678901234567168), so the user chooses.
func (c *converter) intRange(n *yaml.Node) error {
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil {
		return nil
	}
	msg := fmt.Sprintf("%s does not fit a 64-bit integer: quote it to keep it as text, or write it as a float (%s)",
		n.Value, strconv.FormatFloat(f, 'e', -1, 64))
	return &intRangeError{posErrorf(c.name, n, "%s", msg), msg}
}

// intRangeError is an integer that does not fit 64 bits: the error with its position, and msg without it.
type intRangeError struct {
	error
	msg string
}

func (e *intRangeError) Unwrap() error { return e.error }

func posErrorf(name string, n *yaml.Node, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	switch {
	case n != nil && n.Line > 0 && n.Column > 0:
		return fmt.Errorf("%s:%d:%d: %s", name, n.Line, n.Column, msg)
	case n != nil && n.Line > 0:
		return fmt.Errorf("%s:%d: %s", name, n.Line, msg)
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// describeNode names the kind of a node for error messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		}
		return fmt.Sprintf("the value %s", n.Value)
	}
	return "an empty document"
}

// converter turns yaml.Nodes into config values.
type converter struct {
	name   string             // file name for errors
	budget int                // values left before the document counts as too large
	active map[*yaml.Node]int // anchors being expanded, to catch an alias inside its own anchor
}

// value converts n into an int, float64, bool, nil, string, []any or map[string]any. Every alias is expanded into
// a fresh copy, so later dotted keys never change two places at once.
func (c *converter) value(n *yaml.Node) (any, error) {
	c.budget--
	if c.budget < 0 {
		return nil, posErrorf(c.name, n, "document too large: more than %d values once aliases are expanded", maxNodes)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0])
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, posErrorf(c.name, n, "unknown alias *%s", n.Value)
		}
		if c.active[n.Alias] > 0 {
			return nil, posErrorf(c.name, n, "alias *%s refers to a value that contains it", n.Value)
		}
		if c.active == nil {
			c.active = map[*yaml.Node]int{}
		}
		c.active[n.Alias]++
		defer func() { c.active[n.Alias]-- }()
		return c.value(n.Alias)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		m := map[string]any{}
		if err := c.applyMapping(m, n, false); err != nil {
			return nil, err
		}
		return m, nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, posErrorf(c.name, n, "unsupported YAML node")
}

// scalar converts a scalar node following the YAML 1.2 core schema as resolved by yaml.v3.
func (c *converter) scalar(n *yaml.Node) (any, error) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) == 0 {
		// A plain scalar without a tag: read by git-exp's one scalar parser (YAML 1.2 core), as --param values are;
		// yaml.v3 alone would read 010 as 8 and 1_000 as 1000 (YAML 1.1).
		v, err := value.Scalar(n.Value)
		var ir *value.IntRangeError
		if errors.As(err, &ir) {
			return nil, &intRangeError{posErrorf(c.name, n, "%s", ir.Error()), ir.Error()}
		}
		return v, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, posErrorf(c.name, n, "invalid bool %q", n.Value)
		}
		return b, nil
	case "!!int":
		var x any
		if err := n.Decode(&x); err != nil {
			return nil, posErrorf(c.name, n, "invalid int %q", n.Value)
		}
		switch x := x.(type) {
		case int:
			return x, nil
		case int64:
			if x >= math.MinInt && x <= math.MaxInt {
				return int(x), nil
			}
		case uint64:
			if x <= math.MaxInt {
				return int(x), nil
			}
		}
		if err := c.intRange(n); err != nil {
			return nil, err
		}
		return nil, posErrorf(c.name, n, "invalid int %q", n.Value)
	case "!!float":
		if strings.Trim(n.Value, "+-0123456789_") == "" { // an integer yaml.v3 turned into a float (< -2^63, >= 2^64)
			if err := c.intRange(n); err != nil {
				return nil, err
			}
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, posErrorf(c.name, n, "invalid float %q", n.Value)
		}
		return f, nil
	case "!!binary":
		var s string
		if err := n.Decode(&s); err != nil {
			return nil, posErrorf(c.name, n, "invalid !!binary value")
		}
		return s, nil
	}
	// !!str, !!timestamp (kept as written) and application tags: the text itself.
	return n.Value, nil
}

// applyMapping applies the pairs of the mapping node n onto dst in document order: a plain key replaces its value,
// a dotted key sets only the nested value (see Set). YAML merge keys ("<<: *base") are applied first, so the
// mapping's own keys override them. At the top level the imports key is skipped.
func (c *converter) applyMapping(dst map[string]any, n *yaml.Node, top bool) error {
	// Merge keys: earlier sources win over later ones, and explicit keys over all of them.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			continue
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for j := len(sources) - 1; j >= 0; j-- {
			src, err := c.value(sources[j])
			if err != nil {
				return err
			}
			m, ok := src.(map[string]any)
			if !ok {
				return posErrorf(c.name, sources[j], "a merge key (<<) needs a mapping or a list of mappings")
			}
			for key, val := range m {
				dst[key] = val
			}
		}
	}
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return err
		}
		if line, dup := seen[key]; dup {
			return posErrorf(c.name, k, "key %s is defined twice (also on line %d): keep one", clip(key), line)
		}
		seen[key] = k.Line
		if top && key == importsKey {
			continue
		}
		val, err := c.value(v)
		if err != nil {
			return err
		}
		if err := value.Set(dst, key, val); err != nil {
			return posErrorf(c.name, k, "%v", err)
		}
	}
	return nil
}

// key returns the text of a mapping key; keys that are not strings (1, true, 1.5) are used as written.
func (c *converter) key(k *yaml.Node) (string, error) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", posErrorf(c.name, k, "a key must be a plain value, not %s", describeNode(k))
	}
	return k.Value, nil
}
