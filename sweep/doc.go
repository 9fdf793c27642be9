// Package sweep expands parameter sweeps such as "list(0.001, 0.01)" or
// "range(1, 4)" found in a parameter tree into the grid of concrete parameter
// sets that git exp stages as separate experiments.
//
// # Parameter trees
//
// A parameter tree is a map[string]any whose values are int, float64, bool,
// nil, string, []any or map[string]any. A sweep is a string value of the form
// described below. Sweeps are recognised at any depth of nested maps and are
// addressed by their dotted key path ("model.lr" for {"model": {"lr": ...}}).
// Strings inside lists ([]any), including maps nested inside lists, are never
// treated as sweeps: they are kept verbatim.
//
// # Grammar
//
//	sweep    = ws name "(" [ arg { "," arg } ] ")" ws
//	name     = "list" | "range" | "linspace" | "logspace"   (case-sensitive)
//	arg      = ws ( quoted | bare ) ws
//	quoted   = '"' Go/YAML double-quoted text with backslash escapes '"'
//	         | "'" single-quoted text, '' stands for one ' "'"
//	bare     = one or more characters other than , ( ) ' "
//
// A bare argument is read as a YAML 1.2 (core schema) scalar: decimal ints
// (1, -2, +3), floats (0.1, 1e-3, .5, 1., 1.0 stays a float), .inf, -.inf and
// .nan, the bools true/false (also True, TRUE, False, FALSE), null (also
// Null, NULL, ~); anything else is a string, so list(adam, sgd) gives the two
// strings "adam" and "sgd". Quote a value to force a string ('1' is a string)
// or to include commas, parentheses or quotes ("a, b").
//
// A string is treated as a sweep only if, after trimming surrounding white
// space, it starts with an identifier immediately followed by "(". For the
// four known names, any malformed call is an error. An unknown name is an
// error ("unknown sweep function foo ...") only when the string also ends with
// ")", such as "foo(1)". Strings such as "adam (beta)" (a space before the
// parenthesis), "torch.nn.ReLU()" or "(1, 2)" are plain strings.
//
// # Functions
//
//   - list(a, b, ...) is the given values, in order. list() is an error.
//   - range(stop), range(start, stop), range(start, stop, step) follow
//     Python's half-open range, including negative steps. If all arguments
//     are ints the values are ints; if any is a float the values are float64.
//     Float ranges are computed with exact decimal arithmetic on the values as
//     written (start + i*step, never accumulated), so range(0, 0.3, 0.1) is
//     0.0, 0.1, 0.2 and range(0.01, 0.1, 0.01) is the nine values 0.01 ...
//     0.09, each printing as written. A step of 0 is an error, and so is an
//     empty range such as range(0) or range(5, 1): a sweep over nothing would
//     silently stage nothing.
//   - linspace(start, stop, num) is num evenly spaced float64 values from
//     start to stop inclusive, value for value as numpy.linspace computes
//     them (i*step + start, the last value exactly stop; num = 1 gives
//     [start]), except that where the exact value start +
//     i*(stop-start)/(num-1) is a short decimal, that decimal is used: so
//     linspace(0, 1, 11) gives 0.1, 0.2, 0.3, ... exactly as written where
//     numpy has 0.30000000000000004. Values are float64 even for int
//     arguments. num must be an int >= 1.
//   - logspace(start, stop, num) is 10**linspace(start, stop, num) like
//     numpy.logspace, rounded to 15 significant digits so that 10**-3 is
//     0.001. Values that overflow or underflow float64 are an error.
//
// A single sweep may produce at most MaxValues values.
//
// # Grid order
//
// Expand (and Grid) sort the swept keys lexicographically by their dotted
// path (byte order, as sort.Strings) and build the cartesian product with the
// first key varying slowest and the last key fastest, like nested for loops
// or itertools.product:
//
//	{"bs": "list(32, 64)", "lr": "list(0.1, 0.01)"}
//	-> bs=32,lr=0.1  bs=32,lr=0.01  bs=64,lr=0.1  bs=64,lr=0.01
//
// Within one sweep, values keep the order the sweep produces them in.
//
// # Names
//
// Name renders a point's swept values as "bs=32,lr=0.1" and ParseName reads
// it back. Strings are quoted whenever they could be confused with another
// value or with the separators, so names of distinct scalar values never
// collide.
package sweep
