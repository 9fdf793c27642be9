// Package value is the one home of git-exp's value tree: the parameters, results and metric values of experiments.
// It imports only the standard library, so every other package (and users' programs, through exp) may use it.
//
// # The tree
//
// A tree is a map[string]any whose values are int, float64, bool, nil, string, []any and map[string]any.
//
// # One of each
//
//   - Scalar: the scalar parser (YAML 1.2 core schema) for --param values, GIT_EXP_PARAM_* variables, sweep
//     arguments, names and plain scalars in config files, so "010" is the int 10 everywhere.
//   - Marshal / Unmarshal: the typed JSON codec of params.json, results.json, metrics lines and --json output:
//     floats keep a '.' or an exponent, ints stay ints; Unmarshal has a fast path for the common case.
//   - Format, Cell, Short, CompactKV: how values are printed in names, tables and "k=v" lists.
//   - Get, Set, Merge, MergeDeep, DeepCopy, Flatten, SplitKey, Describe: tree helpers.
//   - Decode: the map->struct decoder of exp.Params and registry.Build.
//
// # Non-finite numbers
//
// NaN, +Inf and -Inf are values like any other: a diverging loss must never make a run lose its results. They are
// written in JSON as the bare tokens NaN, Infinity and -Infinity — exactly what Python's json module writes and
// reads by default — and Unmarshal reads those tokens, and a number too large for a float64 (1e400) as Infinity.
// Format prints them the same way and Scalar reads them back. In --where, comparisons follow IEEE 754 (every
// ordering or equality with NaN is false); --sort puts NaN after every number (package results). Consumers that
// need strict JSON (a browser) get the strings "NaN", "Infinity", "-Infinity" from Strict.
package value
