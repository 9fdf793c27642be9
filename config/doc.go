// Package config loads experiment parameters: YAML config files with imports and dotted keys, command-line
// --param values and GIT_EXP_PARAM_* environment variables.
//
// # Values
//
// A config is a tree: a map[string]any whose values are int, float64, bool, nil, string, []any and map[string]any.
// YAML is read with the YAML 1.2 core schema, so "1" is an int, "1.0" a float64, "yes" and "on" are strings and
// only true/false are bools. Keys that are not strings (1: x, true: x) are used as written. Timestamps stay strings.
//
// # Files, imports and dotted keys
//
// A config file is a YAML mapping. Its top-level key "imports" names other files — one path or a list — resolved
// relative to the importing file's directory. Loading a file applies, onto the tree built so far:
//
//  1. each import in order, loaded the same way (so imports of imports come first, depth first);
//  2. then the file's own keys, in document order: a plain key replaces the value, even a whole map; a dotted key
//     ("model.hidden_size: 512") updates only that nested value, creating intermediate maps and keeping siblings.
//
// Because keys apply in document order, a later key wins: "model: {...}" after "model.lr: 1" replaces the map,
// while "model.lr: 1" after "model: {...}" updates it. Dotted keys work at every depth ("model: {opt.lr: 1}" sets
// model.opt.lr), and every key containing "." is a path, quoted or not. A dotted key through a value that is not a
// map (model.lr when model is 3) is an error; through null it creates a map. The imports key is not part of the
// result. YAML anchors, aliases and merge keys (<<) work; every alias is an independent copy.
//
// The same layering applies between files given to Resolve: a --config file's dotted keys update the tree built by
// the repository's config.yaml instead of replacing whole sections.
//
// # Errors
//
// Errors name the file and, where yaml.v3 or the document gives one, the position: "exp.yaml:3:1: ..." (yaml.v3
// reports only a line for syntax errors). An import cycle lists its files in order ("import cycle: a.yaml ->
// b.yaml -> a.yaml"); a missing import names the file that asked for it ("b.yaml: imports "missing.yaml": file not
// found") and matches fs.ErrNotExist.
//
// # Limits
//
// An import must resolve, symlinks followed, inside an allowed directory: for Resolve the repository root, the
// directory of config.yaml and of each --config file; for Load the loaded file's directory; for LoadBytes dir. Every
// file must be a regular file of at most MaxFileSize bytes (it is opened without blocking, so a FIFO is refused, not
// waited on). A key may appear once per mapping. Trees nest at most value.MaxDepth levels (dotted keys and
// nesting together; value.Unmarshal applies the same bound to stored JSON), and Resolve refuses
// parameters that take more than MaxParamsSize bytes as JSON.
//
// # Precedence
//
// Resolve applies, lowest first: the repository's config.yaml, each --config file, GIT_EXP_PARAM_* variables
// ("__" stands for "."), and each --param KEY=VALUE. It returns the tree and a list of Sources for the record.
//
// Values are the tree of package value, and every plain scalar (in a file, a --param or a variable) is read by
// value.Scalar, the one scalar parser: "010" is the int 10 (octal is 0o10), "0x10" is 16, "1_000" is a string.
package config
